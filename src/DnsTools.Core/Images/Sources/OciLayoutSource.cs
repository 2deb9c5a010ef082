namespace DnsTools.Core.Images;

/// <summary>An OCI image layout, as a directory (oci-dir:) or a tar (oci-archive:).</summary>
internal sealed class OciLayoutSource : StoreSourceBase
{
    public OciLayoutSource(ImageReference reference, IFileStore store, ImageOpenOptions options) : base(reference, store)
    {
        try
        {
            if (!Store.Exists("oci-layout") || !Store.Exists("index.json"))
                throw new ImageException(ImageErrorKind.NotAnImage, Name, $"'{Name}' is not an OCI image layout: it has no oci-layout or index.json.");
            using var index = Json.Parse(ReadSmall("index.json", "index.json"), Name, "index.json");
            ImagePlatform? fromIndex = null;
            var manifestDesc = ManifestSelector.Select(index.RootElement, reference.Tag, options.Platform, Name,
                d => ReadSmall(Digests.BlobPath(d), $"index {d}", d), offered: Offered, anyPlatform: options.AnyPlatform, onChosen: p => fromIndex = p);
            ManifestDigest = manifestDesc;
            var manifestBytes = ReadSmall(Digests.BlobPath(manifestDesc), $"manifest {manifestDesc}", manifestDesc);
            var (layers, platform, runConfig) = ManifestSelector.ReadManifest(manifestBytes, Name, options.AnyPlatform ? null : options.Platform,
                d => ReadSmall(Digests.BlobPath(d), $"config {d}", d), (d, i) => Digests.BlobPath(d), options);
            Layers = layers;
            Platform = ImagePlatform.WithVariantOf(platform, fromIndex);
            RunConfig = runConfig;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
