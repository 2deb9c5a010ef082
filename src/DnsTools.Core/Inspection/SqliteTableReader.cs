using System.Buffers.Binary;
using System.Text;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>
/// Reads the rows of one table from an SQLite database held in memory (the SQLite file format, version 3: the database
/// header, table b-tree pages, record format and overflow pages as sqlite.org's "Database File Format" documents them).
/// </summary>
/// <remarks>
/// Written here rather than taken from a library: the native e_sqlite3 that SQLitePCLRaw brings is not found when the
/// module is loaded into pwsh (pwsh's own deps.json decides native probing, so the module's runtimes/ folder is never
/// searched), it adds about 30 MB of native builds for every platform to the module, and an in-memory database needs
/// sqlite3_deserialize plus patching the WAL marks of rpm's files. rpm's database needs one table's rows and nothing
/// else: no queries, indexes, journals or writing. Every page number, offset, length and count read from the file is
/// checked against the file before use; b-tree pages are visited at most once (a loop is an error), and payloads are
/// never longer than the file.
/// The write-ahead log (rpmdb.sqlite-wal) is not read: rpm checkpoints it when it closes the database, and image
/// builds leave it empty.
/// </remarks>
internal sealed class SqliteTableReader
{
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("SQLite format 3\0");
    private const byte InteriorTable = 0x05, LeafTable = 0x0d;

    private readonly byte[] _db;
    private readonly string _input;
    private readonly int _pageSize;
    private readonly int _usable;
    private readonly uint _pageCount;

    private SqliteTableReader(byte[] db, string input, int pageSize, int usable, uint pageCount)
    {
        _db = db;
        _input = input;
        _pageSize = pageSize;
        _usable = usable;
        _pageCount = pageCount;
    }

    public static bool IsSqlite(ReadOnlySpan<byte> data) => data.Length >= Magic.Length && data[..Magic.Length].SequenceEqual(Magic);

    /// <summary>Checks the 100-byte database header; throws <see cref="ImageException"/> (Corrupt) when it is not sound.</summary>
    public static SqliteTableReader Open(byte[] db, string input)
    {
        if (db.Length < 100 || !IsSqlite(db)) throw Bad(input, "not an SQLite 3 database (no \"SQLite format 3\" header)");
        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(db.AsSpan(16));
        if (pageSize == 1) pageSize = 65536;
        if (pageSize < 512 || (pageSize & (pageSize - 1)) != 0) throw Bad(input, $"page size {pageSize} is not a power of two from 512 to 65536");
        var usable = pageSize - db[20];
        if (usable < 480) throw Bad(input, $"{db[20]} reserved bytes leave {usable} usable bytes a page (at least 480)");
        if (db.Length < pageSize) throw Bad(input, $"the file ({db.Length} bytes) is shorter than one page ({pageSize})");
        // The header's page count holds when "version-valid-for" matches the change counter; the file length decides otherwise.
        var inFile = (uint)(db.Length / pageSize);
        var counted = BinaryPrimitives.ReadUInt32BigEndian(db.AsSpan(28));
        var valid = BinaryPrimitives.ReadUInt32BigEndian(db.AsSpan(92)) == BinaryPrimitives.ReadUInt32BigEndian(db.AsSpan(24));
        var pages = valid && counted > 0 ? Math.Min(counted, inFile) : inFile;
        return new SqliteTableReader(db, input, pageSize, usable, pages);
    }

    /// <summary>The root page of table <paramref name="table"/> from sqlite_schema (page 1); null when there is no such table.</summary>
    public uint? FindTable(string table)
    {
        foreach (var (_, payload) in Rows(1))
        {
            var cols = Record(payload, 4);
            if (cols.Count < 4) continue;
            if (Text(payload, cols[0]) != "table" || !string.Equals(Text(payload, cols[1]), table, StringComparison.OrdinalIgnoreCase)) continue;
            var root = Integer(payload, cols[3]);
            if (root is null || root < 1 || root > _pageCount) throw Bad(_input, $"table {table} has root page {root?.ToString() ?? "null"} outside the {_pageCount} pages");
            return (uint)root;
        }
        return null;
    }

    /// <summary>Every row of the table b-tree rooted at <paramref name="root"/>, in rowid order: (rowid, record payload).</summary>
    public IEnumerable<(long RowId, byte[] Payload)> Rows(uint root)
    {
        // A page is queued at most once (each page has one parent in a sound b-tree), so a loop is an error and the
        // walk is bounded by the page count.
        var queued = new HashSet<uint> { root };
        var todo = new Stack<uint>();
        todo.Push(root);
        // The rows of one table hold no more bytes than the file: overflow pages shared between rows cannot make the
        // work grow with the square of the file.
        long budget = _db.Length;
        while (todo.Count > 0)
        {
            var n = todo.Pop();
            foreach (var at in VisitPage(n, todo, queued))
            {
                var row = LeafCell(n, at);
                budget -= row.Item2.Length;
                if (budget < 0) throw Bad(_input, $"the rows of the table rooted at page {root} add up to more bytes than the file");
                yield return row;
            }
        }
    }

    /// <summary>Pushes an interior page's children (so rows come out in rowid order); returns a leaf page's cell offsets.</summary>
    private int[] VisitPage(uint n, Stack<uint> todo, HashSet<uint> queued)
    {
        var page = PageSpan(n);
        var h = n == 1 ? 100 : 0; // page 1 starts with the 100-byte database header
        var kind = page[h];
        if (kind is not (InteriorTable or LeafTable)) throw Bad(_input, $"page {n} is not a table b-tree page (type {kind:x2})");
        var headerSize = kind == InteriorTable ? 12 : 8;
        int cells = BinaryPrimitives.ReadUInt16BigEndian(page[(h + 3)..]);
        if (h + headerSize + 2 * cells > _usable) throw Bad(_input, $"page {n} claims {cells} cells, more than it can hold");
        if (kind == InteriorTable)
        {
            // Children left to right, then the right-most pointer: pushed in reverse.
            todo.Push(Child(n, BinaryPrimitives.ReadUInt32BigEndian(page[(h + 8)..]), queued));
            for (var i = cells - 1; i >= 0; i--)
            {
                var at = CellOffset(n, page, h + headerSize + 2 * i, 4);
                todo.Push(Child(n, BinaryPrimitives.ReadUInt32BigEndian(page[at..]), queued));
            }
            return Array.Empty<int>();
        }
        var offsets = new int[cells];
        for (var i = 0; i < cells; i++) offsets[i] = CellOffset(n, page, h + headerSize + 2 * i, 2);
        return offsets;
    }

    private uint Child(uint parent, uint child, HashSet<uint> queued)
    {
        if (child < 1 || child > _pageCount) throw Bad(_input, $"page {parent} points at page {child}, outside the {_pageCount} pages");
        if (!queued.Add(child)) throw Bad(_input, $"page {parent} points at page {child}, which the b-tree reaches twice (its page pointers loop)");
        return child;
    }

    private int CellOffset(uint n, ReadOnlySpan<byte> page, int pointerAt, int minCell)
    {
        int at = BinaryPrimitives.ReadUInt16BigEndian(page[pointerAt..]);
        if (at < 8 || at + minCell > _usable) throw Bad(_input, $"page {n} has a cell at offset {at}, outside the page");
        return at;
    }

    /// <summary>A table leaf cell: payload length, rowid, the payload's local part and, when it does not fit, the overflow chain.</summary>
    private (long, byte[]) LeafCell(uint n, int at)
    {
        var page = PageSpan(n)[.._usable];
        var pos = at;
        var total = Varint(page, ref pos, n);
        var rowId = Varint(page, ref pos, n);
        if (total < 0 || total > _db.Length) throw Bad(_input, $"a row on page {n} claims {total} bytes, more than the file");
        // Local part, from the file format's rules: X = U-35; M = ((U-12)*32/255)-23; K = M+((P-M)%(U-4)).
        long x = _usable - 35, m = ((_usable - 12) * 32L / 255) - 23, k = m + ((total - m) % (_usable - 4));
        var local = total <= x ? total : k <= x ? k : m;
        if (pos + local + (local < total ? 4 : 0) > _usable) throw Bad(_input, $"a row on page {n} runs past the page");
        var payload = new byte[total];
        page.Slice(pos, (int)local).CopyTo(payload);
        if (local == total) return (rowId, payload);
        var next = BinaryPrimitives.ReadUInt32BigEndian(page[(pos + (int)local)..]);
        var done = (int)local;
        var chain = new HashSet<uint>();
        while (done < total)
        {
            if (next < 1 || next > _pageCount) throw Bad(_input, $"an overflow chain from page {n} points at page {next}, outside the {_pageCount} pages");
            if (!chain.Add(next)) throw Bad(_input, $"an overflow chain from page {n} loops at page {next}");
            var o = PageSpan(next);
            var take = (int)Math.Min(total - done, _usable - 4);
            o.Slice(4, take).CopyTo(payload.AsSpan(done));
            done += take;
            next = BinaryPrimitives.ReadUInt32BigEndian(o);
        }
        return (rowId, payload);
    }

    private ReadOnlySpan<byte> PageSpan(uint n)
    {
        var start = (n - 1L) * _pageSize;
        if (n < 1 || n > _pageCount || start + _pageSize > _db.Length) throw Bad(_input, $"page {n} is outside the file");
        return _db.AsSpan((int)start, _pageSize);
    }

    /// <summary>SQLite's varint: 1 to 9 bytes, big-endian, 7 bits a byte with the high bit as "more", all 8 bits of a ninth.</summary>
    private long Varint(ReadOnlySpan<byte> s, ref int pos, uint page)
    {
        ulong v = 0;
        for (var i = 0; i < 9; i++)
        {
            if (pos >= s.Length) throw Bad(_input, $"a number on page {page} runs past the page");
            var b = s[pos++];
            if (i == 8) return (long)((v << 8) | b);
            v = (v << 7) | (uint)(b & 0x7f);
            if ((b & 0x80) == 0) break;
        }
        return (long)v;
    }

    /// <summary>The first <paramref name="max"/> columns of a record: (serial type, offset in the payload, length).</summary>
    internal List<(long Type, int Offset, int Length)> Record(byte[] payload, int max)
    {
        var s = payload.AsSpan();
        var pos = 0;
        var headerLength = Varint(s, ref pos, 0);
        if (headerLength < pos || headerLength > payload.Length) throw Bad(_input, $"a record header of {headerLength} bytes does not fit its {payload.Length}-byte row");
        var header = s[..(int)headerLength];
        var body = (long)headerLength;
        var cols = new List<(long, int, int)>();
        while (pos < header.Length && cols.Count < max)
        {
            var type = Varint(header, ref pos, 0);
            long len = type switch
            {
                0 or 8 or 9 => 0,
                >= 1 and <= 4 => type,
                5 => 6,
                6 or 7 => 8,
                >= 12 => (type - 12) / 2,
                _ => throw Bad(_input, $"a record has the reserved serial type {type}"),
            };
            if (body + len > payload.Length) throw Bad(_input, $"a record column of {len} bytes runs past its {payload.Length}-byte row");
            cols.Add((type, (int)body, (int)len));
            body += len;
        }
        return cols;
    }

    internal static string? Text(byte[] payload, (long Type, int Offset, int Length) c) =>
        c.Type >= 13 && c.Type % 2 == 1 ? Encoding.UTF8.GetString(payload, c.Offset, c.Length) : null;

    internal static byte[]? Blob(byte[] payload, (long Type, int Offset, int Length) c) =>
        c.Type >= 12 && c.Type % 2 == 0 ? payload.AsSpan(c.Offset, c.Length).ToArray() : null;

    internal static long? Integer(byte[] payload, (long Type, int Offset, int Length) c)
    {
        switch (c.Type)
        {
            case 8: return 0;
            case 9: return 1;
            case >= 1 and <= 6:
                long v = (sbyte)payload[c.Offset]; // big-endian two's complement
                for (var i = 1; i < c.Length; i++) v = (v << 8) | payload[c.Offset + i];
                return v;
            default: return null;
        }
    }

    private static ImageException Bad(string input, string why) => new(ImageErrorKind.Corrupt, input, $"rpm database '{input}' (SQLite): {why}.");
}
