namespace DnsTools.Core.Images;

/// <summary>An image whose manifest has been read: its layers, bottom to top, and a way to read each.</summary>
public interface IImageSource : IDisposable
{
    ImageReference Reference { get; }
    /// <summary>os/arch/variant from the image config, when known.</summary>
    ImagePlatform? Platform { get; }
    /// <summary>Entrypoint, Cmd and Env from the image config; null when the source has no config (dir:).</summary>
    ImageRunConfig? RunConfig { get; }
    /// <summary>Every platform the image offers: the index's manifests, else the one platform of its config (empty when unknown).</summary>
    IReadOnlyList<ImagePlatform> Platforms => Platform is null ? Array.Empty<ImagePlatform>() : new[] { Platform };
    /// <summary>Digest of the manifest, when the source has one.</summary>
    string? ManifestDigest { get; }
    IReadOnlyList<ImageLayerInfo> Layers { get; }
    /// <summary>The stored (compressed) bytes of a layer.</summary>
    Stream OpenLayer(ImageLayerInfo layer, CancellationToken cancellationToken = default);
}
/// <summary>A source whose layers come in one export stream (docker save), in the stream's order.</summary>
internal interface ISequentialLayerSource
{
    /// <summary>Calls <paramref name="onLayer"/> with each layer member of the export (name, data), in archive order.</summary>
    void ReadExport(Action<string, Stream> onLayer, CancellationToken cancellationToken);
}
