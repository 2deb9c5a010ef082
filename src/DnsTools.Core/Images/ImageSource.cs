using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

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

/// <summary>Options for opening an image.</summary>
public sealed class ImageOpenOptions
{
    /// <summary>The platform to pick from an index; null means linux/amd64 where there is a choice.</summary>
    public ImagePlatform? Platform { get; init; }
    /// <summary>When an index has no manifest for the platform, take its first one instead of failing (to learn <see cref="IImageSource.Platforms"/>).</summary>
    public bool AnyPlatform { get; init; }
    /// <summary>Registry credentials (user, password); anonymous when null.</summary>
    public (string User, string Password)? Credentials { get; init; }
    /// <summary>Allow plain HTTP to registries that are not on loopback.</summary>
    public bool AllowInsecureRegistry { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);
    /// <summary>Docker/Podman API socket (unix path); defaults to DOCKER_HOST or /var/run/docker.sock.</summary>
    public string? DaemonSocket { get; init; }

    /// <summary>These options with another platform choice.</summary>
    public ImageOpenOptions WithPlatform(ImagePlatform? platform, bool anyPlatform = false) => new()
    {
        Platform = platform, AnyPlatform = anyPlatform, Credentials = Credentials, AllowInsecureRegistry = AllowInsecureRegistry,
        Timeout = Timeout, DaemonSocket = DaemonSocket,
    };
}

/// <summary>What the image config says to run (its "config" object): Entrypoint, Cmd, Env, WorkingDir, User.</summary>
public sealed class ImageRunConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Cmd { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Env { get; init; } = Array.Empty<string>();
    public string? WorkingDir { get; init; }
    public string? User { get; init; }

    /// <summary>Entrypoint followed by Cmd: the command line a container starts with.</summary>
    public IReadOnlyList<string> Command => Entrypoint.Concat(Cmd).ToList();

    /// <summary>Reads the "config" object of an image config document (OCI image-spec config.md; docker's image JSON is the same).</summary>
    internal static ImageRunConfig FromImageConfig(JsonElement imageConfig)
    {
        var c = imageConfig.Prop("config");
        static string[] Strings(JsonElement parent, string name) => parent.Prop(name).Items().Select(x => x.AsString()).OfType<string>().ToArray();
        return new ImageRunConfig
        {
            Entrypoint = Strings(c, "Entrypoint"),
            Cmd = Strings(c, "Cmd"),
            Env = Strings(c, "Env"),
            WorkingDir = c.Str("WorkingDir") is { Length: > 0 } w ? w : null,
            User = c.Str("User") is { Length: > 0 } u ? u : null,
        };
    }

    public override string ToString() => string.Join(' ', Command);
}

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

/// <summary>Opens any <see cref="ImageReference"/>.</summary>
public static class ImageSource
{
    public static IImageSource Open(string reference, ImageOpenOptions? options = null, string? currentDirectory = null, CancellationToken cancellationToken = default) =>
        Open(ImageReference.Parse(reference, currentDirectory), options, cancellationToken);

    public static IImageSource Open(ImageReference reference, ImageOpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageOpenOptions();
        return reference.Transport switch
        {
            ImageTransport.OciDirectory => new OciLayoutSource(reference, new DirectoryStore(reference.Location), options),
            ImageTransport.OciArchive => new OciLayoutSource(reference, new TarStore(reference.Location), options),
            ImageTransport.DockerArchive => new DockerArchiveSource(reference, Directory.Exists(reference.Location) ? new DirectoryStore(reference.Location) : new TarStore(reference.Location), options),
            ImageTransport.Directory => new RootfsSource(reference),
            ImageTransport.Registry => RegistrySource.Open(reference, options, cancellationToken),
            ImageTransport.Docker or ImageTransport.Podman => DaemonSource.Open(reference, options, cancellationToken),
            _ => throw new ImageException(ImageErrorKind.Unsupported, reference.Original, $"'{reference.Original}': the {reference.Transport} transport is not supported yet; save the image (docker save / podman save) and read it as docker-archive:PATH."),
        };
    }
}

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

internal static class Digests
{
    private static readonly Regex Valid = new("^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$", RegexOptions.CultureInvariant);

    public static bool IsValid(string? d) => d is not null && Valid.IsMatch(d);

    public static string Check(string? digest, string image, string what)
    {
        if (!IsValid(digest)) throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': {what} has an invalid digest '{digest}'.");
        return digest!;
    }

    public static IncrementalHash Create(string digest) =>
        IncrementalHash.CreateHash(digest.StartsWith("sha512:", StringComparison.Ordinal) ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);

    public static string Format(string digestLike, byte[] hash) =>
        (digestLike.StartsWith("sha512:", StringComparison.Ordinal) ? "sha512:" : "sha256:") + Convert.ToHexString(hash).ToLowerInvariant();

    public static string Of(byte[] data) => "sha256:" + Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    public static string BlobPath(string digest) => "blobs/" + digest.Replace(':', '/');
}

internal static class Json
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, true);

    public static JsonDocument Parse(byte[] data, string image, string what)
    {
        try
        {
            // JsonDocument checks the UTF-8 of strings only when they are read: check it all here.
            _ = StrictUtf8.GetCharCount(data);
            return JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (Exception e) when (e is JsonException or System.Text.DecoderFallbackException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': {what} is not valid JSON: {e.Message}", e);
        }
    }

    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string? AsString(this JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    public static long? Long(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;

    public static JsonElement Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    public static IEnumerable<JsonElement> Items(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : Enumerable.Empty<JsonElement>();
}

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
                d => ReadSmall(Digests.BlobPath(d), $"config {d}", d), (d, i) => Digests.BlobPath(d));
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
        Func<string, byte[]> readConfig, Func<string, int, string> locator)
    {
        using var manifest = Json.Parse(manifestBytes, image, "the manifest");
        var root = manifest.RootElement;
        var mt = root.Str("mediaType");
        if (MediaTypes.IsIndex(mt) || root.Prop("manifests").ValueKind == JsonValueKind.Array)
            throw new ImageException(ImageErrorKind.Corrupt, image, $"Image '{image}': expected a manifest, found an index.");
        if (root.Long("schemaVersion") != 2)
            throw new ImageException(ImageErrorKind.Unsupported, image, $"Image '{image}': manifest schema version {root.Long("schemaVersion")} is not supported (only 2).");
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
