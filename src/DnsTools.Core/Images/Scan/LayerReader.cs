using System.Buffers;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace DnsTools.Core.Images;

/// <summary>One entry of a layer tar, as read (data valid only during the visit).</summary>
internal sealed class LayerEntry
{
    public required string Path { get; init; }          // "/etc/resolv.conf"
    public required ImageFileType Type { get; init; }
    public long Size { get; init; }
    public UnixFileMode Mode { get; init; }
    public int Uid { get; init; }
    public int Gid { get; init; }
    public DateTimeOffset ModifiedTime { get; init; }
    public string? LinkTarget { get; init; }             // symlink text, or hardlink target as "/path"
    public Stream? Data { get; init; }
}

/// <summary>Streams a layer blob: sniffs the compression, verifies digests while reading, and never touches the disk.</summary>
internal static class LayerReader
{
    /// <summary>Reads a layer; returns the digest of the blob and, when computed, of the uncompressed tar.</summary>
    public static (string Blob, string? DiffId) Read(Stream rawStream, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, Action<long>? progress, CancellationToken ct,
        int maxPathLength = ImageScanOptions.DefaultMaxPathLength)
    {
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
        string blobDigest;
        string? diff;
        try
        {
            ReadEntries(tarStream, layer, budget, visit, maxPathLength, ct);
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
            // .NET's TarReader reads no GNU sparse entries (type 'S', or the PAX GNU.sparse forms).
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

    private static void ReadEntries(MeteredStream tar, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, int maxPathLength, CancellationToken ct)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        var skip = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long dataEnd = 0, paddedEnd = 0;
            var count = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                TarEntry? entry;
                try
                {
                    entry = reader.GetNextEntry(copyData: false);
                }
                catch (EndOfStreamException) when (tar.SawEnd && tar.Position >= dataEnd && tar.Position <= paddedEnd + 512)
                {
                    return; // no end-of-archive marker, maybe no padding (umoci 0.4.7 writes such layers): every entry was read whole
                }
                if (entry is null) return;
                if (++count > 5_000_000) throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name, $"Image '{layer.Image}': layer {layer.Name} holds more than 5 million entries.");
                var length = entry.Length;
                if (length < 0 || length > budget.Max)
                    throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name, $"Image '{layer.Image}': layer {layer.Name} entry '{entry.Name}' claims {length} bytes, more than the {budget.Max}-byte ceiling.");
                dataEnd = tar.Position + length;
                paddedEnd = tar.Position + ((length + 511) & ~511L);
                var type = entry.EntryType switch
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
                // A path longer than Linux's PATH_MAX names nothing a container could open: refused before it is taken apart.
                if (entry.Name.Length > maxPathLength || entry.LinkName.Length > maxPathLength)
                    throw new ImageException(ImageErrorKind.LimitExceeded, layer.Name,
                        $"Image '{layer.Image}': layer {layer.Name} entry '{Shorten(entry.Name)}' has a {(entry.Name.Length > maxPathLength ? "name" : "link target")} of more than {maxPathLength} characters (PATH_MAX; -MaxPathLength).");
                var path = EntryPath(entry.Name, layer, "entry");
                if (path == "/") continue; // the root itself
                var link = type switch
                {
                    ImageFileType.SymbolicLink => entry.LinkName,
                    ImageFileType.HardLink => EntryPath(entry.LinkName, layer, $"hard link '{entry.Name}' target"),
                    _ => null,
                };
                visit(new LayerEntry
                {
                    Path = path,
                    Type = type,
                    Size = type == ImageFileType.File ? length : type == ImageFileType.SymbolicLink ? (entry.LinkName?.Length ?? 0) : 0,
                    Mode = entry.Mode,
                    Uid = entry.Uid,
                    Gid = entry.Gid,
                    ModifiedTime = entry.ModificationTime,
                    LinkTarget = link,
                    Data = type == ImageFileType.File ? entry.DataStream : null,
                });
                // Whatever the visitor left unread is read here in 64 KB blocks: TarReader's own skipping is slower.
                if (entry.DataStream is { } rest)
                {
                    while (rest.Read(skip) > 0) { }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(skip);
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
