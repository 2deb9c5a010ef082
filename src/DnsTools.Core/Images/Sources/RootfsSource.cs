namespace DnsTools.Core.Images;

/// <summary>An unpacked root file system (dir:PATH): one pseudo layer, read straight from the directory.</summary>
internal sealed class RootfsSource : IImageSource
{
    public RootfsSource(ImageReference reference)
    {
        if (!Directory.Exists(reference.Location))
            throw new ImageException(ImageErrorKind.NotFound, reference.Original, $"'{reference.Original}': no such directory ({reference.Location}).");
        Reference = reference;
        Root = Path.GetFullPath(reference.Location).TrimEnd('/');
        Layers = new[] { new ImageLayerInfo { Image = reference.Original, Index = 0, Digest = null, MediaType = "directory", Compression = LayerCompression.None, Locator = Root } };
    }

    public string Root { get; }
    public ImageReference Reference { get; }
    public ImagePlatform? Platform => null;
    public ImageRunConfig? RunConfig => null;
    public string? ManifestDigest => null;
    public IReadOnlyList<ImageLayerInfo> Layers { get; }

    public Stream OpenLayer(ImageLayerInfo layer, CancellationToken cancellationToken = default) =>
        throw new ImageException(ImageErrorKind.Unsupported, Reference.Original, "An unpacked root file system has no layer blobs.");

    public void Dispose() { }
}
