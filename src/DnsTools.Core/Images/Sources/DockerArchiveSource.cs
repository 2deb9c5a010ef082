using System.Text.Json;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Images;

/// <summary>docker save output (old &lt;id&gt;/layer.tar layout or the OCI-based one), as a tar or unpacked.</summary>
internal sealed class DockerArchiveSource : StoreSourceBase
{
    private static readonly Regex HexName = new("^(?:blobs/sha256/)?([a-f0-9]{64})(?:\\.tar)?$", RegexOptions.CultureInvariant);

    public DockerArchiveSource(ImageReference reference, IFileStore store, ImageOpenOptions options) : base(reference, store)
    {
        try
        {
            if (!Store.Exists("manifest.json"))
                throw new ImageException(ImageErrorKind.NotAnImage, Name, $"'{Name}' is not a docker-archive: it has no manifest.json.");
            using var doc = Json.Parse(ReadSmall("manifest.json", "manifest.json"), Name, "manifest.json");
            var images = doc.RootElement.Items().ToList();
            if (images.Count == 0) throw new ImageException(ImageErrorKind.NotAnImage, Name, $"'{Name}': manifest.json lists no images.");
            JsonElement chosen;
            string TagsOf(JsonElement e) => string.Join(" ", e.Prop("RepoTags").Items().Select(t => t.AsString()));
            if (reference.Tag is { } tag)
            {
                var m = images.Where(e => e.Prop("RepoTags").Items().Any(t => t.AsString() is { } s && (s == tag || s.EndsWith("/" + tag, StringComparison.Ordinal) || s.Split('/').Last() == tag))).ToList();
                if (m.Count == 0) throw new ImageException(ImageErrorKind.NotFound, Name, $"'{Name}' has no image tagged '{tag}' (tags: {string.Join(", ", images.Select(TagsOf))}).");
                chosen = m[0];
            }
            else if (images.Count == 1) chosen = images[0];
            else throw new ImageException(ImageErrorKind.NotFound, Name, $"'{Name}' holds {images.Count} images; name one as docker-archive:PATH:TAG (tags: {string.Join(", ", images.Select(TagsOf))}).");

            var configPath = chosen.Str("Config") ?? throw new ImageException(ImageErrorKind.Corrupt, Name, $"'{Name}': manifest.json names no Config.");
            var configDigest = HexName.Match(configPath.Replace(".json", "")) is { Success: true } cm ? "sha256:" + cm.Groups[1].Value : null;
            using var config = Json.Parse(ReadSmall(configPath, $"config {configPath}", configDigest), Name, $"config {configPath}");
            var c = config.RootElement;
            ManifestDigest = configDigest; // docker identifies such images by their config digest (the image id)
            RunConfig = ImageRunConfig.FromImageConfig(c);
            Platform = c.Str("os") is { } os && c.Str("architecture") is { } arch ? new ImagePlatform(os, ImagePlatform.NormalizeArch(arch), c.Str("variant")) : null;
            if (!options.AnyPlatform && options.Platform is { } asked && Platform is not null && !asked.Matches(Platform.Os, Platform.Architecture, Platform.Variant))
                throw new ImageException(ImageErrorKind.PlatformNotFound, Name, $"Image '{Name}' is {Platform}, not {asked}.");
            var diffIds = c.Prop("rootfs").Prop("diff_ids").Items().Select(d => d.AsString()).ToList();
            var paths = chosen.Prop("Layers").Items().Select(l => l.AsString() ?? "").ToList();
            LayerLimits.Check(paths, Name, options);
            if (diffIds.Count != paths.Count)
                throw new ImageException(ImageErrorKind.Corrupt, Name, $"'{Name}': manifest.json lists {paths.Count} layers but the config {diffIds.Count} diff ids.");
            var layers = new List<ImageLayerInfo>();
            for (var i = 0; i < paths.Count; i++)
            {
                var size = Store.SizeOf(paths[i]) ?? throw new ImageException(ImageErrorKind.Corrupt, Name, $"'{Name}': layer {i} '{paths[i]}' is missing from the archive.");
                var compression = SniffFile(paths[i]);
                var named = HexName.Match(TarIndex.Normalize(paths[i])) is { Success: true } hm ? "sha256:" + hm.Groups[1].Value : null;
                var diffId = Digests.IsValid(diffIds[i]) ? diffIds[i] : null;
                layers.Add(new ImageLayerInfo
                {
                    Image = Name,
                    Index = i,
                    Digest = named ?? diffId,
                    ExpectedBlobDigest = named,
                    MediaType = compression switch { LayerCompression.Gzip => MediaTypes.DockerLayer + ".gzip", LayerCompression.Zstd => MediaTypes.DockerLayer + ".zstd", _ => MediaTypes.DockerLayer },
                    CompressedSize = size,
                    DiffId = diffId,
                    Compression = compression,
                    Locator = paths[i],
                });
            }
            Layers = layers;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
