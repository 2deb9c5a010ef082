using System.Buffers.Binary;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>
/// rpm's package database (RHEL, UBI, Fedora, CentOS, Rocky, Amazon Linux, openSUSE images), read from memory:
/// the sqlite backend (rpm 4.16+), the ndb backend (openSUSE) and the BerkeleyDB hash "Packages" file of older images
/// (RHEL/CentOS 7 and 8, Amazon Linux 2). Each package is one header blob (<see cref="RpmHeader"/>).
/// </summary>
internal static class RpmDatabase
{
    /// <summary>
    /// Where images keep it: rpm 4.16+ writes rpmdb.sqlite in %_dbpath, /var/lib/rpm on RHEL/UBI 9 and
    /// /usr/lib/sysimage/rpm on Fedora 36+ and openSUSE (with /var/lib/rpm a link to it); ndb's file is Packages.db;
    /// BerkeleyDB's is /var/lib/rpm/Packages (an image converted to sqlite may keep it: the newer formats come first).
    /// </summary>
    internal static readonly string[] Paths =
    {
        "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages.db", "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/Packages",
    };

    /// <summary>Every package in a database file; throws <see cref="ImageException"/> (Corrupt or Unsupported) when it cannot be read.</summary>
    public static IEnumerable<RpmPackage> Read(byte[] data, string input)
    {
        if (SqliteTableReader.IsSqlite(data)) return ReadSqlite(data, input);
        if (data.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(data) == NdbMagic) return ReadNdb(data, input);
        if (data.Length >= 16 && BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(12)) is BdbHashMagic or BdbHashMagicSwapped) return ReadBdbHash(data, input);
        throw new ImageException(ImageErrorKind.Unsupported, input, $"rpm database '{input}': neither SQLite, ndb nor a BerkeleyDB hash.");
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

    // BerkeleyDB hash files as rpm's lib/backend/bdb_ro.c reads them: a metadata page 0 (magic 0x061561 at offset 12, in
    // the byte order of the machine that wrote it; hash version 8 to 10 at 16; page size at 20; last page at 32), then
    // pages with a 26-byte header (page number at 8, next page at 16, item count at 20, and for overflow pages the data
    // length at 22; the page type at 25). Hash pages (types 2 and 13) hold key/value item pairs, each item's offset in
    // the index after the header; an item is laid out downwards from the end of the page, so its length runs to the
    // previous item's offset. Item type 1 keeps its bytes on the page, type 3 points at a chain of overflow pages
    // (type 7) with the total length. rpm keys Packages by header number; key 0 holds its counter, not a header.
    // Every page is scanned in order rather than following the bucket chains, so each is read once.
    private const uint BdbHashMagic = 0x00061561, BdbHashMagicSwapped = 0x61150600;
    private const int BdbPageHeader = 26;
    private const byte BdbHashUnsorted = 2, BdbHash = 13, BdbOverflow = 7, BdbKeyData = 1, BdbOffPage = 3;

    private static IEnumerable<RpmPackage> ReadBdbHash(byte[] data, string input)
    {
        ImageException Bad(string why) => new(ImageErrorKind.Corrupt, input, $"rpm database '{input}' (BerkeleyDB): {why}.");
        var swapped = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(12)) == BdbHashMagicSwapped;
        uint U32(int at) => swapped ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        int U16(int at) => swapped ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));
        if (data.Length < 512) throw Bad($"the file ({data.Length} bytes) is shorter than its metadata page");
        var version = U32(16);
        if (version is < 8 or > 10) throw Bad($"hash version {version} (rpm reads 8 to 10)");
        var pageSize = U32(20);
        if (pageSize is < 512 or > 65536 || (pageSize & (pageSize - 1)) != 0) throw Bad($"page size {pageSize} is not a power of two from 512 to 65536");
        var lastPage = U32(32);
        if ((lastPage + 1L) * pageSize > data.Length) throw Bad($"its last page {lastPage} lies beyond the {data.Length}-byte file");
        var ps = (int)pageSize;
        // Values add up to no more than the file: overflow chains shared between items cannot make the work grow.
        long budget = data.Length;

        byte[] Item(int page, int at, int length)
        {
            var type = data[at];
            if (type == BdbKeyData) return data.AsSpan(at + 1, length - 1).ToArray();
            if (type != BdbOffPage || length != 12) throw Bad($"page {page} holds an item of type {type} and {length} bytes, neither on-page data nor an overflow reference");
            var next = U32(at + 4);
            var total = U32(at + 8);
            budget -= total;
            if (budget < 0) throw Bad($"the items add up to more bytes than the file");
            var value = new byte[total];
            var done = 0;
            var chain = new HashSet<uint>();
            while (done < total)
            {
                if (next < 1 || next > lastPage) throw Bad($"an overflow chain from page {page} points at page {next}, outside the {lastPage} pages");
                if (!chain.Add(next)) throw Bad($"an overflow chain from page {page} loops at page {next}");
                var o = (int)(next * pageSize);
                if (U32(o + 8) != next || data[o + 25] != BdbOverflow) throw Bad($"page {next} is not the overflow page the chain from page {page} expects");
                var length2 = U16(o + 22);
                if (length2 > ps - BdbPageHeader || length2 > total - done || length2 == 0) throw Bad($"overflow page {next} claims {length2} bytes");
                data.AsSpan(o + BdbPageHeader, length2).CopyTo(value.AsSpan(done));
                done += length2;
                next = U32(o + 16);
            }
            return value;
        }

        for (var n = 1; n <= lastPage; n++)
        {
            var p = n * ps;
            var type = data[p + 25];
            if (type is not (BdbHash or BdbHashUnsorted)) continue;
            if (U32(p + 8) != (uint)n) throw Bad($"page {n} calls itself page {U32(p + 8)}");
            var entries = U16(p + 20);
            if (BdbPageHeader + 2 * entries > ps) throw Bad($"page {n} claims {entries} items, more than it can hold");
            var packages = new List<RpmPackage>();
            for (var i = 0; i + 1 < entries; i += 2)
            {
                var keyAt = U16(p + BdbPageHeader + 2 * i);
                var valueAt = U16(p + BdbPageHeader + 2 * (i + 1));
                var keyEnd = i == 0 ? ps : U16(p + BdbPageHeader + 2 * (i - 1));
                if (keyAt < BdbPageHeader + 2 * entries || valueAt < BdbPageHeader + 2 * entries || keyAt >= keyEnd || valueAt >= keyAt || keyEnd > ps)
                    throw Bad($"item {i} of page {n} lies outside the page or overlaps another");
                var key = Item(n, p + keyAt, keyEnd - keyAt);
                if (key.Length == 4 && BinaryPrimitives.ReadUInt32LittleEndian(key) == 0) continue; // rpm's header counter
                packages.Add(RpmHeader.Read(Item(n, p + valueAt, keyAt - valueAt), input));
            }
            foreach (var pkg in packages) yield return pkg;
        }
    }
}
