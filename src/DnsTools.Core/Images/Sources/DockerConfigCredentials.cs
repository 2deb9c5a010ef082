using System.Text;
using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>
/// Registry credentials from the user's Docker client configuration, as `docker login` writes them:
/// $DOCKER_CONFIG/config.json, else ~/.docker/config.json. As the docker CLI decides (cli/config/configfile:
/// GetCredentialsStore): a "credHelpers" entry for the registry host, else "credsStore", names a credential helper
/// program docker-credential-NAME, which is run with "get" and the host on standard input and answers
/// {"Username","Secret"}; without a helper, the "auths" map keyed by registry host (also as "https://host" or
/// "https://host/v1/"), each with "auth" = base64("user:password") or "username" and "password".
/// </summary>
public static class DockerConfigCredentials
{
    public static (string User, string Password)? Find(string registryHost, string? configDirectory = null)
    {
        configDirectory ??= Environment.GetEnvironmentVariable("DOCKER_CONFIG")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        var path = Path.Combine(configDirectory, "config.json");
        if (!File.Exists(path) || new FileInfo(path).Length > 1 << 20) return null;
        string? helper = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
                helper = helpers.EnumerateObject().FirstOrDefault(h => string.Equals(HostOf(h.Name), registryHost, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } named ? named.GetString() : null;
            if (helper is null && doc.RootElement.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String)
                helper = store.GetString();
            if (!string.IsNullOrEmpty(helper)) return FromHelper(helper, registryHost);
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

    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs docker-credential-NAME get (the docker-credential-helpers protocol): the server address on standard
    /// input, {"ServerURL","Username","Secret"} on standard output; "credentials not found" (or an empty user) means none.
    /// </summary>
    internal static (string User, string Password)? FromHelper(string name, string registryHost)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z0-9._-]+$"))
            throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"config.json names the credential helper '{name}', which is not a program name (docker-credential-NAME).");
        var program = "docker-credential-" + name;
        var psi = new System.Diagnostics.ProcessStartInfo(program, "get")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        System.Diagnostics.Process? process;
        try
        {
            process = System.Diagnostics.Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"config.json asks the credential helper {program} for {registryHost}, and it cannot be started ({e.Message}); install it or remove credsStore/credHelpers, or pass -Credential.", e);
        }
        using (process)
        {
            if (process is null) throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"The credential helper {program} did not start.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(registryHost);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // A helper that exits without reading its input (a broken pipe): its exit code and output tell why.
            }
            if (!process.WaitForExit(HelperTimeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"The credential helper {program} did not answer for {registryHost} within {HelperTimeout.TotalSeconds:0} s.");
            }
            process.WaitForExit();
            var output = stdout.Result.Trim();
            if (process.ExitCode != 0)
            {
                var message = (output.Length > 0 ? output : stderr.Result.Trim());
                if (message.Contains("credentials not found", StringComparison.OrdinalIgnoreCase)) return null;
                throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"The credential helper {program} failed for {registryHost} (exit {process.ExitCode}): {Trim(message)}");
            }
            try
            {
                using var answer = JsonDocument.Parse(output);
                var user = answer.RootElement.TryGetProperty("Username", out var u) ? u.GetString() : null;
                var secret = answer.RootElement.TryGetProperty("Secret", out var p) ? p.GetString() : null;
                return string.IsNullOrEmpty(user) || secret is null ? null : (user, secret);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new ImageException(ImageErrorKind.Unauthorized, registryHost, $"The credential helper {program} answered for {registryHost} with {output.Length} characters that are not its JSON (not shown: they may hold the secret).", e);
            }
        }
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

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
