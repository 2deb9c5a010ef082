namespace DnsTools.Core.Images;

/// <summary>Shared by the layout/archive sources: reading small JSON documents with size caps and digest checks.</summary>
internal abstract class StoreSourceBase : IImageSource
{
    protected const long MaxJsonBytes = 16 << 20;
    protected readonly IFileStore Store;

    protected StoreSourceBase(ImageReference reference, IFileStore store)
    {
        Reference = reference;
        Store = store;
    }

    public ImageReference Reference { get; }
    public ImagePlatform? Platform { get; protected set; }
    public ImageRunConfig? RunConfig { get; protected set; }
    public IReadOnlyList<ImagePlatform> Platforms => Offered.Count > 0 ? Offered : Platform is null ? Array.Empty<ImagePlatform>() : new[] { Platform };
    protected List<ImagePlatform> Offered { get; } = new();
    public string? ManifestDigest { get; protected set; }
    public IReadOnlyList<ImageLayerInfo> Layers { get; protected set; } = Array.Empty<ImageLayerInfo>();
    protected string Name => Reference.Original;

    protected byte[] ReadSmall(string path, string what, string? expectedDigest = null)
    {
        var size = Store.SizeOf(path) ?? throw new ImageException(ImageErrorKind.NotAnImage, Name, $"Image '{Name}' has no {what} ('{path}').");
        if (size > MaxJsonBytes) throw new ImageException(ImageErrorKind.LimitExceeded, Name, $"Image '{Name}': {what} is {size} bytes, more than the {MaxJsonBytes} a JSON document may have.");
        using var s = Store.Open(path);
        var data = new byte[size];
        s.ReadExactly(data);
        if (expectedDigest is not null)
        {
            using var h = Digests.Create(expectedDigest);
            h.AppendData(data);
            var actual = Digests.Format(expectedDigest, h.GetHashAndReset());
            if (actual != expectedDigest)
                throw new ImageException(ImageErrorKind.DigestMismatch, expectedDigest, $"Image '{Name}': {what} {expectedDigest} does not match its content (sha {actual}).");
        }
        return data;
    }

    protected LayerCompression SniffFile(string path)
    {
        using var s = Store.Open(path);
        Span<byte> head = stackalloc byte[4];
        var n = s.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        return MediaTypes.Sniff(head[..n]);
    }

    public virtual Stream OpenLayer(ImageLayerInfo layer, CancellationToken cancellationToken = default) => Store.Open(layer.Locator);

    public void Dispose() => Store.Dispose();
}
