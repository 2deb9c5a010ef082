namespace DnsTools.Core.Images;

/// <summary>An image in a registry, over the OCI distribution API.</summary>
internal static class RegistrySource
{
    public static IImageSource Open(ImageReference reference, ImageOpenOptions options, CancellationToken ct) =>
        throw new ImageException(ImageErrorKind.Unsupported, reference.Original, $"'{reference.Original}': reading from registries is not supported yet.");
}
