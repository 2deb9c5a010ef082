using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DnsTools.Core.Images;

/// <summary>A registry image reference: HOST[:PORT]/REPO[:TAG][@DIGEST].</summary>
public sealed record RegistryReference(string Host, string Repository, string? Tag, string? Digest)
{
    /// <summary>The tag or digest the manifest is fetched by.</summary>
    public string Reference => Digest ?? Tag ?? "latest";

    public static RegistryReference Parse(string text)
    {
        var rest = text.Trim();
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0) { digest = rest[(at + 1)..]; rest = rest[..at]; }
        var slash = rest.IndexOf('/');
        if (slash <= 0) throw new ImageException(ImageErrorKind.NotFound, text, $"Registry reference '{text}' names no registry host: write HOST[:PORT]/REPOSITORY[:TAG], e.g. 127.0.0.1:5000/team/app:1.4.");
        var host = rest[..slash];
        if (!(host.Contains('.') || host.Contains(':') || host == "localhost" || host.StartsWith('[')))
            throw new ImageException(ImageErrorKind.NotFound, text, $"Registry reference '{text}' names no registry host ('{host}' is a repository path): write HOST[:PORT]/REPOSITORY[:TAG].");
        var repoAndTag = rest[(slash + 1)..];
        string? tag = null;
        var colon = repoAndTag.LastIndexOf(':');
        if (colon > repoAndTag.LastIndexOf('/')) { tag = repoAndTag[(colon + 1)..]; repoAndTag = repoAndTag[..colon]; }
        if (repoAndTag.Length == 0 || repoAndTag.Split('/').Any(p => p.Length == 0 || p is "." or ".." || p.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'))))
            throw new ImageException(ImageErrorKind.NotFound, text, $"Registry reference '{text}': '{repoAndTag}' is not a repository name (lowercase letters, digits, . _ - and /).");
        if (tag is not null && (tag.Length == 0 || tag.Length > 128 || tag.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))))
            throw new ImageException(ImageErrorKind.NotFound, text, $"Registry reference '{text}': '{tag}' is not a tag.");
        if (digest is not null && !Digests.IsValid(digest))
            throw new ImageException(ImageErrorKind.NotFound, text, $"Registry reference '{text}': '{digest}' is not a sha256/sha512 digest.");
        return new RegistryReference(host, repoAndTag, tag, digest);
    }

    /// <summary>Loopback hosts (127.0.0.0/8, ::1, localhost) may be spoken to over plain HTTP.</summary>
    public bool IsLoopback
    {
        get
        {
            var h = Host;
            if (h.StartsWith('[')) h = h[1..h.IndexOf(']')];
            else if (h.Count(c => c == ':') == 1) h = h[..h.IndexOf(':')];
            return h == "localhost" || (IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip));
        }
    }
}

/// <summary>An image in a registry, over the OCI distribution API (anonymous, basic or bearer-token auth).</summary>
internal sealed class RegistrySource : IImageSource
{
    private static readonly string[] ManifestAccept =
    {
        MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerList, MediaTypes.DockerManifest,
    };

    private readonly HttpClient _http;
    private readonly RegistryReference _ref;
    private readonly ImageOpenOptions _options;
    private string _base;
    private volatile bool _sawTls;
    private System.Net.Security.SslPolicyErrors _tlsErrors;
    private string? _authorization;

    private RegistrySource(ImageReference reference, RegistryReference r, ImageOpenOptions options)
    {
        Reference = reference;
        _ref = r;
        _options = options;
        _base = $"https://{r.Host}/v2/";
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                // The system's validation, noting that the server spoke TLS and what was wrong with its certificate.
                RemoteCertificateValidationCallback = (_, _, _, errors) =>
                {
                    _sawTls = true;
                    _tlsErrors = errors;
                    return errors == System.Net.Security.SslPolicyErrors.None;
                },
            },
        })
        { Timeout = options.Timeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("DnsTools/0.1");
    }

    public ImageReference Reference { get; }
    public ImagePlatform? Platform { get; private set; }
    public ImageRunConfig? RunConfig { get; private set; }
    private readonly List<ImagePlatform> _offered = new();
    public IReadOnlyList<ImagePlatform> Platforms => _offered.Count > 0 ? _offered : Platform is null ? Array.Empty<ImagePlatform>() : new[] { Platform };
    public string? ManifestDigest { get; private set; }
    public IReadOnlyList<ImageLayerInfo> Layers { get; private set; } = Array.Empty<ImageLayerInfo>();
    private string Name => Reference.Original;

    public static IImageSource Open(ImageReference reference, ImageOpenOptions options, CancellationToken ct)
    {
        var r = RegistryReference.Parse(reference.Location);
        var source = new RegistrySource(reference, r, options);
        try
        {
            source.Load(ct);
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// HTTPS always; plain HTTP only for a loopback registry (or with -AllowInsecureRegistry), and only when
    /// it does not speak TLS — as docker does for insecure registries.
    /// </summary>
    private void ChooseScheme(CancellationToken ct)
    {
        if (!_ref.IsLoopback && !_options.AllowInsecureRegistry) return;
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, _base);
            using var response = _http.Send(probe, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            if (_sawTls && _tlsErrors != System.Net.Security.SslPolicyErrors.None)
                throw new ImageException(ImageErrorKind.Network, Name, $"Image '{Name}': the registry at {_ref.Host} speaks TLS but its certificate is not trusted ({_tlsErrors}); add its CA to the system's trust (or SSL_CERT_FILE).", e);
            if (!_sawTls) _base = $"http://{_ref.Host}/v2/"; // no TLS there: plain HTTP, allowed for this registry
        }
    }

    private void Load(CancellationToken ct)
    {
        ImagePlatform? fromIndex = null;
        ChooseScheme(ct);
        var (bytes, mediaType, digest) = GetManifest(_ref.Reference, ct);
        if (_ref.Digest is { } pinned && digest != pinned)
            throw new ImageException(ImageErrorKind.DigestMismatch, pinned, $"Image '{Name}': the registry's manifest for {pinned} hashes to {digest}.");
        using (var doc = Json.Parse(bytes, Name, "the manifest"))
        {
            if (MediaTypes.IsIndex(mediaType) || MediaTypes.IsIndex(doc.RootElement.Str("mediaType")) || doc.RootElement.Prop("manifests").ValueKind == JsonValueKind.Array)
            {
                var chosen = ManifestSelector.Select(doc.RootElement, null, _options.Platform, Name, d => GetManifest(d, ct).Bytes, offered: _offered, anyPlatform: _options.AnyPlatform, onChosen: p => fromIndex = p);
                (bytes, _, digest) = GetManifest(chosen, ct);
                if (digest != chosen)
                    throw new ImageException(ImageErrorKind.DigestMismatch, chosen, $"Image '{Name}': the registry's manifest {chosen} hashes to {digest}.");
            }
        }
        ManifestDigest = digest;
        var (layers, platform, runConfig) = ManifestSelector.ReadManifest(bytes, Name, _options.AnyPlatform ? null : _options.Platform, d => GetSmallBlob(d, ct), (d, _) => d, _options);
        Layers = layers;
        Platform = ImagePlatform.WithVariantOf(platform, fromIndex);
        RunConfig = runConfig;
    }

    private (byte[] Bytes, string? MediaType, string Digest) GetManifest(string reference, CancellationToken ct)
    {
        using var response = Send(() =>
        {
            var req = new HttpRequestMessage(HttpMethod.Get, $"{_base}{_ref.Repository}/manifests/{reference}");
            foreach (var a in ManifestAccept) req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(a));
            return req;
        }, $"manifest {reference}", ct);
        var bytes = ReadCapped(response, 16 << 20, $"manifest {reference}", ct);
        return (bytes, response.Content.Headers.ContentType?.MediaType, Digests.Of(bytes));
    }

    private byte[] GetSmallBlob(string digest, CancellationToken ct)
    {
        using var response = Send(() => new HttpRequestMessage(HttpMethod.Get, $"{_base}{_ref.Repository}/blobs/{digest}"), $"blob {digest}", ct);
        var bytes = ReadCapped(response, 16 << 20, $"blob {digest}", ct);
        var actual = Digests.Of(bytes);
        if (actual != digest) throw new ImageException(ImageErrorKind.DigestMismatch, digest, $"Image '{Name}': blob {digest} hashes to {actual}.");
        return bytes;
    }

    private byte[] ReadCapped(HttpResponseMessage response, long cap, string what, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > cap)
            throw new ImageException(ImageErrorKind.LimitExceeded, Name, $"Image '{Name}': {what} is {response.Content.Headers.ContentLength} bytes, more than {cap}.");
        using var s = response.Content.ReadAsStream(ct);
        using var ms = new MemoryStream();
        var buf = new byte[81920];
        int n;
        while ((n = s.Read(buf)) > 0)
        {
            ms.Write(buf, 0, n);
            if (ms.Length > cap) throw new ImageException(ImageErrorKind.LimitExceeded, Name, $"Image '{Name}': {what} is more than {cap} bytes.");
        }
        return ms.ToArray();
    }

    public Stream OpenLayer(ImageLayerInfo layer, CancellationToken cancellationToken = default)
    {
        var response = Send(() => new HttpRequestMessage(HttpMethod.Get, $"{_base}{_ref.Repository}/blobs/{layer.Locator}"), $"layer {layer.Locator}", cancellationToken);
        // Synchronous reads do not watch the token: a cancellation aborts the response instead.
        return new ResponseStream(response, response.Content.ReadAsStream(cancellationToken), cancellationToken.Register(response.Dispose));
    }

    /// <summary>Sends, answering one authentication challenge (basic, or bearer via the token realm).</summary>
    private HttpResponseMessage Send(Func<HttpRequestMessage> make, string what, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var req = make();
            if (_authorization is not null) req.Headers.TryAddWithoutValidation("Authorization", _authorization);
            HttpResponseMessage response;
            try
            {
                response = _http.Send(req, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                if (_sawTls && _tlsErrors != System.Net.Security.SslPolicyErrors.None)
                    throw new ImageException(ImageErrorKind.Network, Name, $"Image '{Name}': the certificate of {_base} is not trusted ({_tlsErrors}).", e);
                throw new ImageException(ImageErrorKind.Network, Name, $"Image '{Name}': cannot reach {_base} ({e.Message}).", e);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new ImageException(ImageErrorKind.Network, Name, $"Image '{Name}': {_base} did not answer within {_options.Timeout.TotalSeconds} s.", e);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
                response.Dispose();
                _authorization = Authenticate(challenge, ct);
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            var body = "";
            try { body = Encoding.UTF8.GetString(ReadCapped(response, 4096, what, ct)); } catch (ImageException) { }
            var status = (int)response.StatusCode;
            response.Dispose();
            var kind = status switch { 401 or 403 => ImageErrorKind.Unauthorized, 404 => ImageErrorKind.NotFound, _ => ImageErrorKind.Network };
            throw new ImageException(kind, Name, $"Image '{Name}': the registry answered {status} for {what}: {Trim(body)}");
        }
        throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the registry refused the credentials for {what}.");
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "..." : s.Trim();

    private string Authenticate(AuthenticationHeaderValue? challenge, CancellationToken ct)
    {
        if (challenge is null)
            throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the registry answered 401 without a challenge.");
        // -Credential first, else what `docker login` stored for this registry.
        var creds = _options.Credentials ?? DockerConfigCredentials.Find(_ref.Host);
        string? basic = creds is { } c ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.User}:{c.Password}")) : null;
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return basic is null
                ? throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the registry wants a user name and password (-Credential, or docker login's config.json).")
                : "Basic " + basic;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the registry's authentication scheme '{challenge.Scheme}' is not supported.");
        var p = ParseChallenge(challenge.Parameter ?? "");
        if (!p.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("https" or "http"))
            throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the bearer challenge names no usable realm.");
        if (realmUri.Scheme == "http" && !(realmUri.IsLoopback || _options.AllowInsecureRegistry))
            throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the token realm {realm} is plain HTTP and not on loopback (use -AllowInsecureRegistry).");
        var query = new List<string>();
        if (p.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(p.TryGetValue("scope", out var scope) ? scope : $"repository:{_ref.Repository}:pull"));
        var url = realm + (realm.Contains('?') ? "&" : "?") + string.Join("&", query);
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        if (basic is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        HttpResponseMessage response;
        try { response = _http.Send(req, HttpCompletionOption.ResponseHeadersRead, ct); }
        catch (HttpRequestException e) { throw new ImageException(ImageErrorKind.Network, Name, $"Image '{Name}': cannot reach the token realm {realm} ({e.Message}).", e); }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the token realm {realm} answered {(int)response.StatusCode}.");
            using var doc = Json.Parse(ReadCapped(response, 1 << 20, "the token", ct), Name, "the token response");
            var token = doc.RootElement.Str("token") ?? doc.RootElement.Str("access_token");
            if (string.IsNullOrEmpty(token)) throw new ImageException(ImageErrorKind.Unauthorized, Name, $"Image '{Name}': the token realm {realm} gave no token.");
            return "Bearer " + token;
        }
    }

    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < parameter.Length)
        {
            while (i < parameter.Length && (parameter[i] == ',' || char.IsWhiteSpace(parameter[i]))) i++;
            var eq = parameter.IndexOf('=', i);
            if (eq < 0) break;
            var key = parameter[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < parameter.Length && parameter[i] == '"')
            {
                var end = parameter.IndexOf('"', i + 1);
                if (end < 0) end = parameter.Length;
                value = parameter[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = parameter.IndexOf(',', i);
                if (end < 0) end = parameter.Length;
                value = parameter[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    public void Dispose() => _http.Dispose();

    private sealed class ResponseStream : Stream
    {
        private readonly HttpResponseMessage _response;
        private readonly Stream _inner;
        private readonly CancellationTokenRegistration _abort;
        public ResponseStream(HttpResponseMessage response, Stream inner, CancellationTokenRegistration abort) { _response = response; _inner = inner; _abort = abort; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => _inner.Read(buffer);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) { _abort.Dispose(); _inner.Dispose(); _response.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
