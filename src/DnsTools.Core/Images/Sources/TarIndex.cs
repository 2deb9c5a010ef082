using System.Text;

namespace DnsTools.Core.Images;

/// <summary>
/// The entries of an uncompressed tar file with their data offsets, so members (blobs, layers)
/// can be read in place without unpacking. Understands ustar, GNU long names and PAX paths;
/// symbolic and hard links between members are followed on <see cref="Open"/>.
/// </summary>
internal sealed class TarIndex : IDisposable
{
    private readonly record struct Member(long Offset, long Size, char Type, string? LinkName);

    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);

    private TarIndex(string file) => File = file;

    public string File { get; }

    public IEnumerable<string> Names => _members.Keys;

    public static TarIndex Open(string file)
    {
        var index = new TarIndex(file);
        FileStream fs;
        try
        {
            fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageException(ImageErrorKind.NotFound, file, $"'{file}': no such file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException(ImageErrorKind.NotFound, file, $"'{file}' cannot be read: {e.Message}", e);
        }
        using (fs)
        {
            try
            {
                index.Scan(fs);
            }
            catch (Exception e) when (e is OverflowException or IOException or ArgumentException)
            {
                throw new ImageException(ImageErrorKind.Corrupt, file, $"'{file}' is a corrupt tar: {e.Message}", e);
            }
        }
        return index;
    }

    private void Scan(FileStream fs)
    {
        var header = new byte[512];
        var length = fs.Length;
        long pos = 0;
        string? longName = null, longLink = null, paxPath = null, paxLink = null;
        long? paxSize = null;
        var count = 0;
        while (true)
        {
            if (pos + 512 > length)
            {
                if (count == 0) throw NotTar("it is shorter than one tar header");
                return; // no end-of-archive marker: accepted
            }
            fs.Position = pos;
            fs.ReadExactly(header);
            if (header.All(b => b == 0)) return;
            if (!ChecksumOk(header)) throw count == 0 ? NotTar("its first block is not a tar header") : Corrupt($"the tar header at offset {pos} has a bad checksum");
            if (++count > 10_000_000) throw Corrupt("it holds more than 10 million entries");
            var type = (char)header[156];
            var size = ParseNumber(header.AsSpan(124, 12), pos);
            var dataStart = pos + 512;
            if (size < 0 || dataStart + size > length) throw Corrupt($"the entry at offset {pos} claims {size} bytes but the file ends at {length} (truncated?)");
            pos = dataStart + ((size + 511) & ~511L);
            switch (type)
            {
                case 'L': longName = ReadString(fs, dataStart, size); continue;
                case 'K': longLink = ReadString(fs, dataStart, size); continue;
                case 'x':
                    foreach (var (k, v) in ParsePax(ReadString(fs, dataStart, size)))
                    {
                        if (k == "path") paxPath = v;
                        else if (k == "linkpath") paxLink = v;
                        else if (k == "size" && long.TryParse(v, out var s)) paxSize = s;
                    }
                    continue;
                case 'g': continue;
            }
            var name = paxPath ?? longName ?? UstarName(header);
            var link = paxLink ?? longLink ?? CString(header.AsSpan(157, 100));
            if (paxSize is { } ps)
            {
                size = ps;
                pos = dataStart + ((size + 511) & ~511L);
            }
            longName = longLink = paxPath = paxLink = null;
            paxSize = null;
            var key = Normalize(name);
            if (key.Length > 0) _members[key] = new Member(dataStart, size, type == '\0' ? '0' : type, link.Length > 0 ? link : null);
        }
    }

    private ImageException NotTar(string why) => new(ImageErrorKind.NotAnImage, File, $"'{File}' is not an image archive: {why}.");

    private ImageException Corrupt(string why) => new(ImageErrorKind.Corrupt, File, $"'{File}' is a corrupt tar: {why}.");

    private static bool ChecksumOk(byte[] h)
    {
        long sum = 0;
        for (var i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? 32 : h[i];
        var text = CString(h.AsSpan(148, 8)).Trim(' ', '\0');
        if (text.Length == 0) return false;
        try { return Convert.ToInt64(text, 8) == sum; }
        catch (FormatException) { return false; }
    }

    private long ParseNumber(ReadOnlySpan<byte> field, long at)
    {
        if ((field[0] & 0x80) != 0)
        {
            long v = field[0] & 0x7f;
            for (var i = 1; i < field.Length; i++) v = checked((v << 8) | field[i]);
            return v;
        }
        var text = CString(field).Trim(' ', '\0');
        if (text.Length == 0) return 0;
        try { return Convert.ToInt64(text, 8); }
        catch (FormatException) { throw Corrupt($"the header at offset {at} has a bad number '{text}'"); }
    }

    private static string UstarName(byte[] h)
    {
        var name = CString(h.AsSpan(0, 100));
        if (Encoding.ASCII.GetString(h, 257, 5) == "ustar")
        {
            var prefix = CString(h.AsSpan(345, 155));
            if (prefix.Length > 0) name = prefix + "/" + name;
        }
        return name;
    }

    private static string CString(ReadOnlySpan<byte> s)
    {
        var end = s.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? s : s[..end]);
    }

    private static string ReadString(FileStream fs, long at, long size)
    {
        if (size > 1 << 20) size = 1 << 20;
        var buf = new byte[size];
        fs.Position = at;
        fs.ReadExactly(buf);
        return CString(buf);
    }

    internal static IEnumerable<(string Key, string Value)> ParsePax(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var sp = text.IndexOf(' ', i);
            if (sp < 0 || !int.TryParse(text.AsSpan(i, sp - i), out var len) || len <= 0 || i + len > text.Length + 1) yield break;
            var record = text.Substring(sp + 1, Math.Max(0, Math.Min(len - (sp - i) - 2, text.Length - sp - 1)));
            var eq = record.IndexOf('=');
            if (eq > 0) yield return (record[..eq], record[(eq + 1)..]);
            i += len;
        }
    }

    /// <summary>"./a/b/" → "a/b"; "" for the root.</summary>
    internal static string Normalize(string name)
    {
        var parts = new List<string>();
        foreach (var p in name.Split('/'))
        {
            if (p is "" or ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return string.Join('/', parts);
    }

    public bool Contains(string name) => _members.ContainsKey(Normalize(name));

    /// <summary>Size of a member after following links, or null when it is not there.</summary>
    public long? SizeOf(string name) => TryResolve(name, out var m) ? m.Size : null;

    private bool TryResolve(string name, out Member member)
    {
        var key = Normalize(name);
        for (var hops = 0; hops < 16; hops++)
        {
            if (!_members.TryGetValue(key, out member)) return false;
            if (member.Type == '1' && member.LinkName is { } hard) { key = Normalize(hard); continue; }
            if (member.Type == '2' && member.LinkName is { } sym)
            {
                var dir = key.Contains('/') ? key[..key.LastIndexOf('/')] : "";
                key = Normalize(sym.StartsWith('/') ? sym : dir + "/" + sym);
                continue;
            }
            return member.Type is '0' or '7';
        }
        member = default;
        return false;
    }

    public Stream OpenMember(string name)
    {
        if (!TryResolve(name, out var m))
            throw new ImageException(ImageErrorKind.NotAnImage, File, $"'{File}' has no member '{name}' (or it is not a regular file).");
        var fs = new FileStream(File, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return new SubStream(fs, m.Offset, m.Size);
    }

    public void Dispose() { }
}

/// <summary>A read-only window onto a seekable stream; disposes the stream.</summary>
internal sealed class SubStream : Stream
{
    private readonly Stream _inner;
    private readonly long _start;
    private readonly long _length;
    private long _pos;

    public SubStream(Stream inner, long start, long length)
    {
        _inner = inner;
        _start = start;
        _length = length;
        _inner.Position = start;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _pos;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var left = _length - _pos;
        if (left <= 0) return 0;
        if (buffer.Length > left) buffer = buffer[..(int)left];
        var n = _inner.Read(buffer);
        if (n == 0) throw new EndOfStreamException("The archive ended inside a member.");
        _pos += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _pos + offset, _ => _length + offset };
        if (target < 0 || target > _length) throw new IOException("Seek outside the member.");
        _pos = target;
        _inner.Position = _start + target;
        return _pos;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
