namespace DnsTools.Core.Images;

internal static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";

    public static bool IsIndex(string? t) => t is OciIndex or DockerList;

    public static LayerCompression CompressionOf(string mediaType) =>
        mediaType.EndsWith("gzip", StringComparison.Ordinal) ? LayerCompression.Gzip :
        mediaType.EndsWith("zstd", StringComparison.Ordinal) ? LayerCompression.Zstd :
        mediaType.EndsWith(".tar", StringComparison.Ordinal) ? LayerCompression.None : LayerCompression.Unknown;

    public static LayerCompression Sniff(ReadOnlySpan<byte> head) =>
        head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b ? LayerCompression.Gzip :
        head.Length >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd ? LayerCompression.Zstd :
        LayerCompression.None;
}
