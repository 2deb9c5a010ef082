using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

/// <summary>Builds small OCI layouts and docker archives in a temp folder, entry by entry, for the core tests.</summary>
internal sealed class TestImage : IDisposable
{
    private readonly List<(byte[] Blob, string MediaType, string DiffId)> _layers = new();

    public TestImage()
    {
        Root = Path.Combine(Path.GetTempPath(), "dnstools-img-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public static string Sha(byte[] data) => "sha256:" + Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    public sealed class Layer
    {
        internal readonly MemoryStream Stream = new();
        internal readonly TarWriter Writer;
        internal Layer() => Writer = new TarWriter(Stream, TarEntryFormat.Pax, leaveOpen: true);

        public Layer File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100)
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode };
            Writer.WriteEntry(e);
            return this;
        }

        public Layer Dir(string name)
        {
            Writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 });
            return this;
        }

        public Layer Symlink(string name, string target)
        {
            Writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });
            return this;
        }

        public Layer HardLink(string name, string target)
        {
            Writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });
            return this;
        }

        public Layer Whiteout(string dir, string name) => File((dir.Length == 0 ? "" : dir + "/") + ".wh." + name, "");

        public Layer Opaque(string dir) => File(dir + "/.wh..wh..opq", "");

        /// <summary>The tar; without its end-of-archive marker (and padding of the last entry) when <paramref name="endMarker"/> is false.</summary>
        public byte[] Bytes(bool endMarker = true, int lastDataLength = -1)
        {
            Writer.Dispose();
            var all = Stream.ToArray();
            if (endMarker) return all;
            var cut = 1024;
            if (lastDataLength > 0) cut += (512 - lastDataLength % 512) % 512;
            return all[..^cut];
        }
    }

    public static Layer NewLayer() => new();

    public TestImage Add(byte[] tar, LayerCompression compression = LayerCompression.Gzip)
    {
        byte[] blob;
        string media;
        switch (compression)
        {
            case LayerCompression.Gzip:
                var ms = new MemoryStream();
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(tar);
                blob = ms.ToArray();
                media = "application/vnd.oci.image.layer.v1.tar+gzip";
                break;
            case LayerCompression.Zstd:
                var zs = new MemoryStream();
                using (var z = new SharpCompress.Compressors.ZStandard.CompressionStream(zs, 3, 1 << 16, leaveOpen: true)) z.Write(tar);
                blob = zs.ToArray();
                media = "application/vnd.oci.image.layer.v1.tar+zstd";
                break;
            default:
                blob = tar;
                media = "application/vnd.oci.image.layer.v1.tar";
                break;
        }
        _layers.Add((blob, media, Sha(tar)));
        return this;
    }

    public TestImage Add(Layer layer, LayerCompression compression = LayerCompression.Gzip) => Add(layer.Bytes(), compression);

    /// <summary>A layer blob (gzip unless <paramref name="mediaType"/> says otherwise) written elsewhere, with the diff id (sha256 of its tar) its writer computed.</summary>
    public TestImage AddCompressed(byte[] blob, string diffId, string mediaType = "application/vnd.oci.image.layer.v1.tar+gzip")
    {
        _layers.Add((blob, mediaType, diffId));
        return this;
    }

    private string WriteBlob(string dir, byte[] data)
    {
        var digest = Sha(data);
        var path = Path.Combine(dir, "blobs", "sha256", digest[7..]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, data);
        return digest;
    }

    private static byte[] JsonBytes(object o) => JsonSerializer.SerializeToUtf8Bytes(o);

    /// <summary>Writes an OCI layout; with <paramref name="platforms"/>, an index with one manifest per platform (same layers).</summary>
    public string WriteOci(string name = "oci", string arch = "amd64", (string Os, string Arch, string? Variant)[]? platforms = null, string? refName = null)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        System.IO.File.WriteAllText(Path.Combine(dir, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        var layerDescs = _layers.Select(l => new Dictionary<string, object> { ["mediaType"] = l.MediaType, ["digest"] = WriteBlob(dir, l.Blob), ["size"] = l.Blob.Length }).ToList();
        var manifests = new List<object>();
        foreach (var p in platforms ?? new[] { ("linux", arch, (string?)null) })
        {
            var config = new Dictionary<string, object> { ["architecture"] = p.Item2, ["os"] = p.Item1, ["rootfs"] = new { type = "layers", diff_ids = _layers.Select(l => l.DiffId).ToArray() } };
            if (p.Item3 is not null) config["variant"] = p.Item3;
            var configBytes = JsonBytes(config);
            var manifest = JsonBytes(new Dictionary<string, object>
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["config"] = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = WriteBlob(dir, configBytes), size = configBytes.Length },
                ["layers"] = layerDescs,
            });
            var desc = new Dictionary<string, object> { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = WriteBlob(dir, manifest), ["size"] = manifest.Length };
            if (platforms is not null) desc["platform"] = p.Item3 is null ? new { os = p.Item1, architecture = p.Item2 } : new { os = p.Item1, architecture = p.Item2, variant = p.Item3 };
            if (refName is not null) desc["annotations"] = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = refName };
            manifests.Add(desc);
        }
        System.IO.File.WriteAllBytes(Path.Combine(dir, "index.json"), JsonBytes(new { schemaVersion = 2, manifests }));
        return dir;
    }

    public enum DockerLayout { Old, SymlinkedMembers, OciBased }

    /// <summary>
    /// Writes a docker save archive: Old (&lt;id&gt;/layer.tar), SymlinkedMembers (skopeo/podman: &lt;id&gt;/layer.tar links
    /// to &lt;digest&gt;.tar) or OciBased (docker 25+: blobs/sha256/&lt;digest&gt; beside manifest.json).
    /// </summary>
    public string WriteDockerArchive(string name = "app.tar", DockerLayout layout = DockerLayout.Old)
    {
        var file = Path.Combine(Root, name);
        using var fs = System.IO.File.Create(file);
        using var tw = new TarWriter(fs, TarEntryFormat.Ustar);
        void Put(string n, byte[] d) => tw.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, n) { DataStream = new MemoryStream(d) });
        var paths = new List<string>();
        var i = 0;
        foreach (var l in _layers)
        {
            var id = (++i).ToString("x64");
            var hex = Sha(l.Blob)[7..];
            switch (layout)
            {
                case DockerLayout.Old:
                    Put($"{id}/layer.tar", l.Blob);
                    paths.Add($"{id}/layer.tar");
                    break;
                case DockerLayout.SymlinkedMembers:
                    Put($"{hex}.tar", l.Blob);
                    tw.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, $"{id}/layer.tar") { LinkName = $"../{hex}.tar" });
                    paths.Add($"{id}/layer.tar");
                    break;
                default:
                    Put($"blobs/sha256/{hex}", l.Blob);
                    paths.Add($"blobs/sha256/{hex}");
                    break;
            }
        }
        var config = JsonBytes(new { architecture = "amd64", os = "linux", rootfs = new { type = "layers", diff_ids = _layers.Select(l => l.DiffId).ToArray() } });
        var configName = layout == DockerLayout.OciBased ? "blobs/sha256/" + Sha(config)[7..] : Sha(config)[7..] + ".json";
        Put(configName, config);
        if (layout == DockerLayout.OciBased) Put("oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
        Put("manifest.json", JsonBytes(new[] { new { Config = configName, RepoTags = new[] { "app:1.4" }, Layers = paths } }));
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
