namespace DnsTools.Core.Images;

/// <summary>How a layer blob is compressed.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum LayerCompression { None, Gzip, Zstd, Unknown }
/// <summary>One layer of an image, bottom (0) to top.</summary>
public sealed class ImageLayerInfo
{
    public required string Image { get; init; }
    public required int Index { get; init; }
    /// <summary>Digest of the blob as stored (compressed); for docker-archive layers without one, the diff id.</summary>
    public string? Digest { get; init; }
    public required string MediaType { get; init; }
    /// <summary>Size of the blob as stored (compressed).</summary>
    public long? CompressedSize { get; init; }
    /// <summary>Digest of the uncompressed tar (the image config's rootfs.diff_ids).</summary>
    public string? DiffId { get; init; }
    public LayerCompression Compression { get; init; }

    /// <summary>The digest the stored blob must have; null when the source names none (then only the diff id is checked).</summary>
    internal string? ExpectedBlobDigest { get; init; }
    internal string Locator { get; init; } = "";
    /// <summary>Compute the uncompressed digest even without a diff id to check (export streams map layers by it).</summary>
    internal bool HashUncompressed { get; init; }

    /// <summary>Digest, else diff id, else "layer N": how errors name the layer.</summary>
    public string Name => Digest ?? DiffId ?? $"layer {Index}";

    public override string ToString() => $"{Index}: {Name}";
}
