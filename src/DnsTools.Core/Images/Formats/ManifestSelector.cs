using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>Index and manifest parsing shared by layouts and registries.</summary>
internal static class ManifestSelector
{
    /// <summary>Picks a manifest digest from an index (following nested indexes).</summary>
    /// <remarks><c>offered</c> collects the platforms the index offers (nested indexes included); with <c>anyPlatform</c>
    /// the first manifest is taken when none matches the platform; <c>onChosen</c> hears the chosen entry's platform.</remarks>
    public static string Select(JsonElement index, string? tag, ImagePlatform? platform, string image, Func<string, byte[]> readBlob, int depth = 0,
        List<ImagePlatform>? offered = null, bool anyPlatform = false, Action<ImagePlatform>? onChosen = null)
    {
        if (depth > 4) throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': indexes nest more than 4 deep.");
        var all = index.Prop("manifests").Items().ToList();
        if (all.Count == 0) throw new ImageException(ImageErrorKind.NotAnImage, image, $"Image '{image}': the index lists no manifests.");
        var candidates = all;
        if (tag is not null && depth == 0)
        {
            candidates = all.Where(m => m.Prop("annotations").Str("org.opencontainers.image.ref.name") is { } r && (r == tag || r.EndsWith(":" + tag, StringComparison.Ordinal))).ToList();
            if (candidates.Count == 0)
                throw new ImageException(ImageErrorKind.NotFound, image, $"Image '{image}': no manifest is named '{tag}' (names: {string.Join(", ", all.Select(m => m.Prop("annotations").Str("org.opencontainers.image.ref.name") ?? "-"))}).");
        }
        var withPlatform = candidates.Where(m => m.Prop("platform").ValueKind == JsonValueKind.Object).ToList();
        JsonElement chosen;
        if (withPlatform.Count > 0)
        {
            var want = platform ?? ImagePlatform.Default;
            foreach (var m in withPlatform)
            {
                // Attestation manifests (buildx) carry "unknown/unknown": not a platform anyone runs.
                if (m.Prop("platform").Str("os") is { Length: > 0 } os && m.Prop("platform").Str("architecture") is { Length: > 0 } arch && os != "unknown"
                    && offered is not null)
                {
                    var v = m.Prop("platform").Str("variant");
                    var p = new ImagePlatform(os, ImagePlatform.NormalizeArch(arch), string.IsNullOrEmpty(v) ? null : v);
                    if (!offered.Contains(p)) offered.Add(p);
                }
            }
            var matches = withPlatform.Where(m => want.Matches(m.Prop("platform").Str("os"), m.Prop("platform").Str("architecture"), m.Prop("platform").Str("variant"))).ToList();
            if (matches.Count == 0 && anyPlatform) matches = withPlatform.Take(1).ToList();
            if (matches.Count == 0)
            {
                var have = string.Join(", ", withPlatform.Select(m => string.Join('/', new[] { m.Prop("platform").Str("os"), m.Prop("platform").Str("architecture"), m.Prop("platform").Str("variant") }.Where(x => !string.IsNullOrEmpty(x)))));
                throw new ImageException(ImageErrorKind.PlatformNotFound, image, $"Image '{image}' has no {want} manifest; its index offers {have}. Choose one with -Platform.");
            }
            // Without an asked variant, prefer the architecture's default variant (or none).
            chosen = matches.OrderBy(m => m.Prop("platform").Str("variant") is { Length: > 0 } v && v != ImagePlatform.DefaultVariant(want.Architecture) ? 1 : 0).First();
        }
        else if (candidates.Count == 1) chosen = candidates[0];
        else
        {
            // Several untagged manifests without platforms (e.g. a layout holding several images): the first one tagged 'latest', else an error.
            var latest = candidates.Where(m => m.Prop("annotations").Str("org.opencontainers.image.ref.name") is "latest").ToList();
            if (latest.Count != 1)
                throw new ImageException(ImageErrorKind.NotFound, image, $"Image '{image}' holds {candidates.Count} images; name one as PATH:TAG (names: {string.Join(", ", candidates.Select(m => m.Prop("annotations").Str("org.opencontainers.image.ref.name") ?? "-"))}).");
            chosen = latest[0];
        }
        if (onChosen is not null && chosen.Prop("platform").Str("os") is { Length: > 0 } cos && chosen.Prop("platform").Str("architecture") is { Length: > 0 } carch)
            onChosen(new ImagePlatform(cos, ImagePlatform.NormalizeArch(carch), chosen.Prop("platform").Str("variant") is { Length: > 0 } cv ? cv : null));
        var digest = Digests.Check(chosen.Str("digest"), image, "a manifest descriptor");
        var mediaType = chosen.Str("mediaType");
        if (MediaTypes.IsIndex(mediaType))
        {
            using var nested = Json.Parse(readBlob(digest), image, $"index {digest}");
            return Select(nested.RootElement, null, platform, image, readBlob, depth + 1, offered, anyPlatform, onChosen);
        }
        return digest;
    }

    public static (IReadOnlyList<ImageLayerInfo> Layers, ImagePlatform? Platform, ImageRunConfig RunConfig) ReadManifest(byte[] manifestBytes, string image, ImagePlatform? asked,
        Func<string, byte[]> readConfig, Func<string, int, string> locator, ImageOpenOptions? options = null)
    {
        using var manifest = Json.Parse(manifestBytes, image, "the manifest");
        var root = manifest.RootElement;
        var mt = root.Str("mediaType");
        if (MediaTypes.IsIndex(mt) || root.Prop("manifests").ValueKind == JsonValueKind.Array)
            throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': expected a manifest, found an index.");
        if (root.Long("schemaVersion") != 2)
            throw new ImageException(ImageErrorKind.Unsupported, image, $"Image '{image}': manifest schema version {root.Long("schemaVersion")} is not supported (only 2).");
        LayerLimits.Check(root.Prop("layers").Items().Select(l => l.Str("digest")).ToList(), image, options);
        var configDigest = Digests.Check(root.Prop("config").Str("digest"), image, "the config descriptor");
        using var config = Json.Parse(readConfig(configDigest), image, $"config {configDigest}");
        var c = config.RootElement;
        ImagePlatform? platform = c.Str("os") is { } os && c.Str("architecture") is { } arch ? new ImagePlatform(os, ImagePlatform.NormalizeArch(arch), c.Str("variant")) : null;
        if (asked is not null && platform is not null && !asked.Matches(platform.Os, platform.Architecture, platform.Variant))
            throw new ImageException(ImageErrorKind.PlatformNotFound, image, $"Image '{image}' is {platform}, not {asked}.");
        var diffIds = c.Prop("rootfs").Prop("diff_ids").Items().Select(d => d.AsString()).ToList();
        var layers = new List<ImageLayerInfo>();
        var i = 0;
        foreach (var l in root.Prop("layers").Items())
        {
            var digest = Digests.Check(l.Str("digest"), image, $"layer {i}");
            var media = l.Str("mediaType") ?? MediaTypes.OciLayer;
            var size = l.Long("size");
            if (size is < 0) throw new ImageException(ImageErrorKind.Corrupt, digest, $"Image '{image}': layer {digest} has a negative size.");
            layers.Add(new ImageLayerInfo
            {
                Image = image,
                Index = i,
                Digest = digest,
                ExpectedBlobDigest = digest,
                MediaType = media,
                CompressedSize = size,
                DiffId = i < diffIds.Count && Digests.IsValid(diffIds[i]) ? diffIds[i] : null,
                Compression = MediaTypes.CompressionOf(media),
                Locator = locator(digest, i),
            });
            i++;
        }
        if (diffIds.Count != layers.Count)
            throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': the manifest lists {layers.Count} layers but the config {diffIds.Count} diff ids.");
        return (layers, platform, ImageRunConfig.FromImageConfig(c));
    }
}
