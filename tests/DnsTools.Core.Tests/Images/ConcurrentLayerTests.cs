using System.Security.Cryptography;
using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

/// <summary>Layers read at once must merge exactly as when read one after another (the oracle: LayerConcurrency 1).</summary>
public class ConcurrentLayerTests
{
    /// <summary>
    /// Six layers whose upper ones finish first (the bottom one is large and incompressible): whiteouts, opaque
    /// directories, hard links to files of lower layers, files over directories and directories over files.
    /// </summary>
    private static TestImage Stacked()
    {
        var img = new TestImage();
        var noise = Convert.ToBase64String(RandomNumberGenerator.GetBytes(3 << 20));
        img.Add(TestImage.NewLayer()
            .Dir("etc").File("etc/resolv.conf", "nameserver 192.0.2.1\n").File("etc/hosts", "127.0.0.1 localhost\n").Dir("etc/ssl").File("etc/ssl/a.pem", "A")
            .Dir("data").File("data/big", noise).File("data/gone.txt", "gone").File("data/stays.txt", "stays")
            .Dir("opt").Dir("opt/dir").File("opt/dir/x", "x").File("opt/file", "f")
            .Dir("usr").Dir("usr/bin").File("usr/bin/tool", "#!/bin/sh\necho 1\n").Dir("usr/lib").File("usr/lib/libc.so.6", "ELF").Symlink("lib", "usr/lib"));
        img.Add(TestImage.NewLayer()
            .Whiteout("data", "gone.txt").HardLink("usr/bin/tool-link", "usr/bin/tool").File("opt/dir", "now a file")
            .Dir("opt/file").File("opt/file/inside", "dir over file"), LayerCompression.Zstd);
        img.Add(TestImage.NewLayer()
            .Opaque("etc").File("etc/resolv.conf", "nameserver 192.0.2.2\n").Dir("etc/new").File("etc/new/n", "n")
            .HardLink("usr/lib/libc-link", "usr/lib/libc.so.6"));
        img.Add(TestImage.NewLayer().File("usr/bin/tool", "#!/bin/sh\necho 2\n").HardLink("usr/bin/tool-link2", "usr/bin/tool")
            .Whiteout("", "lib").Dir("lib").File("lib/real", "r").Bytes(), LayerCompression.None);
        img.Add(TestImage.NewLayer().Whiteout("usr/lib", "libc.so.6").Whiteout("etc", "new").Symlink("etc/link.conf", "../data/stays.txt"));
        img.Add(TestImage.NewLayer().Opaque("opt/file").File("opt/file/top", "t").Whiteout("data", "big"), LayerCompression.Zstd);
        return img;
    }

    private static string Describe(ImageFileInfo f) =>
        $"{f.Path}|{f.Type}|{f.Size}|{f.Mode}|{f.Uid}|{f.Gid}|{f.ModifiedTime}|{f.LinkTarget}|{f.ResolvedPath}|{f.IsDangling}|{f.Layer}|{f.LayerIndex}|{f.Content}";

    private static List<string> Read(string image, string[] paths, bool recurse, int concurrency)
    {
        using var src = ImageSource.Open(image);
        var errors = new List<string>();
        var files = ImageFileReader.Read(src, paths, recurse, new ImageScanOptions { LayerConcurrency = concurrency }, e => errors.Add($"{e.Kind} {e.Input}"));
        return files.Select(Describe).Concat(errors).ToList();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Merges_the_same_tree_as_a_sequential_read(int concurrency)
    {
        using var img = Stacked();
        foreach (var image in new[] { "oci-dir:" + img.WriteOci(), "docker-archive:" + img.WriteDockerArchive() })
        {
            var sequential = Read(image, new[] { "/" }, true, 1);
            Assert.Contains(sequential, l => l.StartsWith("/usr/bin/tool-link2|HardLink|", StringComparison.Ordinal));
            Assert.DoesNotContain(sequential, l => l.StartsWith("/data/gone.txt|", StringComparison.Ordinal));
            Assert.DoesNotContain(sequential, l => l.StartsWith("/etc/hosts|", StringComparison.Ordinal));
            Assert.Contains(sequential, l => l.StartsWith("/opt/file/top|", StringComparison.Ordinal));
            Assert.DoesNotContain(sequential, l => l.StartsWith("/opt/file/inside|", StringComparison.Ordinal));
            for (var run = 0; run < 5; run++) Assert.Equal(sequential, Read(image, new[] { "/" }, true, concurrency));
            var asked = new[] { "/usr/bin/tool-link", "/usr/bin/tool-link2", "/usr/lib/libc-link", "/etc/link.conf", "/etc/resolv.conf", "/opt/dir", "/lib/real", "/data/gone.txt", "/etc/hosts" };
            Assert.Equal(Read(image, asked, false, 1), Read(image, asked, false, concurrency));
            Assert.Equal(Read(image, new[] { "/etc", "/usr" }, true, 1), Read(image, new[] { "/etc", "/usr" }, true, concurrency));
        }
    }

    [Fact]
    public void Lists_directories_implied_by_their_contents_in_key_order()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("a/b/c/f", "1").File("a/b/d", "2").File("a-b/g", "3"));
        img.Add(TestImage.NewLayer().File("a/b-c/h", "4"));
        var listed = Read("oci-dir:" + img.WriteOci(), new[] { "/" }, true, 2).Select(l => l[..l.IndexOf('|')]).ToList();
        // '-' sorts before '/': "/a-b" comes before "/a"'s children; implied directories come before their contents.
        Assert.Equal(new[] { "/", "/a-b", "/a-b/g", "/a", "/a/b-c", "/a/b-c/h", "/a/b", "/a/b/c", "/a/b/c/f", "/a/b/d" }, listed);
    }

    [Fact]
    public void Reports_the_lowest_damaged_layer_as_a_sequential_read_does()
    {
        using var img = Stacked();
        var dir = img.WriteOci();
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "blobs", "sha256",
            System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "index.json"))).RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()![7..])));
        var layers = manifest.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList();
        // Damage layers 1 and 4: the error must name layer 1 whichever finishes first.
        foreach (var i in new[] { 1, 4 })
        {
            var path = Path.Combine(dir, "blobs", "sha256", layers[i][7..]);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        }
        foreach (var concurrency in new[] { 1, 2, 3 })
        {
            var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + dir, new[] { "/" }, true, concurrency));
            Assert.Equal(layers[1], e.Input);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Stops_at_the_decompressed_byte_ceiling_counted_over_all_layers(int concurrency)
    {
        using var img = new TestImage();
        for (var i = 0; i < 4; i++) img.Add(TestImage.NewLayer().File($"f{i}", new string('x', 700 << 10)));
        var oci = "oci-dir:" + img.WriteOci();
        using var src = ImageSource.Open(oci);
        // Each layer alone is under the ceiling; together they are not. (Listed: the root and four files.)
        var e = Assert.Throws<ImageException>(() => ImageFileReader.Read(src, new[] { "/" }, true, new ImageScanOptions { MaxDecompressedBytes = 2 << 20, LayerConcurrency = concurrency }));
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Equal(5, ImageFileReader.Read(src, new[] { "/" }, true, new ImageScanOptions { MaxDecompressedBytes = 3 << 20, LayerConcurrency = concurrency }).Count);
    }

    [Fact]
    public void Reports_progress_on_the_calling_thread_and_stops_when_cancelled()
    {
        using var img = Stacked();
        using var src = ImageSource.Open("oci-dir:" + img.WriteOci());
        var thread = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        var layersSeen = new HashSet<int>();
        ImageFileReader.Read(src, new[] { "/" }, true, new ImageScanOptions { LayerConcurrency = 2, Progress = p => { threads.Add(Environment.CurrentManagedThreadId); layersSeen.Add(p.LayerIndex); } });
        Assert.Equal(new[] { thread }, threads);
        Assert.Equal(Enumerable.Range(0, 6), layersSeen.Order());
        using var cts = new CancellationTokenSource();
        var calls = 0;
        var options = new ImageScanOptions { LayerConcurrency = 2, Progress = p => { if (p.BytesRead > 0 && ++calls == 1) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFileReader.Read(src, new[] { "/" }, true, options, null, cts.Token));
        Assert.Equal(1, calls);
    }
}
