using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Images;

/// <summary>
/// Hostile images (issue 15), each built here at test time: every one ends in the image's own error naming the input,
/// or in an answer, within 2 s — never a hang, a crash or gigabytes of memory.
/// </summary>
[Collection(TimingCollection.Name)]
public class HostileImageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs <paramref name="action"/> on a thread of its own and fails when it takes longer than the bound (a hang). The clock
    /// starts on that thread: a thread-pool queue behind other tests' blocking waits is not the reader's time.
    /// </summary>
    /// (<paramref name="allocated"/>, when given, is told what the thread allocated meanwhile.)
    internal static T Within<T>(Func<T> action, Action<long>? allocated = null)
    {
        var elapsed = TimeSpan.Zero;
        var task = Task.Factory.StartNew(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            try { return action(); }
            finally
            {
                elapsed = sw.Elapsed;
                allocated?.Invoke(GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(20)), "no answer in 20 s: it hangs");
        Assert.True(elapsed < Bound, $"took {elapsed.TotalSeconds:N2} s, more than {Bound.TotalSeconds} s");
        return task.Result;
    }

    internal static ImageException ThrowsWithin(Action action, Action<long>? allocated = null) => Within(() => Assert.Throws<ImageException>(action), allocated);

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {err}");
    }

    private static IReadOnlyList<ImageFileInfo> Read(string reference, string path, bool recurse = false) =>
        ImageFileReader.Read(ImageSource.Open(reference), new[] { path }, recurse);

    [Theory]
    [InlineData("gnu")]   // GNU tar writes type 'S'
    [InlineData("posix")] // PAX GNU.sparse records (format 1.0) before a regular file under a GNUSparseFile.N/ name
    public void A_GNU_sparse_entry_is_an_image_error_naming_the_layer(string format)
    {
        using var img = new TestImage();
        var src = Path.Combine(img.Root, "src");
        Directory.CreateDirectory(src);
        var sparse = Path.Combine(src, "sparse");
        using (var f = File.Create(sparse)) { f.SetLength(4 << 20); f.Position = 2 << 20; f.WriteByte(1); }
        var tar = Path.Combine(img.Root, "layer.tar");
        Run("tar", "--sparse", $"--format={format}", "-C", src, "-cf", tar, "sparse");
        img.Add(File.ReadAllBytes(tar));
        var oci = img.WriteOci();
        var e = ThrowsWithin(() => Read($"oci-dir:{oci}", "/sparse"));
        Assert.Equal(ImageErrorKind.Unsupported, e.Kind);
        Assert.Contains("sparse", e.Message);
        Assert.Contains("sha256:", e.Message); // the layer, by digest
    }

    [Fact]
    public void An_index_json_that_is_a_FIFO_is_refused_before_it_is_opened()
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/hosts", "127.0.0.1 localhost\n"));
        var oci = img.WriteOci();
        File.Delete(Path.Combine(oci, "index.json"));
        Run("mkfifo", Path.Combine(oci, "index.json"));
        var e = ThrowsWithin(() => ImageSource.Open($"oci-dir:{oci}").Dispose());
        Assert.Contains("FIFO", e.Message);
        Assert.Contains("index.json", e.Message);
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("dangling")]
    public void A_layer_blob_that_is_a_FIFO_or_a_dangling_link_is_an_image_error(string kind)
    {
        using var img = new TestImage();
        img.Add(TestImage.NewLayer().File("etc/hosts", "127.0.0.1 localhost\n"));
        var oci = img.WriteOci();
        using var source = ImageSource.Open($"oci-dir:{oci}");
        var blob = Path.Combine(oci, "blobs", source.Layers[0].Digest!.Replace(':', '/'));
        File.Delete(blob);
        if (kind == "fifo") Run("mkfifo", blob);
        else File.CreateSymbolicLink(blob, Path.Combine(oci, "no-such-blob"));
        var e = ThrowsWithin(() => ImageFileReader.Read(source, new[] { "/etc/hosts" }, recurse: false));
        Assert.Contains(kind == "fifo" ? "FIFO" : "dangling", e.Message);
    }

    [Fact]
    public void A_dir_image_whose_resolv_conf_is_a_FIFO_or_a_socket_profiles_without_opening_it()
    {
        using var img = new TestImage();
        var root = Path.Combine(img.Root, "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Run("mkfifo", Path.Combine(root, "etc/resolv.conf"));
        // A unix socket bound at /etc/hosts, kept open meanwhile (.NET removes the socket file when it closes it).
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(root, "etc/hosts")));
        socket.Listen();
        var p = Within(() => ImageDnsInspector.Inspect($"dir:{root}"));
        Assert.Null(p.ResolvConf);
        Assert.Null(p.ResolvConfFile?.Content);
        Assert.Null(p.Hosts?.Content);
        var errors = new List<ImageException>();
        var fifo = Within(() => ImageFileReader.Read(ImageSource.Open($"dir:{root}"), new[] { "/etc/resolv.conf" }, recurse: false, pathError: errors.Add)).SingleOrDefault();
        Assert.True(fifo is not null, string.Join("; ", errors.Select(e => e.Message)));
        Assert.Equal(ImageFileType.Fifo, fifo.Type);
        Assert.Null(fifo.ContentBytes);
        Assert.Equal(ImageFileType.Other, Within(() => Read($"dir:{root}", "/etc/hosts")).Single().Type);
    }

    [Fact]
    public void A_symlink_target_of_30000_components_is_refused_as_a_limit()
    {
        using var img = new TestImage();
        var target = string.Join('/', Enumerable.Repeat("a", 30_000));
        img.Add(TestImage.NewLayer().File("etc/hosts", "x\n").Symlink("etc/resolv.conf", target));
        var oci = img.WriteOci();
        var e = ThrowsWithin(() => Read($"oci-dir:{oci}", "/etc/resolv.conf"));
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("etc/resolv.conf", e.Message);
    }

    [Fact]
    public void Links_that_grow_a_path_past_PATH_MAX_fail_that_path_only()
    {
        // Each link is short, but each hop adds 1000 characters: the kernel says ENAMETOOLONG after four.
        using var img = new TestImage();
        var layer = TestImage.NewLayer().File("etc/hosts", "127.0.0.1 localhost\n");
        var chunk = new string('b', 999);
        for (var i = 0; i < 8; i++) layer.Symlink($"l{i}", $"{chunk}/../{chunk}/../{chunk}/x/../../../../" + $"l{i + 1}/{chunk}");
        img.Add(layer);
        var oci = img.WriteOci();
        var errors = new List<ImageException>();
        var found = Within(() => ImageFileReader.Read(ImageSource.Open($"oci-dir:{oci}"), new[] { "/l0/z", "/etc/hosts" }, recurse: false, pathError: errors.Add));
        Assert.Equal("/etc/hosts", Assert.Single(found).Path);
        Assert.Single(errors);
    }

    [Fact]
    public void A_manifest_listing_one_layer_10000_times_is_refused_before_any_layer_is_read()
    {
        using var img = new TestImage();
        var tar = TestImage.NewLayer().File("etc/hosts", "x\n").Bytes();
        for (var i = 0; i < 10_000; i++) img.Add(tar, LayerCompression.None);
        var oci = img.WriteOci();
        var e = ThrowsWithin(() => ImageSource.Open($"oci-dir:{oci}").Dispose());
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("10000 layers", e.Message);
    }

    [Fact]
    public void A_manifest_listing_one_layer_more_than_16_times_is_refused_and_16_are_read()
    {
        var tar = TestImage.NewLayer().File("etc/hosts", "x\n").Bytes();
        using (var img = new TestImage())
        {
            for (var i = 0; i < 17; i++) img.Add(tar, LayerCompression.None);
            var oci = img.WriteOci();
            Assert.Contains("more than 16 times", ThrowsWithin(() => ImageSource.Open($"oci-dir:{oci}").Dispose()).Message);
        }
        using (var img = new TestImage())
        {
            for (var i = 0; i < 16; i++) img.Add(tar, LayerCompression.None);
            var oci = img.WriteOci();
            Assert.Equal("x\n", Within(() => Read($"oci-dir:{oci}", "/etc/hosts")).Single().Content);
        }
    }

    [Theory]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    public void An_entry_path_of_524288_components_is_refused_in_bounded_memory(TarEntryFormat format)
    {
        var name = new StringBuilder(1 << 20);
        for (var i = 0; i < 524_288; i++) name.Append("a/");
        name.Append('f');
        var ms = new MemoryStream();
        using (var w = new TarWriter(ms, format, leaveOpen: true))
        {
            TarEntry e = format == TarEntryFormat.Pax ? new PaxTarEntry(TarEntryType.RegularFile, name.ToString()) : new GnuTarEntry(TarEntryType.RegularFile, name.ToString());
            w.WriteEntry(e);
        }
        using var img = new TestImage();
        img.Add(ms.ToArray()); // gzip: about 2 KB
        var oci = img.WriteOci();
        // Counted on the reading thread (one layer is read on the caller's thread), so other tests running meanwhile do not count.
        var (ex, allocated) = Within(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageException>(() => Read($"oci-dir:{oci}", "/", recurse: true));
            return (e, GC.GetAllocatedBytesForCurrentThread() - before);
        });
        Assert.Equal(ImageErrorKind.LimitExceeded, ex.Kind);
        Assert.True(allocated < 64L << 20, $"allocated {allocated / (1 << 20)} MB");
    }
}

/// <summary>A layer of a million files listed with -Recurse: the entries held stop at the limit, early and in bounded memory.</summary>
[Collection(TimingCollection.Name)]
public class HugeLayerTests
{
    /// <summary>Passes what is written on to a stream and hashes it: the diff id of the tar as it is compressed.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        public System.Security.Cryptography.IncrementalHash Hash { get; } = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) { Hash.AppendData(buffer); inner.Write(buffer); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// The default limit (500,000 entries) on the densest layer a file under 1 MB holds: zstd, whose repeat offsets store a
    /// tar header that recurs within its window in a byte or less. (gzip cannot: its matches reach back 32 KB and cost at
    /// least 2 bytes per 512-byte header, so 1 MB of gzip holds under 500,000 entries.) 1,000 real-looking names, written
    /// 600 times over: each is a separate entry to the reader and the scan.
    /// </summary>
    [Fact]
    public async Task A_zstd_layer_under_1_MB_of_600000_files_listed_whole_stops_at_the_default_entries_limit_within_2_s()
    {
        var build = Stopwatch.StartNew();
        using var img = new TestImage();
        var reference = "oci-dir:" + ZstdLayerImage(img, "hostile", copies: 600);
        // The first scan of a zstd image in a process compiles the scan and the decoder, whatever the input: done on a layer
        // of the same names written once, so the time below is what the hostile layer itself costs.
        using var warm = new TestImage();
        Assert.Equal(1000, ImageFileReader.Read(ImageSource.Open("oci-dir:" + ZstdLayerImage(warm, "warm", copies: 1)), new[] { "/usr/share/locale" }, recurse: true).Count(f => f.Type == ImageFileType.File));
        var setup = build.Elapsed;

        // Timed and counted on the thread that reads (one layer is read on the caller's thread), as the other hostile images.
        TimeSpan elapsed = TimeSpan.Zero, cpu = TimeSpan.Zero;
        var task = Task.Factory.StartNew(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var ex = Assert.Throws<ImageException>(() => ImageFileReader.Read(ImageSource.Open(reference), new[] { "/" }, recurse: true));
            elapsed = sw.Elapsed;
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            return (ex, GC.GetAllocatedBytesForCurrentThread() - before);
        }, TaskCreationOptions.LongRunning);
        Assert.True(await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))) == task, "no answer in 30 s: it hangs");
        var (e, allocated) = await task;
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains($"Image '{reference}'", e.Message);
        Assert.Contains("500000 entries", e.Message);
        Assert.Contains("sha256:", e.Message); // the layer
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed.TotalSeconds:N2} s (the process's CPU time meanwhile {cpu.TotalSeconds:N2} s; building the layer took {setup.TotalSeconds:N1} s)");
        Assert.True(allocated < 300L << 20, $"allocated {allocated >> 20} MB");
    }

    /// <summary>
    /// Without -Recurse nothing is held, but every header still passes the reader: 1.1 million of them (a zstd layer of
    /// about 0.3 MB) stop at twice the default entries limit, within the 2 s.
    /// </summary>
    [Fact]
    public void A_zstd_layer_under_1_MB_of_1100000_files_read_for_one_path_stops_at_twice_the_entries_limit_within_2_s()
    {
        using var img = new TestImage();
        var reference = "oci-dir:" + ZstdLayerImage(img, "passing", copies: 1100);
        using var warm = new TestImage();
        Assert.Single(ImageFileReader.Read(ImageSource.Open("oci-dir:" + ZstdLayerImage(warm, "warm", copies: 1)), new[] { "/usr/share/locale/de/LC_MESSAGES/pkg000.mo" }, recurse: false));
        // 1,000 names written 1,100 times compress past the default ratio limit, which stops it first (below); the ratio is
        // raised here so that this limit is the one met.
        long allocated = 0;
        var e = HostileImageTests.ThrowsWithin(() => ImageFileReader.Read(ImageSource.Open(reference), new[] { "/etc/resolv.conf" }, recurse: false,
            options: new ImageScanOptions { MaxCompressionRatio = 100_000 }), a => allocated = a);
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.True(e.Message.Contains("1000000 entries"), e.Message);
        var ratio = HostileImageTests.ThrowsWithin(() => ImageFileReader.Read(ImageSource.Open(reference), new[] { "/etc/resolv.conf" }, recurse: false));
        Assert.True(ratio.Message.Contains("times its compressed size"), ratio.Message);
        Assert.Contains("sha256:", e.Message);
        Assert.True(allocated < 300L << 20, $"allocated {allocated >> 20} MB");
    }

    /// <summary>
    /// A decompression bomb: 130 KB of zstd (one raw block for the tar header, then run-length blocks of 128 KiB of zeros,
    /// 4 bytes each, as the zstd format allows: RFC 8878 3.1.1.2) that would give a 4 GiB file. It stops once the layer has
    /// given 2,000 times its compressed size, long before the 8 GiB ceiling.
    /// </summary>
    [Fact]
    public void A_zstd_bomb_of_130_KB_stops_at_the_compression_ratio_within_2_s()
    {
        using var img = new TestImage();
        var blob = ZstdBomb(4L << 30);
        Assert.True(blob.Length < 140_000, $"the layer is {blob.Length} bytes");
        img.AddCompressed(blob, "sha256:" + new string('0', 64), "application/vnd.oci.image.layer.v1.tar+zstd");
        var reference = "oci-dir:" + img.WriteOci("bomb");
        long allocated = 0;
        var e = HostileImageTests.ThrowsWithin(() => ImageFileReader.Read(ImageSource.Open(reference), new[] { "/etc/resolv.conf" }, recurse: false), a => allocated = a);
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("2000 times its compressed size", e.Message);
        Assert.Contains("-MaxCompressionRatio", e.Message);
        Assert.True(allocated < 300L << 20, $"allocated {allocated >> 20} MB");

        // The same layer with the ratio raised is read to its end: the limit, not the decoder, stopped it.
        using var small = new TestImage();
        small.AddCompressed(ZstdBomb(512L << 20), "sha256:" + new string('0', 64), "application/vnd.oci.image.layer.v1.tar+zstd");
        var smallReference = "oci-dir:" + small.WriteOci("bomb-raised");
        Assert.Throws<ImageException>(() => ImageFileReader.Read(ImageSource.Open(smallReference), new[] { "/etc/resolv.conf" }, recurse: false));
        var files = ImageFileReader.Read(ImageSource.Open(smallReference), new[] { "/zeros" }, recurse: false, options: new ImageScanOptions { MaxCompressionRatio = 1_000_000 });
        Assert.Equal(512L << 20, Assert.Single(files).Size);
    }

    /// <summary>A zstd frame of a tar holding /zeros, <paramref name="size"/> bytes of zeros, written as run-length blocks.</summary>
    private static byte[] ZstdBomb(long size)
    {
        var header = new MemoryStream();
        using (var w = new TarWriter(header, TarEntryFormat.Ustar, leaveOpen: true))
        {
            // A header claiming the size, written without its content (TarWriter would copy it).
            var entry = new UstarTarEntry(TarEntryType.RegularFile, "zeros") { DataStream = new MemoryStream(new byte[1]) };
            w.WriteEntry(entry);
        }
        var tarHeader = header.GetBuffer().AsSpan(0, 512).ToArray();
        // Patch the size field (offset 124, 12 bytes of octal) and the checksum (offset 148).
        var octal = Convert.ToString(size, 8).PadLeft(11, '0') + "\0";
        System.Text.Encoding.ASCII.GetBytes(octal).CopyTo(tarHeader, 124);
        for (var i = 148; i < 156; i++) tarHeader[i] = (byte)' ';
        var sum = 0;
        foreach (var b in tarHeader) sum += b;
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tarHeader, 148);

        var zst = new MemoryStream();
        zst.Write(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x38 }); // magic; no content size, no checksum; window 128 KiB
        void Block(int type, int blockSize, bool last) { var h = (last ? 1 : 0) | (type << 1) | (blockSize << 3); zst.Write(new[] { (byte)h, (byte)(h >> 8), (byte)(h >> 16) }); }
        Block(0, 512, false);
        zst.Write(tarHeader);
        var zeros = size + 1024; // the content (a multiple of 512), then the two end-of-archive blocks
        while (zeros > 0)
        {
            var n = (int)Math.Min(zeros, 128 << 10);
            zeros -= n;
            Block(1, n, zeros == 0);
            zst.WriteByte(0);
        }
        return zst.ToArray();
    }

    /// <summary>
    /// An OCI layout of one zstd layer: 1,000 empty files with real-looking names (usr/share/locale/de/LC_MESSAGES/pkg000.mo),
    /// the same 1,000 headers written <paramref name="copies"/> times; checks that the blob is under 1 MB.
    /// </summary>
    private static string ZstdLayerImage(TestImage img, string name, int copies)
    {
        var block = new MemoryStream();
        using (var w = new TarWriter(block, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var time = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
            foreach (var lang in new[] { "de", "fr", "es", "it", "ja", "ko", "pt_BR", "ru", "zh_CN", "pl" })
                for (var p = 0; p < 100; p++)
                    w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"usr/share/locale/{lang}/LC_MESSAGES/pkg{p:000}.mo") { ModificationTime = time, Mode = (UnixFileMode)0b110_100_100 });
        }
        var entries = block.GetBuffer().AsSpan(0, 1000 * 512).ToArray(); // without the end-of-archive blocks
        var zst = new MemoryStream();
        string diffId;
        using (var z = new SharpCompress.Compressors.ZStandard.CompressionStream(zst, 3, 1 << 16, leaveOpen: true))
        using (var hashing = new HashingStream(z))
        {
            for (var i = 0; i < copies; i++) hashing.Write(entries);
            hashing.Write(new byte[1024]);
            diffId = "sha256:" + Convert.ToHexString(hashing.Hash.GetHashAndReset()).ToLowerInvariant();
        }
        Assert.True(zst.Length < 1 << 20, $"the layer is {zst.Length} bytes");
        img.AddCompressed(zst.ToArray(), diffId, "application/vnd.oci.image.layer.v1.tar+zstd");
        return img.WriteOci(name);
    }

    [Fact]
    public async Task A_layer_of_1000000_files_listed_whole_stops_at_the_entries_limit()
    {
        using var img = new TestImage();
        // A million empty files: 512 MB of tar headers (gzip, fastest: about 12 MB).
        var gz = new MemoryStream();
        string diffId;
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        using (var hashing = new HashingStream(z))
        {
            using (var w = new TarWriter(hashing, TarEntryFormat.Ustar, leaveOpen: true))
                for (var i = 0; i < 1_000_000; i++) w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, $"d{i / 10000:000}/f{i:000000}"));
            diffId = "sha256:" + Convert.ToHexString(hashing.Hash.GetHashAndReset()).ToLowerInvariant();
        }
        img.AddCompressed(gz.ToArray(), diffId);
        var oci = img.WriteOci();
        // The limit is the user's to set; the read stops when it is reached, whatever the layer holds.
        var options = new ImageScanOptions { MaxEntries = 50_000 };
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (e, allocated) = await Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<ImageException>(() => ImageFileReader.Read(ImageSource.Open($"oci-dir:{oci}"), new[] { "/" }, recurse: true, options));
            return (ex, GC.GetAllocatedBytesForCurrentThread() - before);
        });
        Assert.Equal(ImageErrorKind.LimitExceeded, e.Kind);
        Assert.Contains("50000 entries", e.Message);
        Assert.Contains($"Image 'oci-dir:{oci}'", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed.TotalSeconds:N2} s");
        Assert.True(allocated < 100L << 20, $"allocated {allocated >> 20} MB");
    }
}
