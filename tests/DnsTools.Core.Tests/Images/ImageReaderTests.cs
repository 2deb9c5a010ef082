using System.Text;
using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

public class ImageReferenceTests
{
    [Theory]
    [InlineData("docker-archive:/x/app.tar", ImageTransport.DockerArchive, "/x/app.tar")]
    [InlineData("oci-dir:/x/layout", ImageTransport.OciDirectory, "/x/layout")]
    [InlineData("oci:/x/layout", ImageTransport.OciDirectory, "/x/layout")]
    [InlineData("oci-archive:/x/app.tar", ImageTransport.OciArchive, "/x/app.tar")]
    [InlineData("dir:/x/rootfs", ImageTransport.Directory, "/x/rootfs")]
    [InlineData("registry:127.0.0.1:5000/team/app:1.4", ImageTransport.Registry, "127.0.0.1:5000/team/app:1.4")]
    [InlineData("docker://127.0.0.1:5000/team/app:1.4", ImageTransport.Registry, "127.0.0.1:5000/team/app:1.4")]
    [InlineData("docker:myapp:latest", ImageTransport.Docker, "myapp:latest")]
    [InlineData("podman:myapp:latest", ImageTransport.Podman, "myapp:latest")]
    [InlineData("team/app:1.4", ImageTransport.Registry, "team/app:1.4")]
    public void Parses_transports(string text, ImageTransport transport, string location)
    {
        var r = ImageReference.Parse(text, "/");
        Assert.Equal(transport, r.Transport);
        Assert.Equal(location, r.Location);
        Assert.Equal(text, r.Original);
    }

    [Fact]
    public void Sniffs_bare_paths_and_splits_tags_only_after_an_existing_path()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/hostname", "x"));
        var oci = img.WriteOci();
        var archive = img.WriteDockerArchive();
        var rootfs = Directory.CreateDirectory(Path.Combine(img.Root, "rootfs")).FullName;
        Assert.Equal(ImageTransport.OciDirectory, ImageReference.Parse(oci).Transport);
        Assert.Equal(ImageTransport.DockerArchive, ImageReference.Parse(archive).Transport);
        Assert.Equal(ImageTransport.Directory, ImageReference.Parse(rootfs).Transport);
        var tagged = ImageReference.Parse("oci-dir:" + oci + ":v1");
        Assert.Equal((oci, "v1"), (tagged.Location, tagged.Tag));
        Assert.Equal("app.tar", Path.GetFileName(ImageReference.Parse("./app.tar", img.Root).Location));
    }

    [Fact]
    public void A_missing_path_is_an_error_naming_it()
    {
        var e = Assert.Throws<ImageException>(() => ImageReference.Parse("./nope/app.tar", "/tmp"));
        Assert.Equal(ImageErrorKind.NotFound, e.Kind);
        Assert.Contains("./nope/app.tar", e.Message);
    }

    [Fact]
    public void A_tar_that_is_not_an_image_is_named()
    {
        using var img = new TestImage();
        var file = Path.Combine(img.Root, "plain.tar");
        File.WriteAllBytes(file, TestImage.NewLayer().File("hello.txt", "hi").Bytes());
        var e = Assert.Throws<ImageException>(() => ImageReference.Parse(file));
        Assert.Equal(ImageErrorKind.NotAnImage, e.Kind);
        Assert.Contains(file, e.Message);
        File.WriteAllText(file, "not a tar at all, just text");
        Assert.Equal(ImageErrorKind.NotAnImage, Assert.Throws<ImageException>(() => ImageReference.Parse(file)).Kind);
    }

    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null, true)]
    [InlineData("linux/amd64", "linux", "x86_64", null, true)]
    [InlineData("linux/arm64", "linux", "arm64", "v8", true)]
    [InlineData("linux/arm64/v8", "linux", "arm64", null, true)]
    [InlineData("linux/arm/v7", "linux", "arm", "v6", false)]
    [InlineData("linux/amd64", "windows", "amd64", null, false)]
    public void Matches_platforms(string want, string os, string arch, string? variant, bool match) =>
        Assert.Equal(match, ImagePlatform.Parse(want).Matches(os, arch, variant));
}

public class ImageFileReaderTests
{
    private static IReadOnlyList<ImageFileInfo> Read(string image, string[] paths, bool recurse = false, ImageScanOptions? options = null, List<string>? missing = null)
    {
        using var src = ImageSource.Open(image);
        return ImageFileReader.Read(src, paths, recurse, options, e =>
        {
            if (e.Kind == ImageErrorKind.NotFound && missing is not null) missing.Add(e.Input);
            else throw e;
        });
    }

    private static TestImage Layered()
    {
        var img = new TestImage();
        img.Add(TestImage.NewLayer()
            .Dir("etc").File("etc/resolv.conf", "nameserver 192.0.2.1\n").File("etc/old.conf", "old").Dir("etc/keep").File("etc/keep/a", "a")
            .Dir("data").File("data/gone.txt", "gone").File("data/stays.txt", "stays")
            .Dir("opt").Dir("opt/dir").File("opt/dir/x", "x")
            .Dir("usr").Dir("usr/bin").File("usr/bin/tool", "#!/bin/sh\n").HardLink("usr/bin/tool2", "usr/bin/tool")
            .Dir("usr/lib").File("usr/lib/libc.so.6", "ELF").Symlink("lib", "usr/lib"));
        img.Add(TestImage.NewLayer()
            .Whiteout("data", "gone.txt").Opaque("etc").File("etc/resolv.conf", "nameserver 192.0.2.2\n").File("etc/new.conf", "new")
            .File("opt/dir", "now a file")
            .Dir("run").File("run/stub.conf", "nameserver 127.0.0.53\n")
            .Symlink("etc/rel.conf", "../run/stub.conf").Symlink("etc/abs.conf", "/run/stub.conf").Symlink("etc/dangling.conf", "/run/nothing")
            .Symlink("etc/up.conf", "../../../../run/stub.conf")
            .Symlink("etc/loop1", "loop2").Symlink("etc/loop2", "/etc/loop1"), LayerCompression.Zstd);
        return img;
    }

    [Fact]
    public void Merges_whiteouts_opaque_directories_and_files_over_directories()
    {
        using var img = Layered();
        var oci = "oci-dir:" + img.WriteOci();
        var all = Read(oci, new[] { "/" }, recurse: true).ToDictionary(f => f.Path);
        Assert.Contains("/data/stays.txt", all.Keys);
        Assert.DoesNotContain("/data/gone.txt", all.Keys);
        Assert.DoesNotContain("/etc/old.conf", all.Keys);
        Assert.DoesNotContain("/etc/keep/a", all.Keys);
        Assert.DoesNotContain("/opt/dir/x", all.Keys);
        Assert.Equal(ImageFileType.File, all["/opt/dir"].Type);
        Assert.Equal(1, all["/etc/resolv.conf"].LayerIndex);
        var f = Assert.Single(Read(oci, new[] { "/etc/resolv.conf" }));
        Assert.Equal("nameserver 192.0.2.2\n", f.Content);
    }

    [Theory]
    [InlineData("/etc/rel.conf")]
    [InlineData("/etc/abs.conf")]
    [InlineData("/etc/up.conf")]
    public void Resolves_symlinks_inside_the_image_root(string path)
    {
        using var img = Layered();
        var f = Assert.Single(Read("oci-dir:" + img.WriteOci(), new[] { path }));
        Assert.Equal(ImageFileType.SymbolicLink, f.Type);
        Assert.Equal("/run/stub.conf", f.ResolvedPath);
        Assert.Equal("nameserver 127.0.0.53\n", f.Content);
    }

    [Fact]
    public void Follows_directory_links_and_reports_dangling_ones_and_loops()
    {
        using var img = Layered();
        var oci = "oci-dir:" + img.WriteOci();
        var libc = Assert.Single(Read(oci, new[] { "lib/libc.so.6" }));
        Assert.Equal(("/lib/libc.so.6", "/usr/lib/libc.so.6", "ELF"), (libc.Path, libc.ResolvedPath, libc.Content));
        var dangling = Assert.Single(Read(oci, new[] { "/etc/dangling.conf" }));
        Assert.True(dangling.IsDangling);
        Assert.Null(dangling.ResolvedPath);
        var loop = Assert.Throws<ImageException>(() => Read(oci, new[] { "/etc/loop1" }));
        Assert.Equal(ImageErrorKind.SymlinkLoop, loop.Kind);
        Assert.Contains("/etc/loop1", loop.Message);
        // A loop fails its own path only.
        using (var src = ImageSource.Open(oci))
        {
            var errors = new List<ImageException>();
            var answered = ImageFileReader.Read(src, new[] { "/etc/loop2", "/etc/new.conf" }, false, null, errors.Add);
            Assert.Equal("/etc/new.conf", Assert.Single(answered).Path);
            Assert.Equal(ImageErrorKind.SymlinkLoop, Assert.Single(errors).Kind);
        }
        var listed = Read(oci, new[] { "/lib" }, recurse: true).Select(x => x.Path).ToList();
        Assert.Equal(new[] { "/lib", "/usr/lib/libc.so.6" }, listed);
    }

    [Fact]
    public void Hard_links_carry_their_target_content_and_size()
    {
        using var img = Layered();
        var f = Assert.Single(Read("oci-dir:" + img.WriteOci(), new[] { "/usr/bin/tool2" }));
        Assert.Equal(ImageFileType.HardLink, f.Type);
        Assert.Equal("/usr/bin/tool", f.LinkTarget);
        Assert.Equal("#!/bin/sh\n", f.Content);
        Assert.Equal(10, f.Size);
    }

    [Fact]
    public void Listing_a_subtree_gives_hard_links_the_size_of_targets_outside_it()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("usr/bin/perl", "#!perl 12345\n").HardLink("usr/local/bin/perl", "usr/bin/perl"));
        var listed = Read("oci-dir:" + img.WriteOci(), new[] { "/usr/local" }, recurse: true).ToDictionary(f => f.Path);
        Assert.Equal(13, listed["/usr/local/bin/perl"].Size);
        Assert.DoesNotContain("/usr/bin/perl", listed.Keys);
    }

    [Fact]
    public void Keeps_only_the_asked_entries_plus_links()
    {
        using var img = Layered();
        using var src = ImageSource.Open("oci-dir:" + img.WriteOci());
        var filter = new ScanFilter();
        filter.Exact.Add("/etc/new.conf");
        var view = LayerLoader.Load(src, filter, new ImageScanOptions(), new ScanBudget("t", long.MaxValue), 1, default);
        Assert.NotNull(view.Get("/etc/new.conf"));
        Assert.Null(view.Get("/data/stays.txt"));
        Assert.NotNull(view.Get("/lib"));
    }

    [Fact]
    public void Reports_paths_not_in_the_image()
    {
        using var img = Layered();
        var missing = new List<string>();
        var found = Read("oci-dir:" + img.WriteOci(), new[] { "/etc/new.conf", "/etc/old.conf", "/nope" }, missing: missing);
        Assert.Single(found);
        Assert.Equal(new[] { "/etc/old.conf", "/nope" }, missing);
    }

    [Fact]
    public void Reads_docker_archives_in_the_old_layout_and_verifies_diff_ids()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/resolv.conf", "nameserver 10.0.0.1\n").Bytes(), LayerCompression.None);
        img.Add(TestImage.NewLayer().File("etc/hosts", "127.0.0.1 localhost\n").Bytes(), LayerCompression.None);
        var file = img.WriteDockerArchive();
        using (var src = ImageSource.Open("docker-archive:" + file))
        {
            Assert.Equal(2, src.Layers.Count);
            Assert.All(src.Layers, l => Assert.Equal(l.DiffId, l.Digest));
        }
        var f = Assert.Single(Read("docker-archive:" + file + ":app:1.4", new[] { "/etc/resolv.conf" }));
        Assert.Equal("nameserver 10.0.0.1\n", f.Content);
    }

    [Theory]
    [InlineData(TestImage.DockerLayout.Old)]
    [InlineData(TestImage.DockerLayout.SymlinkedMembers)]
    [InlineData(TestImage.DockerLayout.OciBased)]
    internal void Reads_every_docker_save_layout(TestImage.DockerLayout layout)
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/resolv.conf", "nameserver 10.0.0.1\n").Bytes(), LayerCompression.None);
        img.Add(TestImage.NewLayer().Whiteout("etc", "resolv.conf").File("etc/hosts", "h\n").Bytes(), LayerCompression.None);
        var file = img.WriteDockerArchive(layout: layout);
        Assert.Equal(ImageTransport.DockerArchive, ImageReference.Parse(file).Transport);
        var missing = new List<string>();
        var files = Read(file, new[] { "/etc/resolv.conf", "/etc/hosts" }, missing: missing);
        Assert.Equal("h\n", Assert.Single(files).Content);
        Assert.Equal(new[] { "/etc/resolv.conf" }, missing);
    }

    [Fact]
    public void A_docker_archive_layer_that_does_not_match_its_diff_id_is_an_error()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/a", "aaaa").Bytes(), LayerCompression.None);
        var file = img.WriteDockerArchive();
        var bytes = File.ReadAllBytes(file);
        var at = bytes.AsSpan().IndexOf("aaaa"u8);
        bytes[at] = (byte)'b';
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<ImageException>(() => Read("docker-archive:" + file, new[] { "/etc/a" }));
        Assert.Equal(ImageErrorKind.DigestMismatch, e.Kind);
        Assert.Contains("diff id", e.Message);
    }

    [Fact]
    public void Accepts_layers_without_the_end_of_archive_marker()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/a", "first\n").Bytes(endMarker: false));
        img.Add(TestImage.NewLayer().File("etc/hosts", "127.0.0.1 localhost\n").Bytes(endMarker: false, lastDataLength: 20));
        var files = Read("oci-dir:" + img.WriteOci(), new[] { "/etc/a", "/etc/hosts" });
        Assert.Equal(new[] { "first\n", "127.0.0.1 localhost\n" }, files.Select(f => f.Content));
    }

    [Fact]
    public void A_truncated_layer_is_an_error_naming_the_layer()
    {
        using var img = new TestImage();
        var tar = TestImage.NewLayer().File("big", new string('x', 5000)).File("etc/a", "a").Bytes();
        img.Add(tar[..1500], LayerCompression.None);
        var oci = img.WriteOci();
        var digest = ImageSource.Open("oci-dir:" + oci).Layers[0].Digest!;
        var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + oci, new[] { "/etc/a" }));
        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
        Assert.Contains(digest, e.Message);
    }

    [Fact]
    public void A_blob_that_does_not_match_its_digest_is_an_error_naming_the_layer()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/a", "aaaa"));
        var oci = img.WriteOci();
        string digest;
        using (var src = ImageSource.Open("oci-dir:" + oci)) digest = src.Layers[0].Digest!;
        var blob = Path.Combine(oci, "blobs", "sha256", digest[7..]);
        var bytes = File.ReadAllBytes(blob);
        // Same gzip stream, different mtime field in the header: still decodes, no longer matches.
        bytes[4] ^= 0x55;
        File.WriteAllBytes(blob, bytes);
        var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + oci, new[] { "/etc/a" }));
        Assert.Equal(ImageErrorKind.DigestMismatch, e.Kind);
        Assert.Equal(digest, e.Input);
        Assert.Contains(digest, e.Message);
    }

    [Theory]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("../../etc/passwd", "traversal")]
    [InlineData("etc/../../x", "traversal")]
    public void Refuses_entries_that_reach_outside_the_root(string name, string word)
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("ok", "1").File(name, "evil"));
        var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + img.WriteOci(), new[] { "/ok" }));
        Assert.Equal(ImageErrorKind.UnsafePath, e.Kind);
        Assert.Contains(word, e.Message);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Stops_at_the_decompressed_byte_ceiling()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("zeros", new string('\0', 3 << 20)).File("etc/a", "a"));
        var oci = "oci-dir:" + img.WriteOci();
        var e = Assert.Throws<ImageException>(() => Read(oci, new[] { "/etc/a" }, options: new ImageScanOptions { MaxDecompressedBytes = 1 << 20 }));
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains(oci, e.Message);
    }

    [Fact]
    public void An_entry_claiming_an_absurd_size_is_refused_before_it_is_read()
    {
        var ms = new MemoryStream();
        using (var w = new System.Formats.Tar.TarWriter(ms, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
            w.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "etc/a") { DataStream = new MemoryStream("a"u8.ToArray()) });
        var tar = ms.ToArray();
        // Rewrite the ustar header's size to 2 GiB - 1 and fix its checksum.
        var header = tar.AsSpan(0, 512);
        Assert.Equal("ustar", Encoding.ASCII.GetString(header.Slice(257, 5)));
        Encoding.ASCII.GetBytes("17777777777\0").CopyTo(header.Slice(124, 12));
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header.Slice(148, 8));
        using var img = new TestImage();
        img.Add(tar);
        var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + img.WriteOci(), new[] { "/etc/a" }, options: new ImageScanOptions { MaxDecompressedBytes = 1 << 30 }));
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("2147483647", e.Message);
        Assert.Contains("etc/a", e.Message);
    }

    [Fact]
    public void A_malformed_tar_header_is_reported_as_a_corrupt_layer()
    {
        var tar = TestImage.NewLayer().File("etc/a", "a").Bytes();
        // The PAX extended header claims more than a PAX block may hold: TarReader refuses it.
        var header = tar.AsSpan(0, 512);
        Encoding.ASCII.GetBytes("17777777777\0").CopyTo(header.Slice(124, 12));
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header.Slice(148, 8));
        using var img = new TestImage();
        img.Add(tar);
        var e = Assert.Throws<ImageException>(() => Read("oci-dir:" + img.WriteOci(), new[] { "/etc/a" }));
        Assert.Equal(ImageErrorKind.Corrupt, e.Kind);
    }

    [Fact]
    public void Chooses_the_platform_from_an_index_and_names_the_ones_offered()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/a", "a"));
        var oci = img.WriteOci(platforms: new[] { ("linux", "amd64", (string?)null), ("linux", "arm64", (string?)"v8"), ("linux", "arm", (string?)"v7") });
        using (var arm = ImageSource.Open("oci-dir:" + oci, new ImageOpenOptions { Platform = ImagePlatform.Parse("linux/arm64") }))
            Assert.Equal("linux/arm64/v8", arm.Platform!.ToString());
        using (var def = ImageSource.Open("oci-dir:" + oci))
            Assert.Equal("linux/amd64", def.Platform!.ToString());
        var e = Assert.Throws<ImageException>(() => ImageSource.Open("oci-dir:" + oci, new ImageOpenOptions { Platform = ImagePlatform.Parse("linux/s390x") }));
        Assert.Equal(ImageErrorKind.PlatformNotFound, e.Kind);
        Assert.Contains("linux/arm/v7", e.Message);
    }

    [Fact]
    public void Lists_every_platform_of_an_index_and_opens_any_when_asked_to()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/a", "a"));
        var oci = img.WriteOci(platforms: new[] { ("linux", "arm64", (string?)"v8"), ("linux", "s390x", (string?)null) });
        Assert.Throws<ImageException>(() => ImageSource.Open("oci-dir:" + oci)); // no linux/amd64
        using var any = ImageSource.Open("oci-dir:" + oci, new ImageOpenOptions { AnyPlatform = true });
        Assert.Equal(new[] { "linux/arm64/v8", "linux/s390x" }, any.Platforms.Select(p => p.ToString()));
        Assert.Equal("linux/arm64/v8", any.Platform!.ToString());
        using var single = ImageSource.Open("oci-dir:" + img.WriteOci("single"));
        Assert.Equal(new[] { single.Platform! }, single.Platforms);
    }

    [Theory]
    [InlineData("linux/arm64", "linux/arm64/v8", "linux/arm64/v8")]   // umoci and some builders leave the config's variant out
    [InlineData("linux/arm64/v8", "linux/arm64", "linux/arm64/v8")]
    [InlineData("linux/amd64", "linux/arm64/v8", "linux/amd64")]      // a config that disagrees keeps its own
    [InlineData(null, "linux/arm/v7", "linux/arm/v7")]
    public void The_config_platform_takes_the_index_variant_when_it_has_none(string? config, string index, string expected)
    {
        var merged = ImagePlatform.WithVariantOf(config is null ? null : ImagePlatform.Parse(config), ImagePlatform.Parse(index));
        Assert.Equal(expected, merged!.ToString());
    }

    [Fact]
    public void Honours_cancellation()
    {
        using var img = Layered();
        using var src = ImageSource.Open("oci-dir:" + img.WriteOci());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFileReader.Read(src, new[] { "/etc" }, true, null, null, cts.Token));
    }

    [Fact]
    public void Stops_mid_layer_when_cancelled()
    {
        using var img = new TestImage();
        // Incompressible, so the compressed stream passes the 256 KB progress mark.
        img.Add(TestImage.NewLayer().File("big", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6 << 20))).File("etc/a", "a"));
        using var src = ImageSource.Open("oci-dir:" + img.WriteOci());
        using var cts = new CancellationTokenSource();
        var progressCalls = 0;
        var options = new ImageScanOptions { Progress = p => { if (p.BytesRead > 0 && ++progressCalls == 1) cts.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFileReader.Read(src, new[] { "/etc/a" }, false, options, null, cts.Token));
        Assert.Equal(1, progressCalls);
    }

    [Fact]
    public void Reads_an_unpacked_root_file_system_without_following_host_links()
    {
        using var img = new TestImage();
        var root = Path.Combine(img.Root, "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "run"));
        File.WriteAllText(Path.Combine(root, "run", "stub.conf"), "nameserver 127.0.0.53\n");
        File.CreateSymbolicLink(Path.Combine(root, "etc", "resolv.conf"), "/run/stub.conf");      // absolute: inside the image, not the host
        File.CreateSymbolicLink(Path.Combine(root, "etc", "hostfile"), "/etc/hostname-not-in-image");
        var f = Assert.Single(Read("dir:" + root, new[] { "/etc/resolv.conf" }));
        Assert.Equal(("/run/stub.conf", "nameserver 127.0.0.53\n"), (f.ResolvedPath, f.Content));
        Assert.True(Assert.Single(Read("dir:" + root, new[] { "/etc/hostfile" })).IsDangling);
        Assert.Equal(new[] { "/etc", "/etc/hostfile", "/etc/resolv.conf" }, Read("dir:" + root, new[] { "/etc" }, recurse: true).Select(x => x.Path));
    }

    [Fact]
    public void Mode_strings_read_like_ls()
    {
        Assert.Equal("-rwxr-xr-x", ImageFileInfo.ModeString(ImageFileType.File, (UnixFileMode)0b111_101_101));
        Assert.Equal("drwxrwxrwt", ImageFileInfo.ModeString(ImageFileType.Directory, (UnixFileMode)0x3FF | UnixFileMode.StickyBit));
        Assert.Equal("-rwsr-xr-x", ImageFileInfo.ModeString(ImageFileType.File, (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser));
    }
}

/// <summary>Wildcard paths (-Path of Get-ImageFile): matched segment by segment over the merged tree.</summary>
public class ImagePathPatternTests
{
    private static string Image(TestImage img)
    {
        img.Add(TestImage.NewLayer()
            .File("etc/resolv.conf", "nameserver 192.0.2.1\n").File("etc/hosts", "127.0.0.1 localhost\n").File("etc/gai.conf", "x\n")
            .File("etc/old.conf", "gone\n").Dir("etc/sub").File("etc/sub/deep.conf", "deep\n")
            .File("usr/lib/x86_64-linux-gnu/libc.so.6", "ELF").File("usr/lib/x86_64-linux-gnu/libm.so.6", "ELF").Symlink("lib", "usr/lib"));
        img.Add(TestImage.NewLayer().Whiteout("etc", "old.conf"));
        return "oci-dir:" + img.WriteOci();
    }

    private static string[] Paths(string image, params string[] patterns)
    {
        using var source = ImageSource.Open(image);
        return ImagePathPattern.Read(source, patterns, recurse: false).Select(f => f.Path).ToArray();
    }

    [Theory]
    [InlineData("/etc/*.conf", "/etc/gai.conf /etc/resolv.conf")]                 // not the whited-out one, not sub/deep.conf
    [InlineData("/etc/[gh]*", "/etc/gai.conf /etc/hosts")]
    [InlineData("/etc/[!gh]*", "/etc/resolv.conf /etc/sub")]
    [InlineData("/etc/?osts", "/etc/hosts")]
    [InlineData("/*/sub/*.conf", "/etc/sub/deep.conf")]
    [InlineData("/lib/x86_64-linux-gnu/libc.so*", "/lib/x86_64-linux-gnu/libc.so.6")] // through the /lib -> usr/lib link
    [InlineData("/nothing*/x", "")]
    public void Wildcards_match_within_one_segment_of_the_merged_tree(string pattern, string expected)
    {
        using var img = new TestImage();
        Assert.Equal(expected, string.Join(' ', Paths(Image(img), pattern)));
    }

    [Fact]
    public void Matches_are_read_like_named_paths_and_literal_paths_come_first()
    {
        using var img = new TestImage();
        var image = Image(img);
        using var source = ImageSource.Open(image);
        var files = ImagePathPattern.Read(source, new[] { "/etc/hosts", "/etc/*.conf" }, recurse: false);
        Assert.Equal(new[] { "/etc/hosts", "/etc/gai.conf", "/etc/resolv.conf" }, files.Select(f => f.Path));
        Assert.Equal("nameserver 192.0.2.1\n", files.Single(f => f.Path == "/etc/resolv.conf").Content);
        Assert.Equal("/usr/lib/x86_64-linux-gnu/libc.so.6", ImagePathPattern.Read(source, new[] { "/lib/*/libc.so.6" }, false).Single().ResolvedPath);
    }
}
