using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

/// <summary>The registry client against a small in-process registry on 127.0.0.1 (what a real one cannot be made to do: stall).</summary>
public class RegistryClientTests
{
    private sealed class FakeRegistry : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly string _layout;
        public readonly List<string> Accepts = new();

        public FakeRegistry(string layout, string stallDigest)
        {
            _layout = layout;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                for (var i = 0; i < 50 && !_stop.IsCancellationRequested; i++)
                {
                    HttpListenerContext ctx;
                    try { ctx = await _listener.GetContextAsync().WaitAsync(_stop.Token); }
                    catch (Exception) { return; }
                    _ = Task.Run(() => Serve(ctx, stallDigest));
                }
            });
        }

        public int Port { get; }

        private async Task Serve(HttpListenerContext ctx, string stallDigest)
        {
            var path = ctx.Request.Url!.AbsolutePath;
            try
            {
                if (path.Contains("/manifests/"))
                {
                    lock (Accepts) Accepts.Add(ctx.Request.Headers["Accept"] ?? "");
                    using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_layout, "index.json")));
                    var digest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
                    ctx.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
                    await ctx.Response.OutputStream.WriteAsync(File.ReadAllBytes(Path.Combine(_layout, "blobs", "sha256", digest[7..])));
                }
                else if (path.Contains("/blobs/sha256:"))
                {
                    var digest = path[(path.IndexOf("/blobs/", StringComparison.Ordinal) + 7)..];
                    var data = File.ReadAllBytes(Path.Combine(_layout, "blobs", "sha256", digest[7..]));
                    if (digest == stallDigest)
                    {
                        ctx.Response.SendChunked = true;
                        await ctx.Response.OutputStream.WriteAsync(data.AsMemory(0, 65536));
                        await ctx.Response.OutputStream.FlushAsync();
                        await Task.Delay(TimeSpan.FromSeconds(20), _stop.Token);
                    }
                    await ctx.Response.OutputStream.WriteAsync(data);
                }
                else if (path == "/v2/") { }
                else ctx.Response.StatusCode = 404;
                ctx.Response.Close();
            }
            catch (Exception)
            {
                try { ctx.Response.Abort(); } catch (Exception) { }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _listener.Close();
            try { _loop.Wait(5000); } catch (AggregateException) { }
        }
    }

    [Fact]
    public void Sends_every_manifest_media_type_and_stops_a_stalled_layer_download_when_cancelled()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/os-release", "ID=test\n"));
        img.Add(TestImage.NewLayer().File("big", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20))).File("etc/hosts", "h\n"));
        var layout = img.WriteOci();
        string stall;
        using (var local = ImageSource.Open("oci-dir:" + layout)) stall = local.Layers[1].Digest!;
        using var registry = new FakeRegistry(layout, stall);

        using var src = ImageSource.Open($"registry:127.0.0.1:{registry.Port}/team/app:1");
        Assert.Equal(2, src.Layers.Count);
        var accept = Assert.Single(registry.Accepts);
        foreach (var t in new[] { "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                     "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json" })
            Assert.Contains(t, accept);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        var watch = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFileReader.Read(src, new[] { "/etc/hosts" }, false, null, null, cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {watch.Elapsed}");
    }
}
