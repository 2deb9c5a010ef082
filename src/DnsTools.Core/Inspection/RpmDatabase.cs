using System.Buffers.Binary;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>
/// rpm's package database (RHEL, UBI, Fedora, CentOS, Rocky, Amazon Linux, openSUSE images), read from memory:
/// the sqlite backend (rpm 4.16+) and the ndb backend (openSUSE). Each package is one header blob (<see cref="RpmHeader"/>).
/// The BerkeleyDB "Packages" file of older images (RHEL 7/8) is not read.
/// </summary>
internal static class RpmDatabase
{
    /// <summary>
    /// Where images keep it: rpm 4.16+ writes rpmdb.sqlite in %_dbpath, /var/lib/rpm on RHEL/UBI 9 and
    /// /usr/lib/sysimage/rpm on Fedora 36+ and openSUSE (with /var/lib/rpm a link to it); ndb's file is Packages.db.
    /// </summary>
    internal static readonly string[] Paths =
    {
        "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages.db", "/var/lib/rpm/Packages.db",
    };

    /// <summary>Every package in a database file; throws <see cref="ImageException"/> (Corrupt or Unsupported) when it cannot be read.</summary>
    public static IEnumerable<RpmPackage> Read(byte[] data, string input)
    {
        if (SqliteTableReader.IsSqlite(data)) return ReadSqlite(data, input);
        if (data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) == NdbMagic) return ReadNdb(data, input);
        throw new ImageException(ImageErrorKind.Unsupported, input, $"rpm database '{input}': neither SQLite nor ndb (BerkeleyDB databases are not read).");
    }

    /// <summary>
    /// rpm's lib/backend/sqlite.c keeps the headers in table Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
    /// hnum is the rowid, so the record's first column is NULL and the second the header blob.
    /// </summary>
    private static IEnumerable<RpmPackage> ReadSqlite(byte[] data, string input)
    {
        var db = SqliteTableReader.Open(data, input);
        if (db.FindTable("Packages") is not { } root) yield break;
        foreach (var (rowId, payload) in db.Rows(root))
        {
            var cols = db.Record(payload, 2);
            var blob = cols.Count == 2 ? SqliteTableReader.Blob(payload, cols[1]) : null;
            if (blob is null) throw new ImageException(ImageErrorKind.Corrupt, input, $"rpm database '{input}' (SQLite): row {rowId} of Packages holds no header blob.");
            yield return RpmHeader.Read(blob, input);
        }
    }

    // rpm's lib/backend/ndb/rpmpkg.c: a 32-byte file header ("RpmP", version 0, generation, slot page count, next index),
    // then slot pages of 4096 bytes holding 16-byte slots ("Slot", package index, block offset, block count; offset 0 is a
    // free slot). Blocks are 16 bytes; a blob starts with "BlbS", package index, timestamp and length, and its last block
    // ends with adler32, length and "BlbE" after zero padding. All numbers little-endian. The adler32 is not checked.
    private const uint NdbMagic = 'R' | 'p' << 8 | 'm' << 16 | 'P' << 24;
    private const uint SlotMagic = 'S' | 'l' << 8 | 'o' << 16 | 't' << 24;
    private const uint BlobHeadMagic = 'B' | 'l' << 8 | 'b' << 16 | 'S' << 24;
    private const uint BlobTailMagic = 'B' | 'l' << 8 | 'b' << 16 | 'E' << 24;
    private const int NdbPage = 4096, NdbSlot = 16, NdbBlock = 16, NdbHeader = 32, BlobHead = 16, BlobTail = 12;

    private static IEnumerable<RpmPackage> ReadNdb(byte[] data, string input)
    {
        ImageException Bad(string why) => new(ImageErrorKind.Corrupt, input, $"rpm database '{input}' (ndb): {why}.");
        if (data.Length < NdbHeader) throw Bad($"the file ({data.Length} bytes) is shorter than its header");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4));
        if (version != 0) throw Bad($"version {version} (only version 0 is known)");
        var slotPages = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(12));
        if (slotPages < 1 || (long)slotPages * NdbPage > data.Length) throw Bad($"{slotPages} slot pages do not fit the {data.Length}-byte file");
        var firstBlock = (long)slotPages * (NdbPage / NdbBlock);
        // Blobs never overlap in a sound file, so together they fit in it: slots pointing at one blob many times are corrupt.
        var blocksLeft = (long)data.Length / NdbBlock - firstBlock;
        for (var o = NdbHeader; o < slotPages * NdbPage; o += NdbSlot)
        {
            var slot = data.AsSpan(o, NdbSlot);
            if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != SlotMagic) throw Bad($"no slot magic at offset {o}");
            var index = BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]);
            var blockOffset = BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]);
            var blocks = BinaryPrimitives.ReadUInt32LittleEndian(slot[12..]);
            if (blockOffset == 0) continue; // a free slot
            if (blockOffset < firstBlock || ((long)blockOffset + blocks) * NdbBlock > data.Length || blocks * (long)NdbBlock < BlobHead + BlobTail)
                throw Bad($"the slot of package {index} points at blocks {blockOffset}+{blocks}, outside the blob area");
            blocksLeft -= blocks;
            if (blocksLeft < 0) throw Bad("the slots claim more blocks than the file holds (blobs overlap)");
            var blob = data.AsSpan((int)(blockOffset * (long)NdbBlock), (int)(blocks * (long)NdbBlock));
            if (BinaryPrimitives.ReadUInt32LittleEndian(blob) != BlobHeadMagic || BinaryPrimitives.ReadUInt32LittleEndian(blob[4..]) != index)
                throw Bad($"the blob of package {index} does not start with its head");
            var length = BinaryPrimitives.ReadUInt32LittleEndian(blob[12..]);
            if ((BlobHead + (long)length + BlobTail + NdbBlock - 1) / NdbBlock != blocks) throw Bad($"the blob of package {index} claims {length} bytes in {blocks} blocks");
            var tail = blob[^BlobTail..]; // after the zero padding that fills the last block
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != length || BinaryPrimitives.ReadUInt32LittleEndian(tail[8..]) != BlobTailMagic)
                throw Bad($"the blob of package {index} has no matching tail");
            yield return RpmHeader.Read(blob.Slice(BlobHead, (int)length), input);
        }
    }
}
