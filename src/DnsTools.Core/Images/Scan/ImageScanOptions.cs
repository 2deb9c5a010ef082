namespace DnsTools.Core.Images;

/// <summary>Limits and reporting for a scan.</summary>
public sealed class ImageScanOptions
{
    /// <summary>Ceiling on decompressed bytes read per image (all layers of one read; a link target outside what was kept costs another read). Default 8 GiB.</summary>
    public long MaxDecompressedBytes { get; init; } = 8L << 30;
    /// <summary>Linux's PATH_MAX: the longest entry name or link target a real file system can hold.</summary>
    public const int DefaultMaxPathLength = 4096;
    /// <summary>Longest entry name or link target a layer may hold (characters); longer is refused as a limit. Default 4096.</summary>
    public int MaxPathLength { get; init; } = DefaultMaxPathLength;
    /// <summary>Most entries of the merged file system held in memory at once (a -Recurse listing holds every one). Default 500,000.</summary>
    public int MaxEntries { get; init; } = 500_000;
    /// <summary>
    /// Most decompressed bytes a compressed layer may give per compressed byte, once past the first 256 MiB: gzip cannot go
    /// beyond about 1,032 to 1, so only a zstd layer of long zero runs (a decompression bomb: 260 KB of zstd make 8 GiB)
    /// reaches it. Default 2,000.
    /// </summary>
    public int MaxCompressionRatio { get; init; } = DefaultMaxCompressionRatio;
    internal const int DefaultMaxCompressionRatio = 2_000;
    /// <summary>Largest file content kept in memory. Default 16 MiB.</summary>
    public long MaxContentBytes { get; init; } = 16 << 20;
    /// <summary>
    /// Largest program (the entrypoint, what it execs, the shell, a glibc loader) read whole into memory for a DNS profile:
    /// Go services run to 100 MB; a larger program is named with its size and not read. Default 128 MiB.
    /// </summary>
    public long MaxProgramBytes { get; init; } = DefaultMaxProgramBytes;
    internal const long DefaultMaxProgramBytes = 128L << 20;
    /// <summary>Called with progress while layers are read, always on the thread that asked for the read (layers may be decompressed on others).</summary>
    public Action<ImageScanProgress>? Progress { get; init; }
    /// <summary>Layers decompressed at once (each on its own thread; merged bottom to top all the same). 1 reads them one after another on the calling thread.</summary>
    internal int LayerConcurrency { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 2);

    /// <summary>These options (or the defaults) keeping files of up to <paramref name="minContentBytes"/>: for the few big files a profile reads (binaries, package databases).</summary>
    internal static ImageScanOptions WithContentOf(ImageScanOptions? options, long minContentBytes) => new()
    {
        MaxDecompressedBytes = options?.MaxDecompressedBytes ?? new ImageScanOptions().MaxDecompressedBytes,
        MaxContentBytes = Math.Max(options?.MaxContentBytes ?? 0, minContentBytes),
        Progress = options?.Progress,
        LayerConcurrency = options?.LayerConcurrency ?? new ImageScanOptions().LayerConcurrency,
        MaxPathLength = options?.MaxPathLength ?? DefaultMaxPathLength,
        MaxEntries = options?.MaxEntries ?? new ImageScanOptions().MaxEntries,
        MaxCompressionRatio = options?.MaxCompressionRatio ?? DefaultMaxCompressionRatio,
        MaxProgramBytes = options?.MaxProgramBytes ?? DefaultMaxProgramBytes,
    };
}

/// <summary>Where a scan is.</summary>
public sealed record ImageScanProgress(string Image, int LayerIndex, int LayerCount, string Layer, long BytesRead, long? LayerSize, int Pass);
