using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>Where a short image name (alpine:3.20) was found.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ShortNameSource
{
    /// <summary>The local Docker daemon holds an image of that name.</summary>
    LocalDaemon,
    /// <summary>A registry mirror (docker's daemon.json registry-mirrors, or one named by the user) serves docker.io's images.</summary>
    Mirror,
    /// <summary>docker.io itself.</summary>
    DockerHub,
}

/// <summary>A short name resolved the way docker resolves it: the reference to open, where it points, and why.</summary>
public sealed record ResolvedShortName(string Input, string Canonical, string Reference, ShortNameSource Source, string Location)
{
    /// <summary>"alpine:3.20 is docker.io/library/alpine:3.20, read from the registry mirror http://127.0.0.1:5000".</summary>
    public string Describe() => Source switch
    {
        ShortNameSource.LocalDaemon => $"{Input} is {Canonical}, read from the local daemon at {Location}",
        ShortNameSource.Mirror => $"{Input} is {Canonical}, read from the registry mirror {Location}",
        _ => $"{Input} is {Canonical}, read from docker.io ({Location}); no daemon holds it and no registry mirror is configured",
    };
}

/// <summary>
/// Short image names ("alpine:3.20", "team/app") as docker and trivy resolve them: the local daemon when it holds the
/// image, else docker.io through a registry mirror when one is configured, else docker.io itself.
/// </summary>
public static class ShortImageName
{
    /// <summary>The registry docker.io's API is served from (docker's DefaultRegistryHost / IndexServer).</summary>
    public const string DockerHubRegistry = "registry-1.docker.io";

    /// <summary>docker's daemon configuration file (dockerd --config-file default on Linux).</summary>
    public const string DefaultDaemonConfig = "/etc/docker/daemon.json";

    /// <summary>
    /// True when <paramref name="text"/> names a docker.io image without a registry host: its first path component has
    /// no '.' or ':' and is not "localhost" (distribution/reference normalize.go, splitDockerDomain).
    /// </summary>
    public static bool IsShortName(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Contains("://", StringComparison.Ordinal) || text.StartsWith('/') || text.StartsWith('.')) return false;
        var slash = text.IndexOf('/');
        if (slash < 0) return true;
        var first = text[..slash];
        return !(first.Contains('.') || first.Contains(':') || first == "localhost" || first != first.ToLowerInvariant());
    }

    /// <summary>docker.io/library/alpine:3.20 for alpine:3.20; docker.io/team/app:latest for team/app (normalize.go: library/ for one component, tag latest).</summary>
    public static string Canonical(string shortName)
    {
        var name = shortName;
        string? digest = null;
        var at = name.IndexOf('@');
        if (at >= 0) { digest = name[at..]; name = name[..at]; }
        var colon = name.LastIndexOf(':');
        string? tag = colon > name.LastIndexOf('/') ? name[(colon + 1)..] : null;
        if (tag is not null) name = name[..colon];
        if (!name.Contains('/')) name = "library/" + name;
        return "docker.io/" + name + (tag is not null ? ":" + tag : digest is null ? ":latest" : "") + (digest ?? "");
    }

    /// <summary>The registry-mirrors of a daemon.json (empty when the file is absent); a malformed file is an error naming it.</summary>
    public static IReadOnlyList<string> MirrorsFromDaemonConfig(string path)
    {
        if (!File.Exists(path)) return Array.Empty<string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("registry-mirrors", out var m) || m.ValueKind != JsonValueKind.Array)
                return Array.Empty<string>();
            return m.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(s => s.Length > 0).ToList();
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorKind.Corrupt, path, $"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Resolves a short name: the daemon (asked for at most <paramref name="daemonTimeout"/>), else the first mirror,
    /// else docker.io. Nothing is contacted but the daemon; the returned reference is what to open.
    /// </summary>
    public static ResolvedShortName Resolve(string shortName, IReadOnlyList<string> mirrors, ImageOpenOptions options, TimeSpan daemonTimeout, CancellationToken cancellationToken = default)
    {
        var canonical = Canonical(shortName);
        var repoRef = canonical["docker.io/".Length..];
        if (DaemonImages.Has(ImageTransport.Docker, shortName, options, daemonTimeout, cancellationToken) == true)
            return new ResolvedShortName(shortName, canonical, "docker:" + shortName, ShortNameSource.LocalDaemon, DaemonSource.Endpoint(ImageTransport.Docker, options));
        if (mirrors.Count > 0)
        {
            var mirror = mirrors[0];
            var host = MirrorHost(mirror);
            return new ResolvedShortName(shortName, canonical, $"registry:{host}/{repoRef}", ShortNameSource.Mirror, mirror);
        }
        return new ResolvedShortName(shortName, canonical, $"registry:{DockerHubRegistry}/{repoRef}", ShortNameSource.DockerHub, DockerHubRegistry);
    }

    /// <summary>HOST[:PORT] of a mirror written as a URL (http://127.0.0.1:5000/) or bare.</summary>
    public static string MirrorHost(string mirror)
    {
        if (Uri.TryCreate(mirror, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" && u.Host.Length > 0)
            return u.IsDefaultPort ? u.Host : $"{u.Host}:{u.Port}";
        var bare = mirror.TrimEnd('/');
        if (bare.Length == 0 || bare.Contains('/')) throw new ImageException(ImageErrorKind.NotFound, mirror, $"Registry mirror '{mirror}' is not a URL or HOST[:PORT].");
        return bare;
    }
}
