using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace DnsTools.Core.Images;

/// <summary>
/// Reads a tar stream forward, one entry at a time, without seeking: ustar (name and prefix), PAX extended headers ('x'
/// records path, linkpath, size, mtime, mode, uid, gid; 'g' headers returned and not applied), GNU long names ('L', 'K'),
/// v7 headers, octal and base-256 numbers, and each header's checksum verified. GNU sparse files (type 'S', or the PAX
/// GNU.sparse records) are refused with <see cref="NotSupportedException"/>; damage is an <see cref="InvalidDataException"/>
/// or <see cref="EndOfStreamException"/> (so is a PAX header or GNU long name beyond <see cref="MaxMetadataBytes"/>).
/// </summary>
/// <remarks>
/// Hand-written instead of System.Formats.Tar's TarReader for speed (issue 15): a zstd layer under 1 MB holds half a
/// million empty files, and the scan must reach its entry limit on them within the 2 s. TarReader builds an
/// entry, a header and strings for every field of every entry and keeps each data stream until it is disposed; that
/// was as much time as the decompression and the scan's own work together. This reader keeps one header block, one
/// data stream and the metadata of the entry being read, and decodes only the name (and the link target of a link).
/// Where TarReader and Go's archive/tar (what container runtimes unpack layers with) differ, it reads as Go does: a
/// v7 regular file whose name ends in '/' is a directory, a header checksum may be a signed or an unsigned sum, a
/// PAX record repeated takes its last value, the prefix field counts only under the POSIX magic "ustar\0".
/// </remarks>
internal sealed class TarStreamReader
{
    public const int BlockSize = 512;

    /// <summary>Largest PAX extended header or GNU long name read: more is damage, not a name.</summary>
    public int MaxMetadataBytes { get; }

    private readonly Stream _stream;
    private readonly byte[] _header = new byte[BlockSize];
    private readonly byte[] _nameScratch = new byte[256]; // ustar prefix + '/' + name
    private readonly EntryData _data;
    private byte[]? _metadata;
    private long _dataLeft;     // of the current entry, not yet read
    private int _padding;       // after the current entry's data
    private bool _ended;

    // The current entry.
    private int _nameLength;
    private byte[]? _longName, _longLink;   // GNU 'L' / 'K', or PAX path / linkpath (UTF-8)
    private int _longNameLength, _longLinkLength;
    private bool _nameInScratch;
    private string? _name, _linkName;

    public TarStreamReader(Stream stream, int maxMetadataBytes = 4 << 20)
    {
        _stream = stream;
        MaxMetadataBytes = maxMetadataBytes;
        _data = new EntryData(this);
    }

    public TarEntryType EntryType { get; private set; }
    /// <summary>Bytes of data the entry holds.</summary>
    public long Length { get; private set; }
    public UnixFileMode Mode { get; private set; }
    public int Uid { get; private set; }
    public int Gid { get; private set; }
    public DateTimeOffset ModificationTime { get; private set; }
    /// <summary>Bytes of the tar read so far.</summary>
    public long Position { get; private set; }

    /// <summary>The entry's name as stored (UTF-8): ustar prefix and name joined by '/', or the PAX path or GNU long name.</summary>
    public ReadOnlySpan<byte> NameUtf8 =>
        _longName is not null ? _longName.AsSpan(0, _longNameLength) : _nameInScratch ? _nameScratch.AsSpan(0, _nameLength) : _header.AsSpan(0, _nameLength);

    public string Name => _name ??= Encoding.UTF8.GetString(NameUtf8);

    /// <summary>The link target as stored (empty for entries that are not links, as TarReader answers).</summary>
    public string LinkName => _linkName ??= EntryType is TarEntryType.HardLink or TarEntryType.SymbolicLink
        ? Encoding.UTF8.GetString(_longLink is not null ? _longLink.AsSpan(0, _longLinkLength) : CString(_header.AsSpan(157, 100)))
        : "";

    /// <summary>The entry's data (one stream reused for every entry; valid until <see cref="Next"/>), or null when it holds none.</summary>
    public Stream? DataStream => Length > 0 && DataFollows(EntryType) ? _data : null;

    /// <summary>Moves to the next entry; false at the end of the archive (its zero block, or the stream's end between entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next()
    {
        SkipRest();
        _longName = _longLink = null;
        _name = _linkName = null;
        _nameInScratch = false;
        if (_ended || !ReadHeader(afterMetadata: false)) return End();
        long? paxSize = null;
        int? paxMode = null, paxUid = null, paxGid = null;
        DateTimeOffset? paxTime = null;
        bool sawPax = false, sawLongName = false, sawLongLink = false;
        while (true)
        {
            var type = (TarEntryType)_header[156];
            var metadata = type is TarEntryType.ExtendedAttributes or TarEntryType.LongPath or TarEntryType.LongLink;
            if (!metadata) break;
            // At most one of each before an entry (TarReader refuses a second in a row): a chain of them reads no entry.
            ref var seen = ref type == TarEntryType.ExtendedAttributes ? ref sawPax : ref type == TarEntryType.LongPath ? ref sawLongName : ref sawLongLink;
            if (seen) throw new InvalidDataException($"Two '{(char)type}' metadata headers precede one entry.");
            seen = true;
            var size = ParseNumber(_header.AsSpan(124, 12), "size");
            if (size < 0) throw new InvalidDataException($"A '{(char)type}' header has a negative size.");
            if (size > MaxMetadataBytes) throw new InvalidDataException($"A '{(char)type}' header claims {size} bytes, more than an entry's metadata may hold ({MaxMetadataBytes}).");
            var bytes = ReadMetadata((int)size);
            if (type == TarEntryType.ExtendedAttributes)
                ParsePax(bytes, ref paxSize, ref paxMode, ref paxUid, ref paxGid, ref paxTime);
            else
            {
                var text = CString(bytes);
                var copy = text.ToArray();
                if (type == TarEntryType.LongPath) { _longName = copy; _longNameLength = copy.Length; }
                else { _longLink = copy; _longLinkLength = copy.Length; }
            }
            if (!ReadHeader(afterMetadata: true)) return End(); // TarReader too takes a zero block after metadata as the end
        }

        var h = _header.AsSpan();
        var flag = (TarEntryType)h[156];
        if (flag == TarEntryType.SparseFile) throw new NotSupportedException("Entry type 'SparseFile' (GNU sparse) is not supported.");
        if (flag == TarEntryType.GlobalExtendedAttributes && (sawPax || sawLongName || sawLongLink))
            throw new InvalidDataException("A global extended header follows an entry's metadata header.");
        Length = paxSize ?? ParseNumber(h.Slice(124, 12), "size");
        if (Length < 0) throw new InvalidDataException("An entry has a negative size.");
        Mode = (UnixFileMode)((paxMode ?? checked((int)ParseNumber(h.Slice(100, 8), "mode"))) & 0xFFF);
        Uid = paxUid ?? ToInt(ParseNumber(h.Slice(108, 8), "uid"), "uid");
        Gid = paxGid ?? ToInt(ParseNumber(h.Slice(116, 8), "gid"), "gid");
        ModificationTime = paxTime ?? Timestamp(h.Slice(136, 12));

        if (_longName is null)
        {
            var name = CString(h[..100]);
            // The prefix field holds the leading directories of a long ustar name; GNU headers keep other fields there.
            var prefix = h.Slice(257, 8).SequenceEqual("ustar\0"u8) ? CString(h.Slice(345, 155)) : default;
            if (prefix.IsEmpty) _nameLength = name.Length;
            else
            {
                prefix.CopyTo(_nameScratch);
                _nameScratch[prefix.Length] = (byte)'/';
                name.CopyTo(_nameScratch.AsSpan(prefix.Length + 1));
                _nameLength = prefix.Length + 1 + name.Length;
                _nameInScratch = true;
            }
        }
        if (flag == TarEntryType.V7RegularFile && NameUtf8.EndsWith("/"u8)) flag = TarEntryType.Directory; // as Go's archive/tar
        EntryType = flag;
        if (Length > 0 && !DataFollows(flag))
            throw new InvalidDataException($"An entry of type '{(char)flag}' claims {Length} bytes of data.");
        _dataLeft = Length;
        _padding = (int)((BlockSize - (Length & (BlockSize - 1))) & (BlockSize - 1));
        return true;
    }

    private bool End()
    {
        _ended = true;
        EntryType = default;
        Length = 0;
        _dataLeft = 0;
        _padding = 0;
        return false;
    }

    /// <summary>Types with no data: TarReader refuses one that claims some.</summary>
    private static bool DataFollows(TarEntryType type) => type is not (TarEntryType.Directory or TarEntryType.SymbolicLink or TarEntryType.HardLink
        or TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo);

    /// <summary>Reads a header block; false at the end of the archive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ReadHeader(bool afterMetadata)
    {
        var n = _stream.ReadAtLeast(_header, BlockSize, throwOnEndOfStream: false);
        Position += n;
        if (n < BlockSize)
        {
            // The stream ends between entries (no end-of-archive blocks: umoci 0.4.7 writes such layers), or inside the
            // block after the last one. After a metadata header an entry must follow.
            if (afterMetadata) throw new EndOfStreamException("The tar ends after a metadata header, before its entry.");
            return false;
        }
        var checksumField = _header.AsSpan(148, 8);
        if (!checksumField.ContainsAnyExcept((byte)0)) return false; // an end-of-archive block
        var stored = ParseOctal(checksumField, "checksum");
        if (stored == 0) return false;
        // POSIX sums the bytes unsigned; some old tars summed them signed. Go's archive/tar and GNU tar accept either.
        if (stored != UnsignedSum(_header) && stored != SignedSum(_header))
            throw new InvalidDataException($"The tar header at offset {Position - BlockSize} has a bad checksum.");
        return true;
    }

    /// <summary>The header's bytes summed unsigned, the checksum field counted as eight spaces.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long UnsignedSum(byte[] h)
    {
        long sum = 0;
        var span = h.AsSpan();
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var acc = Vector<ushort>.Zero;
            for (; i + Vector<byte>.Count <= BlockSize; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(span[i..]), out var lo, out var hi);
                acc += lo + hi; // at most 2 * 255 * 512 / Count per lane: no overflow
            }
            sum = (long)Vector.Sum(Vector.WidenLower(acc)) + Vector.Sum(Vector.WidenUpper(acc));
        }
        for (; i < BlockSize; i++) sum += span[i];
        foreach (var b in span.Slice(148, 8)) sum -= b;
        return sum + 8 * ' ';
    }

    private static long SignedSum(byte[] h)
    {
        long sum = 0;
        for (var i = 0; i < BlockSize; i++) sum += i is >= 148 and < 156 ? ' ' : (sbyte)h[i];
        return sum;
    }

    private ReadOnlySpan<byte> ReadMetadata(int size)
    {
        if (_metadata is null || _metadata.Length < size) _metadata = new byte[Math.Max(size, 4096)];
        var span = _metadata.AsSpan(0, size);
        _stream.ReadExactly(span);
        Position += size;
        var padding = (BlockSize - (size & (BlockSize - 1))) & (BlockSize - 1);
        Skip(padding, allowEnd: false);
        return span;
    }

    /// <summary>Skips what is left of the current entry's data and its padding.</summary>
    private void SkipRest()
    {
        if (_dataLeft > 0) Skip(_dataLeft, allowEnd: false);
        _dataLeft = 0;
        // The stream may end inside the padding of the last entry: every entry was read whole.
        if (_padding > 0 && !Skip(_padding, allowEnd: true)) _ended = true;
        _padding = 0;
    }

    private byte[]? _skip;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Skip(long count, bool allowEnd)
    {
        if (count <= 0) return true;
        _skip ??= new byte[1 << 16];
        while (count > 0)
        {
            var n = _stream.Read(_skip, 0, (int)Math.Min(count, _skip.Length));
            if (n == 0)
            {
                if (allowEnd) return false;
                throw new EndOfStreamException("The tar ends inside an entry's data.");
            }
            Position += n;
            count -= n;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ReadData(Span<byte> buffer)
    {
        if (_dataLeft <= 0 || buffer.IsEmpty) return 0;
        if (buffer.Length > _dataLeft) buffer = buffer[..(int)_dataLeft];
        var n = _stream.Read(buffer);
        if (n == 0) throw new EndOfStreamException("The tar ends inside an entry's data.");
        Position += n;
        _dataLeft -= n;
        return n;
    }

    /// <summary>PAX records "LENGTH KEY=VALUE\n" (POSIX pax, "pax Extended Header"); a malformed one makes the header corrupt.</summary>
    private void ParsePax(ReadOnlySpan<byte> data, ref long? size, ref int? mode, ref int? uid, ref int? gid, ref DateTimeOffset? time)
    {
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(data[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > data.Length || data[length - 1] != (byte)'\n')
                throw new InvalidDataException("A PAX extended header holds a malformed record.");
            var record = data[(space + 1)..(length - 1)];
            data = data[length..];
            var equals = record.IndexOf((byte)'=');
            if (equals < 0) throw new InvalidDataException("A PAX extended header holds a record without '='.");
            var key = record[..equals];
            var value = record[(equals + 1)..];
            if (key.StartsWith("GNU.sparse."u8))
                throw new NotSupportedException("The entry is a GNU sparse file (PAX GNU.sparse records), which is not supported.");
            if (key.SequenceEqual("path"u8)) { _longName = value.ToArray(); _longNameLength = value.Length; }
            else if (key.SequenceEqual("linkpath"u8)) { _longLink = value.ToArray(); _longLinkLength = value.Length; }
            else if (value.IsEmpty) continue; // TarReader ignores an empty number
            else if (key.SequenceEqual("size"u8))
            {
                size = ParseDecimal(value, "size");
                if (size < 0) throw new InvalidDataException("A PAX size is negative.");
            }
            else if (key.SequenceEqual("mode"u8)) mode = ToInt(ParseDecimal(value, "mode"), "mode");
            else if (key.SequenceEqual("uid"u8)) uid = ToInt(ParseDecimal(value, "uid"), "uid");
            else if (key.SequenceEqual("gid"u8)) gid = ToInt(ParseDecimal(value, "gid"), "gid");
            else if (key.SequenceEqual("mtime"u8) && decimal.TryParse(value, NumberStyles.Any, CultureInfo.InvariantCulture, out var seconds))
            {
                // Seconds since the epoch with a fraction; TarReader ignores a value that is not a number.
                var ticks = seconds * TimeSpan.TicksPerSecond + DateTime.UnixEpoch.Ticks;
                if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
                    throw new InvalidDataException("A PAX mtime is out of range.");
                time = new DateTimeOffset((long)ticks, TimeSpan.Zero);
            }
        }
    }

    private static long ParseDecimal(ReadOnlySpan<byte> value, string field) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidDataException($"A PAX {field} is not a number.");

    private static int ToInt(long value, string field) =>
        value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new InvalidDataException($"A tar {field} of {value} is out of range.");

    /// <summary>A field up to its first NUL.</summary>
    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }

    /// <summary>
    /// A numeric field: octal text, or GNU's base-256 (a first byte of 0x80 then a big-endian positive number, or 0xff and
    /// a two's complement negative one), as TarReader and Go's archive/tar read them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ParseNumber(ReadOnlySpan<byte> field, string name)
    {
        if (field[0] == 0x80 || field[0] == 0xff)
        {
            var negative = field[0] == 0xff;
            var rest = field[1..];
            var significant = rest.IndexOfAnyExcept(negative ? (byte)0xff : (byte)0);
            if (significant >= 0 && rest.Length - significant > 8) throw new InvalidDataException($"A tar {name} field holds a base-256 number too large.");
            long v = negative ? -1 : 0;
            foreach (var b in rest) v = (v << 8) | b;
            if (negative ? v >= 0 : v < 0) throw new InvalidDataException($"A tar {name} field holds a base-256 number too large.");
            return v;
        }
        return ParseOctal(field, name);
    }

    /// <summary>Octal digits up to the first NUL, spaces around them ignored (as TarReader does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long ParseOctal(ReadOnlySpan<byte> field, string name)
    {
        var text = CString(field).Trim((byte)' ');
        long v = 0;
        foreach (var b in text)
        {
            var digit = (uint)(b - '0');
            if (digit >= 8) throw new InvalidDataException($"A tar {name} field is not an octal number.");
            if (v > (long.MaxValue >> 3)) throw new InvalidDataException($"A tar {name} field is too large.");
            v = (v << 3) | digit;
        }
        return v;
    }

    /// <summary>Seconds since the epoch; a field of zeros is no time (TarReader's default).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static DateTimeOffset Timestamp(ReadOnlySpan<byte> field)
    {
        if (!field.ContainsAnyExcept((byte)0)) return default;
        var seconds = ParseNumber(field, "mtime");
        const long maxSeconds = (long.MaxValue - 621_355_968_000_000_000) / TimeSpan.TicksPerSecond;
        if (seconds > maxSeconds || seconds < -maxSeconds) throw new InvalidDataException($"A tar mtime of {seconds} is out of range.");
        var ticks = seconds * TimeSpan.TicksPerSecond + DateTime.UnixEpoch.Ticks;
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
            throw new InvalidDataException($"A tar mtime of {seconds} is out of range.");
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>The current entry's data: reads stop at its end; the stream ending before it is damage.</summary>
    private sealed class EntryData(TarStreamReader reader) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => reader.ReadData(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer) => reader.ReadData(buffer);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => reader.Length;
        public override long Position { get => reader.Length - reader._dataLeft; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
