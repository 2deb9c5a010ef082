using System.Formats.Tar;
using System.Text.RegularExpressions;
using Docker.DotNet;

namespace DnsTools.Core.Images;

/// <summary>
/// docker:REF / podman:REF — an image in the local Docker daemon (or Podman's Docker-compatible service),
/// through Docker.DotNet: layers from image inspect, data from the image export (docker save) stream,
/// read once per pass and never written to disk.
/// </summary>
internal sealed class DaemonSource : IImageSource, ISequentialLayerSource
{
    private static readonly Regex LayerMember = new("^(?:[a-f0-9]{64}/layer\\.tar|[a-f0-9]{64}\\.tar|blobs/sha256/([a-f0-9]{64}))$", RegexOptions.CultureInvariant);
    private readonly DockerClient _client;
    private readonly string _name;
    private readonly string _endpoint;

    private DaemonSource(ImageReference reference, DockerClient client, string endpoint)
    {
        Reference = reference;
        _client = client;
        _endpoint = endpoint;
        _name = reference.Location;
    }

    public ImageReference Reference { get; }
    public ImagePlatform? Platform { get; private set; }
    public ImageRunConfig? RunConfig { get; private set; }
    public string? ManifestDigest { get; private set; }
    public IReadOnlyList<ImageLayerInfo> Layers { get; private set; } = Array.Empty<ImageLayerInfo>();

    /// <summary>The daemon endpoint: the option, else DOCKER_HOST (CONTAINER_HOST for podman), else the usual socket.</summary>
    internal static string Endpoint(ImageTransport transport, ImageOpenOptions options)
    {
        if (!string.IsNullOrEmpty(options.DaemonSocket))
            return options.DaemonSocket.Contains("://", StringComparison.Ordinal) ? options.DaemonSocket : "unix://" + options.DaemonSocket;
        if (transport == ImageTransport.Podman)
        {
            if (Environment.GetEnvironmentVariable("CONTAINER_HOST") is { Length: > 0 } ch) return ch;
            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            var user = runtime is { Length: > 0 } ? Path.Combine(runtime, "podman", "podman.sock") : null;
            return "unix://" + (user is not null && File.Exists(user) ? user : "/run/podman/podman.sock");
        }
        return Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } dh ? dh : "unix:///var/run/docker.sock";
    }

    public static IImageSource Open(ImageReference reference, ImageOpenOptions options, CancellationToken ct)
    {
        var endpoint = Endpoint(reference.Transport, options);
        DockerClient client;
        try
        {
            client = new DockerClientConfiguration(new Uri(endpoint), defaultTimeout: options.Timeout).CreateClient();
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or NotSupportedException)
        {
            throw new ImageException(ImageErrorKind.Network, reference.Original, $"Image '{reference.Original}': '{endpoint}' is not a daemon endpoint ({e.Message}).", e);
        }
        var source = new DaemonSource(reference, client, endpoint);
        try
        {
            source.Load(options, ct);
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private T Call<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return call().GetAwaiter().GetResult();
        }
        catch (DockerImageNotFoundException e)
        {
            throw new ImageException(ImageErrorKind.NotFound, Reference.Original, $"Image '{Reference.Original}': the daemon at {_endpoint} has no image '{_name}'.", e);
        }
        catch (DockerApiException e)
        {
            throw new ImageException(ImageErrorKind.Network, Reference.Original, $"Image '{Reference.Original}': the daemon at {_endpoint} answered {(int)e.StatusCode} to {what}: {e.ResponseBody?.Trim()}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new ImageException(ImageErrorKind.Network, Reference.Original, $"Image '{Reference.Original}': cannot reach the daemon at {_endpoint} ({e.Message}).", e);
        }
    }

    private void Load(ImageOpenOptions options, CancellationToken ct)
    {
        var inspect = Call(() => _client.Images.InspectImageAsync(_name, ct), "image inspect");
        Platform = inspect.Os is { Length: > 0 } os && inspect.Architecture is { Length: > 0 } arch ? new ImagePlatform(os, ImagePlatform.NormalizeArch(arch), string.IsNullOrEmpty(inspect.Variant) ? null : inspect.Variant) : null;
        if (!options.AnyPlatform && options.Platform is { } asked && Platform is not null && !asked.Matches(Platform.Os, Platform.Architecture, Platform.Variant))
            throw new ImageException(ImageErrorKind.PlatformNotFound, Reference.Original, $"Image '{Reference.Original}' is {Platform}, not {asked}.");
        ManifestDigest = inspect.ID;
        // image inspect's Config is the image config's "config" object (Entrypoint, Cmd, Env...).
        var c = inspect.Config;
        RunConfig = new ImageRunConfig
        {
            Entrypoint = c?.Entrypoint?.ToArray() ?? Array.Empty<string>(),
            Cmd = c?.Cmd?.ToArray() ?? Array.Empty<string>(),
            Env = c?.Env?.ToArray() ?? Array.Empty<string>(),
            WorkingDir = string.IsNullOrEmpty(c?.WorkingDir) ? null : c.WorkingDir,
            User = string.IsNullOrEmpty(c?.User) ? null : c.User,
        };
        var diffIds = inspect.RootFS?.Layers ?? new List<string>();
        LayerLimits.Check(diffIds.ToList(), Reference.Original, options);
        Layers = diffIds.Select((d, i) => new ImageLayerInfo
        {
            Image = Reference.Original,
            Index = i,
            Digest = Digests.Check(d, Reference.Original, $"layer {i}"),
            DiffId = d,
            MediaType = MediaTypes.DockerLayer,
            Compression = LayerCompression.None,
            Locator = d,
        }).ToList();
    }

    public Stream OpenLayer(ImageLayerInfo layer, CancellationToken cancellationToken = default) =>
        throw new ImageException(ImageErrorKind.Unsupported, Reference.Original, "A daemon image's layers are read from its export stream, in one pass.");

    public void ReadExport(Action<string, Stream> onLayer, CancellationToken ct)
    {
        using var export = Call(() => _client.Images.SaveImageAsync(_name, ct), "image save");
        // Synchronous reads do not watch the token: a cancellation closes the export stream instead.
        using var abort = ct.Register(export.Dispose);
        var diffIds = new HashSet<string>(Layers.Select(l => l.DiffId!), StringComparer.Ordinal);
        using var reader = new TarReader(export, leaveOpen: true);
        var count = 0;
        try
        {
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                ct.ThrowIfCancellationRequested();
                if (++count > 1_000_000) throw new ImageException(ImageErrorKind.LimitExceeded, Reference.Original, $"Image '{Reference.Original}': the export holds more than a million members.");
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = TarIndex.Normalize(entry.Name);
                var m = LayerMember.Match(name);
                if (!m.Success) continue;
                // In the OCI-based export every blob sits in blobs/sha256: only the uncompressed layers are ours.
                if (m.Groups[1].Success && !diffIds.Contains("sha256:" + m.Groups[1].Value)) continue;
                // TarReader's member stream throws at its end instead of answering 0: bound it ourselves.
                onLayer(name, new BoundedStream(entry.DataStream, entry.Length));
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            throw new OperationCanceledException("The read was stopped.", e, ct);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ObjectDisposedException)
        {
            throw new ImageException(ImageErrorKind.Corrupt, Reference.Original, $"Image '{Reference.Original}': the daemon's export stream broke off: {e.Message}", e);
        }
    }

    public void Dispose() => _client.Dispose();

    private sealed class BoundedStream : Stream
    {
        private readonly Stream _inner;
        private long _left;
        public BoundedStream(Stream inner, long length) { _inner = inner; _left = length; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0 || buffer.Length == 0) return 0;
            var n = _inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (n == 0) throw new EndOfStreamException("The export ended inside a layer.");
            _left -= n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Quick questions to a local daemon (bounded in time): does it hold an image, which image names does it hold.</summary>
public static class DaemonImages
{
    /// <summary>True when the daemon holds <paramref name="name"/>, false when it answers that it does not, null when it does not answer within <paramref name="timeout"/>.</summary>
    public static bool? Has(ImageTransport transport, string name, ImageOpenOptions options, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Ask<bool?>(transport, options, timeout, cancellationToken, async (client, ct) =>
        {
            try
            {
                await client.Images.InspectImageAsync(name, ct).ConfigureAwait(false);
                return true;
            }
            catch (DockerImageNotFoundException)
            {
                return false;
            }
        });

    /// <summary>The repo:tag names the daemon holds (sorted); null when it does not answer within <paramref name="timeout"/>.</summary>
    public static IReadOnlyList<string>? Names(ImageTransport transport, ImageOpenOptions options, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Ask<IReadOnlyList<string>>(transport, options, timeout, cancellationToken, async (client, ct) =>
        {
            var images = await client.Images.ListImagesAsync(new Docker.DotNet.Models.ImagesListParameters(), ct).ConfigureAwait(false);
            return images.SelectMany(i => i.RepoTags ?? new List<string>()).Where(t => t is { Length: > 0 } && t != "<none>:<none>")
                .Distinct(StringComparer.Ordinal).OrderBy(t => t, StringComparer.Ordinal).ToList();
        });

    private static T? Ask<T>(ImageTransport transport, ImageOpenOptions options, TimeSpan timeout, CancellationToken cancellationToken, Func<DockerClient, CancellationToken, Task<T>> question)
    {
        var endpoint = DaemonSource.Endpoint(transport, options);
        if (endpoint.StartsWith("unix://", StringComparison.Ordinal) && !File.Exists(endpoint["unix://".Length..])) return default;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var client = new DockerClientConfiguration(new Uri(endpoint), defaultTimeout: timeout).CreateClient();
            var task = question(client, cts.Token);
            // The wait is bounded even if the client ignores the token while connecting.
            return task.Wait(timeout + TimeSpan.FromMilliseconds(200)) ? task.Result : default;
        }
        catch (Exception e) when (e is AggregateException or OperationCanceledException or UriFormatException or ArgumentException or NotSupportedException or HttpRequestException or IOException or System.Net.Sockets.SocketException or TimeoutException or DockerApiException)
        {
            return default;
        }
    }
}
