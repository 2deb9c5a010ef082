namespace DnsTools.Core.Images;

/// <summary>Where an image comes from.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ImageTransport
{
    /// <summary>docker save output: old &lt;id&gt;/layer.tar layout or the newer OCI-based one.</summary>
    DockerArchive,
    /// <summary>An OCI image layout directory (oci-layout, index.json, blobs/).</summary>
    OciDirectory,
    /// <summary>A tar of an OCI image layout.</summary>
    OciArchive,
    /// <summary>An unpacked root file system.</summary>
    Directory,
    /// <summary>A registry over the OCI distribution API.</summary>
    Registry,
    /// <summary>The local Docker daemon.</summary>
    Docker,
    /// <summary>The local Podman service.</summary>
    Podman,
}

/// <summary>
/// An image reference: <c>docker-archive:PATH[:TAG]</c>, <c>oci-dir:PATH[:TAG]</c> (also <c>oci:</c>),
/// <c>oci-archive:PATH[:TAG]</c>, <c>dir:PATH</c>, <c>registry:REF</c> (also <c>docker://REF</c>),
/// <c>docker:REF</c>, <c>podman:REF</c>; or a bare path (sniffed) or registry reference.
/// </summary>
public sealed class ImageReference
{
    private ImageReference(string original, ImageTransport transport, string location, string? tag)
    {
        Original = original;
        Transport = transport;
        Location = location;
        Tag = tag;
    }

    /// <summary>The text as the user wrote it.</summary>
    public string Original { get; }

    public ImageTransport Transport { get; }

    /// <summary>A full file system path for file transports; the image reference for registry/docker/podman.</summary>
    public string Location { get; }

    /// <summary>For archives and layouts holding several images: the tag or ref name asked for.</summary>
    public string? Tag { get; }

    public override string ToString() => Original;

    private static readonly (string Prefix, ImageTransport Transport)[] Prefixes =
    {
        ("docker-archive:", ImageTransport.DockerArchive),
        ("oci-archive:", ImageTransport.OciArchive),
        ("oci-dir:", ImageTransport.OciDirectory),
        ("oci:", ImageTransport.OciDirectory),
        ("dir:", ImageTransport.Directory),
        ("registry:", ImageTransport.Registry),
        ("docker://", ImageTransport.Registry),
        ("docker:", ImageTransport.Docker),
        ("podman:", ImageTransport.Podman),
    };

    /// <summary>Parses a reference; relative paths are taken from <paramref name="currentDirectory"/>.</summary>
    public static ImageReference Parse(string text, string? currentDirectory = null)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ImageException(ImageErrorKind.NotFound, text ?? "", "The image reference is empty.");
        var cwd = currentDirectory ?? Environment.CurrentDirectory;
        foreach (var (prefix, transport) in Prefixes)
        {
            if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            var rest = text[prefix.Length..];
            if (rest.Length == 0) throw new ImageException(ImageErrorKind.NotFound, text, $"Image reference '{text}' names no {prefix[..^1]} location.");
            switch (transport)
            {
                case ImageTransport.Registry:
                case ImageTransport.Docker:
                case ImageTransport.Podman:
                    return new ImageReference(text, transport, rest.StartsWith("//", StringComparison.Ordinal) ? rest[2..] : rest, null);
                case ImageTransport.Directory:
                    return new ImageReference(text, transport, Path.GetFullPath(rest, cwd), null);
                default:
                    var (path, tag) = SplitPathAndTag(rest, cwd);
                    return new ImageReference(text, transport, path, tag);
            }
        }

        // Bare: a path that exists is sniffed; a path-looking text that does not exist is a missing file.
        var full = Path.GetFullPath(text, cwd);
        if (Directory.Exists(full))
        {
            if (File.Exists(Path.Combine(full, "oci-layout"))) return new ImageReference(text, ImageTransport.OciDirectory, full, null);
            if (File.Exists(Path.Combine(full, "manifest.json"))) return new ImageReference(text, ImageTransport.DockerArchive, full, null);
            return new ImageReference(text, ImageTransport.Directory, full, null);
        }
        if (File.Exists(full))
        {
            return new ImageReference(text, SniffArchive(full), full, null);
        }
        if (LooksLikePath(text))
            throw new ImageException(ImageErrorKind.NotFound, text, $"Image '{text}': no such file or directory ({full}).");
        return new ImageReference(text, ImageTransport.Registry, text, null);
    }

    private static bool LooksLikePath(string text) =>
        text.StartsWith('/') || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal) ||
        text.StartsWith('~') || text.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) || text.Contains('\\') ||
        text.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) ||
        text is "." or "..";

    /// <summary>PATH or PATH:TAG — the split is taken only where PATH exists and PATH:TAG does not.</summary>
    private static (string Path, string? Tag) SplitPathAndTag(string rest, string cwd)
    {
        var whole = Path.GetFullPath(rest, cwd);
        if (File.Exists(whole) || Directory.Exists(whole)) return (whole, null);
        for (var i = rest.IndexOf(':'); i > 0; i = rest.IndexOf(':', i + 1))
        {
            var candidate = Path.GetFullPath(rest[..i], cwd);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return (candidate, rest[(i + 1)..]);
        }
        return (whole, null);
    }

    private static ImageTransport SniffArchive(string file)
    {
        try
        {
            using var index = TarIndex.Open(file);
            if (index.Contains("oci-layout") && !index.Contains("manifest.json")) return ImageTransport.OciArchive;
            if (index.Contains("manifest.json")) return ImageTransport.DockerArchive;
            if (index.Contains("oci-layout")) return ImageTransport.OciArchive;
        }
        catch (ImageException)
        {
            // fall through: not a tar we can read
        }
        throw new ImageException(ImageErrorKind.NotAnImage, file, $"'{file}' is not an image archive: a docker-archive holds manifest.json, an OCI archive holds oci-layout and index.json.");
    }
}
