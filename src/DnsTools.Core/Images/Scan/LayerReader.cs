using System.Buffers;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace DnsTools.Core.Images;

/// <summary>One entry of a layer tar, as read: one instance is reused for every entry, valid only during the visit.</summary>
internal sealed class LayerEntry
{
    public string Path { get; set; } = "";               // "/etc/resolv.conf"
    public ImageFileType Type { get; set; }
    public long Size { get; set; }
    public UnixFileMode Mode { get; set; }
    public int Uid { get; set; }
    public int Gid { get; set; }
    public DateTimeOffset ModifiedTime { get; set; }
    public string? LinkTarget { get; set; }             // symlink text, or hardlink target as "/path"
    public Stream? Data { get; set; }
}

/// <summary>Streams a layer blob: sniffs the compression, verifies digests while reading, and never touches the disk.</summary>
internal static class LayerReader
{
    /// <summary>Reads a layer; returns the digest of the blob and, when computed, of the uncompressed tar.</summary>
    public static (string Blob, string? DiffId) Read(Stream rawStream, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, Action<long>? progress, CancellationToken ct,
        ImageScanOptions? options = null)
    {
        options ??= new ImageScanOptions();
        var maxPathLength = options.MaxPathLength;
        var name = layer.Name;
        // Disposed in the finally below, before the streams and their hashes.
        using var hasher = BackgroundHasher.Useful ? new BackgroundHasher(name) : null;
        using var reading = BackgroundHasher.Reading();
        using var raw = new MeteredStream(rawStream, layer.ExpectedBlobDigest ?? layer.DiffId ?? "sha256:", ct, progress, null, hasher);
        var head = raw.Peek(4);
        var compression = MediaTypes.Sniff(head);
        // Both metered streams read in 64 KB blocks: TarReader's 512-byte header reads stay cheap.
        Stream decoded = compression switch
        {
            LayerCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
            LayerCompression.Zstd => new SharpCompress.Compressors.ZStandard.DecompressionStream(raw, 1 << 17, checkEndOfStream: false, leaveOpen: true),
            _ => raw,
        };
        // The diff id is the digest of the uncompressed tar; for an uncompressed blob it is the blob digest itself. When the
        // blob's own digest is checked, that digest already pins every byte read (the manifest naming the blob and the
        // config naming the diff id both hang off one digest-checked manifest), so the tar is not hashed a second time:
        // that pass was a third of a profile's CPU (issue 11). Without a blob digest (docker save's older layout) the
        // diff id is the only check, and export streams need it to map their layers.
        var diffIdCheck = compression == LayerCompression.None ? null
            : layer.HashUncompressed ? layer.DiffId ?? "sha256:"
            : layer.ExpectedBlobDigest is null ? layer.DiffId : null;
        using var tarStream = new MeteredStream(decoded, diffIdCheck, ct, null, budget, hasher);
        if (compression != LayerCompression.None)
            tarStream.LimitRatio(raw, options.MaxCompressionRatio, () => new ImageException(ImageErrorKind.LimitExceeded, name,
                $"Image '{layer.Image}': layer {name} decompresses to more than {options.MaxCompressionRatio} times its compressed size (a decompression bomb; -MaxCompressionRatio)."));
        string blobDigest;
        string? diff;
        try
        {
            ReadEntries(tarStream, layer, budget, visit, maxPathLength, PassingEntries(options), ct);
            tarStream.Drain();
            raw.Drain();
            tarStream.CompleteHash();
            raw.CompleteHash();
            hasher?.Complete();
            blobDigest = raw.FinishDigest();
            diff = compression == LayerCompression.None ? blobDigest : diffIdCheck is null ? null : tarStream.FinishDigest();
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            // A stream aborted because of the cancellation (a network read cut off): report the stop, not damage.
            throw new OperationCanceledException("The read was stopped.", e, ct);
        }
        catch (NotSupportedException e)
        {
            // GNU sparse entries (type 'S', or the PAX GNU.sparse records) are not read.
            throw new ImageException(ImageErrorKind.Unsupported, name, $"Image '{layer.Image}': layer {name} holds an entry that cannot be read (GNU sparse files are not supported): {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException or SharpCompress.Compressors.ZStandard.ZstdException
                                      or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, name, $"Image '{layer.Image}': layer {name} is truncated or corrupt: {e.Message}", e);
        }
        finally
        {
            hasher?.Dispose();
            if (decoded != raw) decoded.Dispose(); // the decompressor (raw, for uncompressed layers, is disposed with its digest taken)
        }

        if (layer.ExpectedBlobDigest is { } want && blobDigest != want)
            throw new ImageException(ImageErrorKind.DigestMismatch, name, $"Image '{layer.Image}': layer {want} does not match its content (sha {blobDigest}).");
        if (layer.DiffId is { } wantDiff && diff is not null && diff != wantDiff)
            throw new ImageException(ImageErrorKind.DigestMismatch, name, $"Image '{layer.Image}': layer {name} does not match its diff id {wantDiff} (sha of the tar {diff}).");
        return (blobDigest, diff);
    }

    /// <summary>
    /// Bytes of a PAX extended header or GNU long name read: enough for a name of a million characters (then refused as
    /// longer than PATH_MAX, a limit), more when -MaxPathLength is raised that far; larger is damage.
    /// </summary>
    /// <summary>
    /// Entries a layer may pass through the reader, kept or not: twice the entries a scan may hold (a layer's own entries
    /// plus as many whiteouts or entries it replaces), at least a million, so that a small input of millions of empty headers
    /// stops within the issue's 2 s (about 1 microsecond an entry) and a user who raises -MaxEntries raises this too.
    /// </summary>
    private static long PassingEntries(ImageScanOptions options) => Math.Max(2L * options.MaxEntries, 1_000_000);

    private static int MetadataLimit(int maxPathLength) => (int)Math.Clamp(4L * maxPathLength + 4096, 4 << 20, Array.MaxLength);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadEntries(MeteredStream tar, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, int maxPathLength, long maxPassing, CancellationToken ct)
    {
        var reader = new TarStreamReader(tar, MetadataLimit(maxPathLength));
        var entry = new LayerEntry();
        var count = 0;
        while (reader.Next())
        {
            ct.ThrowIfCancellationRequested();
            if (++count > maxPassing) throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name, $"Image '{layer.Image}': layer {layer.Name} holds more than {maxPassing} entries (twice -MaxEntries, at least a million).");
            var length = reader.Length;
            if (length > budget.Max)
                throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name, $"Image '{layer.Image}': layer {layer.Name} entry '{Shorten(reader.Name)}' claims {length} bytes, more than the {budget.Max}-byte ceiling.");
            var type = reader.EntryType switch
            {
                TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => ImageFileType.File,
                TarEntryType.Directory => ImageFileType.Directory,
                TarEntryType.SymbolicLink => ImageFileType.SymbolicLink,
                TarEntryType.HardLink => ImageFileType.HardLink,
                TarEntryType.CharacterDevice => ImageFileType.CharacterDevice,
                TarEntryType.BlockDevice => ImageFileType.BlockDevice,
                TarEntryType.Fifo => ImageFileType.Fifo,
                TarEntryType.GlobalExtendedAttributes => (ImageFileType)(-1),
                _ => ImageFileType.Other,
            };
            if ((int)type == -1) continue;
            var name = reader.NameUtf8;
            var linkName = type is ImageFileType.SymbolicLink or ImageFileType.HardLink ? reader.LinkName : null;
            // A path longer than Linux's PATH_MAX names nothing a container could open: refused before it is taken apart.
            // (UTF-8 never has fewer bytes than characters: only a long name is counted.)
            var nameTooLong = name.Length > maxPathLength && Encoding.UTF8.GetCharCount(name) > maxPathLength;
            if (nameTooLong || linkName?.Length > maxPathLength)
                throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name,
                    $"Image '{layer.Image}': layer {layer.Name} entry '{Shorten(reader.Name)}' has a {(nameTooLong ? "name" : "link target")} of more than {maxPathLength} characters (PATH_MAX; -MaxPathLength).");
            var path = CleanPath(name) ?? EntryPath(reader.Name, layer, "entry");
            if (path == "/") continue; // the root itself
            entry.Path = path;
            entry.Type = type;
            entry.Size = type == ImageFileType.File ? length : type == ImageFileType.SymbolicLink ? linkName!.Length : 0;
            entry.Mode = reader.Mode;
            entry.Uid = reader.Uid;
            entry.Gid = reader.Gid;
            entry.ModifiedTime = reader.ModificationTime;
            entry.LinkTarget = type switch
            {
                ImageFileType.SymbolicLink => linkName,
                ImageFileType.HardLink => EntryPath(linkName!, layer, $"hard link '{reader.Name}' target"),
                _ => null,
            };
            entry.Data = type == ImageFileType.File ? reader.DataStream : null;
            visit(entry);
            // Whatever the visitor left unread is skipped by the next Next.
        }
    }

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "...";

    /// <summary>"./etc/x", "etc/x/" → "/etc/x". Absolute names and ".." are refused: a layer may not reach outside the image root.</summary>
    internal static string EntryPath(string name, ImageLayerInfo layer, string what)
    {
        if (CleanPath(name) is { } clean) return clean;
        if (name.StartsWith('/'))
            throw new ImageException(ImageErrorKind.UnsafePath, layer.Name, $"Image '{layer.Image}': layer {layer.Name} {what} '{name}' is an absolute path; layer entries must be relative to the image root.");
        var parts = new List<string>();
        foreach (var p in name.Split('/'))
        {
            if (p is "" or ".") continue;
            if (p == "..")
                throw new ImageException(ImageErrorKind.UnsafePath, layer.Name, $"Image '{layer.Image}': layer {layer.Name} {what} '{name}' climbs out with '..' (path traversal).");
            if (p.Contains('\0')) throw new ImageException(ImageErrorKind.UnsafePath, layer.Name, $"Image '{layer.Image}': layer {layer.Name} {what} has a NUL in its name.");
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// "etc/x", "./etc/x", "etc/x/" → "/etc/x" without splitting, for the names most layers hold (no "." or ".."
    /// components, no empty ones, no NUL); null for anything else, which <see cref="EntryPath"/> takes apart.
    /// </summary>
    private static string? CleanPath(string name)
    {
        var s = name.AsSpan();
        while (s.StartsWith("./")) s = s[2..];
        if (s.EndsWith("/")) s = s[..^1];
        if (s.IsEmpty || s[0] == '/' || s.IndexOf('\0') >= 0) return null;
        for (var rest = s; ;)
        {
            var slash = rest.IndexOf('/');
            var part = slash < 0 ? rest : rest[..slash];
            if (part.IsEmpty || part is "." or "..") return null;
            if (slash < 0) break;
            rest = rest[(slash + 1)..];
        }
        return string.Concat("/", s);
    }

    /// <summary><see cref="CleanPath(string)"/> on the UTF-8 name as stored, decoded once into the path it returns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? CleanPath(ReadOnlySpan<byte> name)
    {
        var s = name;
        while (s.StartsWith("./"u8)) s = s[2..];
        if (s.EndsWith("/"u8)) s = s[..^1];
        if (s.IsEmpty || s[0] == '/' || s.IndexOf((byte)0) >= 0) return null;
        for (var rest = s; ;)
        {
            var slash = rest.IndexOf((byte)'/');
            var part = slash < 0 ? rest : rest[..slash];
            if (part.IsEmpty || part.SequenceEqual("."u8) || part.SequenceEqual(".."u8)) return null;
            if (slash < 0) break;
            rest = rest[(slash + 1)..];
        }
        // '/', '.' and NUL are single bytes in UTF-8 and never part of another character: the checks above hold for the
        // decoded text too (bytes that are not UTF-8 decode to U+FFFD, as TarReader decoded them).
        var length = Encoding.UTF8.GetCharCount(s) + 1;
        var rented = length > 512 ? ArrayPool<char>.Shared.Rent(length) : null;
        var chars = rented is null ? stackalloc char[length] : rented.AsSpan(0, length);
        chars[0] = '/';
        Encoding.UTF8.GetChars(s, chars[1..]);
        var path = new string(chars);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        return path;
    }
}

/// <summary>
/// Hashes blocks on a thread of its own, so a layer's two digests (a third of a scan's work) run beside its
/// decompression on a core no other layer keeps busy. The queue is bounded: a slow hasher holds the reader back,
/// and at most a few blocks are in memory.
/// </summary>
internal sealed class BackgroundHasher : IDisposable
{
    public const int BlockSize = 1 << 16;
    /// <summary>Worth it only with a second core to hash on.</summary>
    public static bool Useful { get; } = Environment.ProcessorCount > 1;

    private static int s_reading;

    /// <summary>Counts the layers being read in this process, so blocks are hashed in place while every core already decompresses.</summary>
    public static IDisposable Reading()
    {
        Interlocked.Increment(ref s_reading);
        return new Leave();
    }

    private sealed class Leave : IDisposable
    {
        private int _left;
        public void Dispose() { if (Interlocked.Exchange(ref _left, 1) == 0) Interlocked.Decrement(ref s_reading); }
    }

    /// <summary>Whether the next block of a hash goes to the hashing thread: yes while one of its blocks waits there (order), else when a core is free.</summary>
    public bool Offload => Volatile.Read(ref _pending) > 0 || Volatile.Read(ref s_reading) < Environment.ProcessorCount;

    private int _pending;

    private readonly BlockingCollection<(IncrementalHash Hash, byte[] Block, int Length)> _queue = new(boundedCapacity: 8);
    // Blocks are kept for the next layer and the next scan, not left to the garbage collector (whose pauses stop
    // every layer's thread); a few dozen at most.
    private static readonly ConcurrentQueue<byte[]> s_free = new();
    private readonly Thread _thread;
    private Exception? _error;

    public BackgroundHasher(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "hash " + name };
        _thread.Start();
    }

    private void Run()
    {
        foreach (var (hash, block, length) in _queue.GetConsumingEnumerable())
        {
            try
            {
                if (_error is null) hash.AppendData(block, 0, length);
            }
            catch (Exception e)
            {
                _error = e; // reported by Complete; the queue is still emptied so the reader never waits on it
            }
            Return(block);
            Interlocked.Decrement(ref _pending);
        }
    }

    public static byte[] Rent() => s_free.TryDequeue(out var b) ? b : new byte[BlockSize];

    public static void Return(byte[] block)
    {
        if (s_free.Count < 48) s_free.Enqueue(block);
    }

    /// <summary>Queues a block (which this hasher then owns); waits while the queue is full.</summary>
    public void Add(IncrementalHash hash, byte[] block, int length, CancellationToken ct)
    {
        Interlocked.Increment(ref _pending);
        try { _queue.Add((hash, block, length), ct); }
        catch { Interlocked.Decrement(ref _pending); throw; }
    }

    /// <summary>Waits until every queued block is hashed.</summary>
    public void Complete()
    {
        Dispose();
        if (_error is not null) throw new InvalidOperationException("Hashing failed: " + _error.Message, _error);
    }

    public void Dispose()
    {
        if (!_queue.IsAddingCompleted) _queue.CompleteAdding();
        _thread.Join();
    }
}

/// <summary>
/// Reads its inner stream in blocks and hands them out; counts, hashes (here or on a <see cref="BackgroundHasher"/>),
/// checks cancellation and the byte ceiling, and notes where the stream ended.
/// </summary>
internal sealed class MeteredStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash? _hash;
    private readonly string? _algorithmOf;
    private readonly CancellationToken _ct;
    private readonly Action<long>? _progress;
    private readonly ByteBudget? _budget;
    private readonly BackgroundHasher? _hasher;
    private byte[] _block;
    private int _pos, _len;
    private long _lastReport;

    public MeteredStream(Stream inner, string? digestLike, CancellationToken ct, Action<long>? progress, ByteBudget? budget, BackgroundHasher? hasher = null)
    {
        _inner = inner;
        _algorithmOf = digestLike;
        _hash = digestLike is null ? null : Digests.Create(digestLike);
        _hasher = _hash is null ? null : hasher;
        _ct = ct;
        _progress = progress;
        _budget = budget;
        _block = BackgroundHasher.Rent();
    }

    public long Count { get; private set; }
    public bool SawEnd { get; private set; }

    /// <summary>Free decompressed bytes before the ratio counts: small layers of zeros are real (empty files, padding).</summary>
    private const long RatioFreeBytes = 256L << 20;
    private MeteredStream? _compressed;
    private long _maxRatio;
    private Func<Exception>? _ratioExceeded;

    /// <summary>Stops the read once this (decompressed) stream has given more than <paramref name="maxRatio"/> times what <paramref name="compressed"/> has.</summary>
    public void LimitRatio(MeteredStream compressed, long maxRatio, Func<Exception> exceeded)
    {
        _compressed = compressed;
        _maxRatio = Math.Max(1, maxRatio);
        _ratioExceeded = exceeded;
    }

    /// <summary>The first <paramref name="n"/> bytes (fewer at the end), before any read; they are read again.</summary>
    public byte[] Peek(int n)
    {
        _len = _inner.ReadAtLeast(_block, n, throwOnEndOfStream: false);
        return _block[..Math.Min(n, _len)];
    }

    /// <summary>Hashes what the block holds (all of it was handed out by now) and reads the next one.</summary>
    private bool Fill()
    {
        HashBlock();
        _pos = 0;
        _len = _inner.Read(_block);
        return _len > 0;
    }

    private void HashBlock()
    {
        if (_len == 0 || _hash is null) return;
        if (_hasher is { Offload: true })
        {
            _hasher.Add(_hash, _block, _len, _ct);
            _block = BackgroundHasher.Rent();
        }
        else _hash.AppendData(_block, 0, _len);
        _len = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int Read(Span<byte> buffer)
    {
        _ct.ThrowIfCancellationRequested();
        if (buffer.Length == 0) return 0;
        if (_pos == _len && !Fill()) { SawEnd = true; return 0; }
        var n = Math.Min(buffer.Length, _len - _pos);
        _block.AsSpan(_pos, n).CopyTo(buffer);
        _pos += n;
        Count += n;
        _budget?.Charge(n);
        if (_compressed is not null && Count > RatioFreeBytes && Count / _maxRatio > _compressed.Count) throw _ratioExceeded!();
        if (_progress is not null && Count - _lastReport >= 1 << 18)
        {
            _lastReport = Count;
            _progress(Count);
        }
        return n;
    }

    public void Drain()
    {
        var buf = ArrayPool<byte>.Shared.Rent(1 << 16);
        while (Read(buf) > 0) { }
        ArrayPool<byte>.Shared.Return(buf);
        _progress?.Invoke(Count);
    }

    /// <summary>Passes the last block to the hash (after <see cref="Drain"/>); then, with a hasher, wait for it before <see cref="FinishDigest"/>.</summary>
    public void CompleteHash() => HashBlock();

    public string FinishDigest() => Digests.Format(_algorithmOf!, _hash!.GetHashAndReset());

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Count; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash?.Dispose(); // the hasher is done with it by now (completed or disposed first)
            if (_block.Length > 0) BackgroundHasher.Return(_block);
            _block = Array.Empty<byte>();
        }
        base.Dispose(disposing);
    }
}
