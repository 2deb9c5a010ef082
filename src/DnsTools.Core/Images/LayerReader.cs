using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace DnsTools.Core.Images;

/// <summary>The type of a file in an image.</summary>
public enum ImageFileType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo, Other }

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

/// <summary>Limits and reporting for a scan.</summary>
public sealed class ImageScanOptions
{
    /// <summary>Ceiling on decompressed bytes read per image (all layers of one read; a link target outside what was kept costs another read). Default 8 GiB.</summary>
    public long MaxDecompressedBytes { get; init; } = 8L << 30;
    /// <summary>Largest file content kept in memory. Default 16 MiB.</summary>
    public long MaxContentBytes { get; init; } = 16 << 20;
    /// <summary>Called with progress while layers are read, always on the thread that asked for the read (layers may be decompressed on others).</summary>
    public Action<ImageScanProgress>? Progress { get; init; }
    /// <summary>Layers decompressed at once (each on its own thread; merged bottom to top all the same). 1 reads them one after another on the calling thread.</summary>
    internal int LayerConcurrency { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 2);
}

/// <summary>Where a scan is.</summary>
public sealed record ImageScanProgress(string Image, int LayerIndex, int LayerCount, string Layer, long BytesRead, long? LayerSize, int Pass);

/// <summary>The ceiling on decompressed bytes, charged as a layer is read.</summary>
internal abstract class ByteBudget
{
    protected ByteBudget(string image, long max) { Image = image; Max = max; }
    public string Image { get; }
    public long Max { get; }

    /// <summary>Counts <paramref name="n"/> more bytes; throws when the ceiling is passed.</summary>
    public abstract void Charge(long n);

    public ImageException Exceeded() =>
        new(ImageErrorKind.LimitExceeded, Image, $"Image '{Image}': more than {Max} decompressed bytes (the -MaxDecompressedBytes ceiling); stopped.");
}

/// <summary>One read of an image, layer after layer on one thread.</summary>
internal sealed class ScanBudget : ByteBudget
{
    public ScanBudget(string image, long max) : base(image, max) { }
    public long Used { get; set; }

    public override void Charge(long n)
    {
        Used += n;
        if (Used > Max) throw Exceeded();
    }
}

/// <summary>
/// One layer's share when layers are read at once: a sequential read would have counted every layer below
/// first, so the ceiling is passed as soon as what those have read so far (at most their final count) and this
/// layer's own bytes exceed it. The reader checks the exact sum when it merges the layer, in order.
/// </summary>
internal sealed class LayerMeter : ByteBudget
{
    private readonly LayerMeter[] _all;
    private readonly int _index;
    private long _own;

    public LayerMeter(ScanBudget whole, LayerMeter[] all, int index) : base(whole.Image, whole.Max) { _all = all; _index = index; }

    /// <summary>Decompressed bytes this layer has read.</summary>
    public long Own => Volatile.Read(ref _own);

    /// <summary>What the layers below have read (exact once they are done).</summary>
    public long Below()
    {
        long sum = 0;
        for (var i = 0; i < _index; i++) sum += _all[i].Own;
        return sum;
    }

    public override void Charge(long n)
    {
        Volatile.Write(ref _own, _own + n); // only this layer's thread writes
        if (Below() + _own > Max) throw Exceeded();
    }
}

/// <summary>Streams a layer blob: sniffs the compression, verifies digests while reading, and never touches the disk.</summary>
internal static class LayerReader
{
    /// <summary>Reads a layer; returns the digest of the blob and, when computed, of the uncompressed tar.</summary>
    public static (string Blob, string? DiffId) Read(Stream rawStream, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, Action<long>? progress, CancellationToken ct)
    {
        var name = layer.Name;
        using var raw = new MeteredStream(rawStream, layer.ExpectedBlobDigest ?? layer.DiffId ?? "sha256:", ct, progress, null);
        var head = raw.Peek(4);
        var compression = MediaTypes.Sniff(head);
        Stream decoded = compression switch
        {
            LayerCompression.Gzip => new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true),
            LayerCompression.Zstd => new SharpCompress.Compressors.ZStandard.DecompressionStream(raw, 1 << 17, checkEndOfStream: false, leaveOpen: true),
            _ => raw,
        };
        // TarReader reads 512-byte headers; a buffer in front of the decompressor keeps those reads cheap.
        decoded = new BufferedStream(decoded, 1 << 16);
        // The diff id is the digest of the uncompressed tar; for an uncompressed blob it is the blob digest itself.
        var diffIdCheck = compression == LayerCompression.None ? null : layer.DiffId ?? (layer.HashUncompressed ? "sha256:" : null);
        using var tarStream = new MeteredStream(decoded, diffIdCheck, ct, null, budget);
        string blobDigest;
        string? diff;
        try
        {
            ReadEntries(tarStream, layer, budget, visit, ct);
            tarStream.Drain();
            raw.Drain();
            blobDigest = raw.FinishDigest();
            diff = compression == LayerCompression.None ? blobDigest : diffIdCheck is null ? null : tarStream.FinishDigest();
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            // A stream aborted because of the cancellation (a network read cut off): report the stop, not damage.
            throw new OperationCanceledException("The read was stopped.", e, ct);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException or SharpCompress.Compressors.ZStandard.ZstdException
                                      or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, name, $"Image '{layer.Image}': layer {name} is truncated or corrupt: {e.Message}", e);
        }
        finally
        {
            decoded.Dispose(); // the buffer and the decompressor (and raw, for uncompressed layers: digests are taken by then)
        }

        if (layer.ExpectedBlobDigest is { } want && blobDigest != want)
            throw new ImageException(ImageErrorKind.DigestMismatch, name, $"Image '{layer.Image}': layer {want} does not match its content (sha {blobDigest}).");
        if (layer.DiffId is { } wantDiff && diff is not null && diff != wantDiff)
            throw new ImageException(ImageErrorKind.DigestMismatch, name, $"Image '{layer.Image}': layer {name} does not match its diff id {wantDiff} (sha of the tar {diff}).");
        return (blobDigest, diff);
    }

    private static void ReadEntries(MeteredStream tar, ImageLayerInfo layer, ByteBudget budget, Action<LayerEntry> visit, CancellationToken ct)
    {
        using var reader = new TarReader(tar, leaveOpen: true);
        var skip = new byte[1 << 16];
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

    /// <summary>"./etc/x", "etc/x/" → "/etc/x". Absolute names and ".." are refused: a layer may not reach outside the image root.</summary>
    internal static string EntryPath(string name, ImageLayerInfo layer, string what)
    {
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
}

/// <summary>Counts, hashes, checks cancellation and the byte ceiling, and notes where the stream ended.</summary>
internal sealed class MeteredStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash? _hash;
    private readonly string? _algorithmOf;
    private readonly CancellationToken _ct;
    private readonly Action<long>? _progress;
    private readonly ByteBudget? _budget;
    private byte[] _peeked = Array.Empty<byte>();
    private int _peekPos;
    private long _lastReport;

    public MeteredStream(Stream inner, string? digestLike, CancellationToken ct, Action<long>? progress, ByteBudget? budget)
    {
        _inner = inner;
        _algorithmOf = digestLike;
        _hash = digestLike is null ? null : Digests.Create(digestLike);
        _ct = ct;
        _progress = progress;
        _budget = budget;
    }

    public long Count { get; private set; }
    public bool SawEnd { get; private set; }

    public byte[] Peek(int n)
    {
        var buf = new byte[n];
        var got = _inner.ReadAtLeast(buf, n, throwOnEndOfStream: false);
        _peeked = buf[..got];
        return _peeked;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _ct.ThrowIfCancellationRequested();
        int n;
        if (_peekPos < _peeked.Length)
        {
            n = Math.Min(buffer.Length, _peeked.Length - _peekPos);
            _peeked.AsSpan(_peekPos, n).CopyTo(buffer);
            _peekPos += n;
        }
        else
        {
            n = _inner.Read(buffer);
        }
        if (n == 0 && buffer.Length > 0) { SawEnd = true; return 0; }
        _hash?.AppendData(buffer[..n]);
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
        var buf = new byte[1 << 16];
        while (Read(buf) > 0) { }
        _progress?.Invoke(Count);
    }

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
        if (disposing) _hash?.Dispose();
        base.Dispose(disposing);
    }
}
