using System.Text;
using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>
/// Registry credentials from the user's Docker client configuration, as `docker login` writes them:
/// $DOCKER_CONFIG/config.json, else ~/.docker/config.json, its "auths" map keyed by registry host
/// (also as "https://host" or "https://host/v1/"), each with "auth" = base64("user:password") or
/// "username" and "password". Credential helpers (credsStore, credHelpers) are not run.
/// </summary>
public static class DockerConfigCredentials
{
    public static (string User, string Password)? Find(string registryHost, string? configDirectory = null)
    {
        configDirectory ??= Environment.GetEnvironmentVariable("DOCKER_CONFIG")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        var path = Path.Combine(configDirectory, "config.json");
        if (!File.Exists(path) || new FileInfo(path).Length > 1 << 20) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
            foreach (var entry in auths.EnumerateObject())
            {
                if (!string.Equals(HostOf(entry.Name), registryHost, StringComparison.OrdinalIgnoreCase)) continue;
                var value = entry.Value;
                if (value.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                {
                    var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                    var colon = text.IndexOf(':');
                    if (colon > 0) return (text[..colon], text[(colon + 1)..]);
                }
                if (value.TryGetProperty("username", out var user) && value.TryGetProperty("password", out var password)
                    && user.GetString() is { Length: > 0 } u && password.GetString() is { } p)
                    return (u, p);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // A broken config.json means no stored credentials, not a failed pull: the registry's 401 says the rest.
        }
        return null;
    }

    /// <summary>"https://host:5000/v1/" → "host:5000"; "host:5000" stays.</summary>
    private static string HostOf(string key)
    {
        var k = key;
        var scheme = k.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) k = k[(scheme + 3)..];
        var slash = k.IndexOf('/');
        return slash >= 0 ? k[..slash] : k;
    }
}
