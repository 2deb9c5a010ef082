using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using DnsTools.Core.Capture;
using DnsTools.Core.Dns;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Fuzz;

/// <summary>
/// One fuzz target: the bytes go in where untrusted input becomes objects (the surface's public entry
/// point, as a cmdlet calls it), and only the surface's own error may come out.
/// </summary>
public sealed record Harness(string Name, string Description, Action<byte[]> Run, Func<Exception, bool> IsSurfaceError)
{
    public void RunAllowingSurfaceErrors(byte[] input)
    {
        try
        {
            Run(input);
        }
        catch (Exception e) when (IsSurfaceError(e))
        {
        }
    }

    /// <summary>Null when the input ends normally or in the surface's own error; otherwise what went wrong.</summary>
    public string? Check(byte[] input)
    {
        try
        {
            RunAllowingSurfaceErrors(input);
            return null;
        }
        catch (Exception e)
        {
            return $"{Name}: {e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
        }
    }
}

public static class Harnesses
{
    public static readonly IReadOnlyDictionary<string, Harness> All = new[]
    {
        new Harness("dns-wire", "DNS message reader (DnsWire.Parse, ReadAddresses): replies the probe receives, packets in captures",
            DnsMessage, e => e is DnsFormatException),
        new Harness("pcap", "pcap and pcapng reader, then pairing and lookups (Read-/Measure-DnsCapture -Path on a capture)",
            Pcap, e => e is InvalidDataException),
        new Harness("tcpdump-text", "tcpdump text reader, then pairing and lookups (Read-/Measure-DnsCapture on text)",
            TcpdumpText, _ => false),
        new Harness("resolv-conf", "resolv.conf parser, then every resolver model's plan for a short and a long name (ConvertFrom-ResolvConf, Get-ResolverQueryPlan)",
            ResolvConfAndPlans, _ => false),
        new Harness("image-archive", "a whole docker-archive tar: archive index, manifest, config and layers (Get-ImageFile -Recurse, Get-ImageDnsProfile)",
            bytes => WithImage(bytes, Scan), IsImageError),
        new Harness("image-layer", "one layer blob (tar, gzip or zstd) in an otherwise valid image (Get-ImageFile -Recurse, Get-ImageDnsProfile)",
            bytes => WithImage(DockerArchive(layer: bytes), Scan), IsImageError),
        new Harness("image-manifest", "manifest.json (first byte even) or the image config JSON (odd) of a docker-archive",
            ImageManifest, IsImageError),
        new Harness("elf", "the entrypoint binary (ELF program headers, dynamic section, Go build info) of an image (Get-ImageDnsProfile)",
            bytes => WithImage(DockerArchive(layer: Layer(("app", bytes, 0b111_101_101)), entrypoint: "/app"), Inspect), IsImageError),
        new Harness("pkgdb", "a package database (first byte % 4: apk installed, dpkg status, rpm sqlite, rpm Packages) of an image (Get-ImageDnsProfile)",
            PackageDatabase, IsImageError),
    }.ToDictionary(h => h.Name);

    private static bool IsImageError(Exception e) => e is ImageException;

    private static void DnsMessage(byte[] bytes)
    {
        try
        {
            var m = DnsWire.Parse(bytes);
            _ = m.QuestionName.Length + m.Header.AnswerCount;
        }
        finally
        {
            _ = DnsWire.ReadAddresses(bytes).Count;
        }
    }

    private static void Pcap(byte[] bytes)
    {
        var stats = new CaptureReadStatistics();
        var queries = CaptureAnalyzer.Pair(PcapReader.Read(new MemoryStream(bytes), stats, "fuzz.pcap"));
        foreach (var lookup in CaptureAnalyzer.Lookups(queries)) _ = lookup.ToString();
        _ = stats.Warnings("fuzz.pcap").Count();
    }

    private static void TcpdumpText(byte[] bytes)
    {
        var stats = new CaptureReadStatistics();
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        var packets = TcpdumpTextReader.Read(TcpdumpTextReader.ReadLines(reader), stats, "fuzz.txt");
        foreach (var lookup in CaptureAnalyzer.Lookups(CaptureAnalyzer.Pair(packets)))
        {
            _ = lookup.ToString();
            foreach (var q in lookup.Queries) _ = q.ToString();
        }
    }

    private static readonly string[] Resolvers = { "musl-1.2.3", "glibc-2.36", "go-1.22" };

    private static void ResolvConfAndPlans(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var conf = ResolvConfParser.Parse(text, "fuzz");
        _ = conf.ToString();
        foreach (var spec in Resolvers)
        {
            var model = ResolverModel.For(spec);
            foreach (var name in new[] { "api", "a.b.example.com", new string('x', 63) + "." + new string('y', 64) })
            {
                var plan = model.Plan(name, conf);
                _ = plan.ToString();
            }
        }
    }

    private static void ImageManifest(byte[] bytes)
    {
        if (bytes.Length == 0) return;
        var json = bytes[1..];
        var archive = bytes[0] % 2 == 0 ? DockerArchive(manifest: json) : DockerArchive(config: json);
        WithImage(archive, Scan);
    }

    private static readonly string[] PackageDatabasePaths =
    {
        "lib/apk/db/installed", "var/lib/dpkg/status", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages",
    };

    private static void PackageDatabase(byte[] bytes)
    {
        if (bytes.Length == 0) return;
        var path = PackageDatabasePaths[bytes[0] % PackageDatabasePaths.Length];
        WithImage(DockerArchive(layer: Layer((path, bytes[1..], 0b110_100_100))), Inspect);
    }

    private static void Scan(IImageSource source)
    {
        var options = new ImageScanOptions { MaxDecompressedBytes = 64 << 20, MaxContentBytes = 1 << 20 };
        foreach (var f in ImageFileReader.Read(source, new[] { "/" }, recurse: true, options, _ => { })) _ = f.Permissions;
        foreach (var f in ImageFileReader.Read(source, new[] { "/etc/resolv.conf", "/app" }, recurse: false, options, _ => { })) _ = f.Content?.Length;
        Inspect(source);
    }

    private static void Inspect(IImageSource source)
    {
        var options = new ImageScanOptions { MaxDecompressedBytes = 64 << 20, MaxContentBytes = 1 << 20 };
        var profile = ImageDnsInspector.Inspect(source, options);
        foreach (var finding in ImageDnsRules.Evaluate(profile)) _ = finding.ToString();
    }

    /// <summary>Writes the archive to a file of this process (image references name files) and opens it.</summary>
    private static void WithImage(byte[] archive, Action<IImageSource> use)
    {
        var file = Path.Combine(Path.GetTempPath(), $"dnstools-fuzz-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}-{Guid.NewGuid():n}.tar");
        try
        {
            File.WriteAllBytes(file, archive);
            using var source = ImageSource.Open("docker-archive:" + file);
            use(source);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A layer tar of regular files.</summary>
    public static byte[] Layer(params (string Path, byte[] Content, int Mode)[] files)
    {
        var ms = new MemoryStream();
        using (var tw = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content, mode) in files)
                tw.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content), Mode = (UnixFileMode)mode });
        }
        return ms.ToArray();
    }

    private static readonly byte[] DefaultLayer = Layer(
        ("etc/resolv.conf", "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"u8.ToArray(), 0b110_100_100),
        ("lib/apk/db/installed", "P:musl\nV:1.2.3-r4\n\n"u8.ToArray(), 0b110_100_100));

    /// <summary>
    /// A docker-archive (old layout) with one layer; any part may be replaced by fuzz input. The config's
    /// diff id is the layer's own digest, so an uncompressed layer passes the digest check and is read.
    /// </summary>
    public static byte[] DockerArchive(byte[]? layer = null, byte[]? manifest = null, byte[]? config = null, string? entrypoint = null)
    {
        layer ??= DefaultLayer;
        var diffId = "sha256:" + Convert.ToHexString(SHA256.HashData(layer)).ToLowerInvariant();
        var entry = entrypoint is null ? string.Empty : $",\"config\":{{\"Entrypoint\":[\"{entrypoint}\"]}}";
        config ??= Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{diffId}\"]}}{entry}}}");
        const string layerPath = "0000000000000000000000000000000000000000000000000000000000000001/layer.tar";
        const string configPath = "config.json";
        manifest ??= Encoding.UTF8.GetBytes($"[{{\"Config\":\"{configPath}\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"{layerPath}\"]}}]");
        var ms = new MemoryStream();
        using (var tw = new TarWriter(ms, TarEntryFormat.Ustar, leaveOpen: true))
        {
            void Put(string n, byte[] d) => tw.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, n) { DataStream = new MemoryStream(d) });
            Put(layerPath, layer);
            Put(configPath, config);
            Put("manifest.json", manifest);
        }
        return ms.ToArray();
    }
}
