using DnsTools.Core.Images;

namespace DnsTools.Core.Tests.Images;

/// <summary>Damaged images (random byte changes and truncations, fixed seed) fail only with ImageException.</summary>
public class MutationTests
{
    private static TestImage Small()
    {
        var img = new TestImage();
        img.Add(TestImage.NewLayer().Dir("etc").File("etc/resolv.conf", "nameserver 10.0.0.1\n").Symlink("etc/link", "/etc/resolv.conf").HardLink("etc/hard", "etc/resolv.conf").Bytes(), LayerCompression.None);
        img.Add(TestImage.NewLayer().Whiteout("etc", "hard").Opaque("etc").File("etc/hosts", "127.0.0.1 localhost\n"));
        img.Add(TestImage.NewLayer().File("etc/os-release", "ID=test\n"), LayerCompression.Zstd);
        return img;
    }

    private static void ReadAll(string image)
    {
        using var src = ImageSource.Open(image);
        ImageFileReader.Read(src, new[] { "/etc/link", "/etc/hosts" }, false, new ImageScanOptions { MaxDecompressedBytes = 64 << 20 }, _ => { });
        ImageFileReader.Read(src, new[] { "/" }, true, new ImageScanOptions { MaxDecompressedBytes = 64 << 20 }, _ => { });
    }

    [Fact]
    public void Damaged_docker_archives_fail_only_with_ImageException()
    {
        using var img = Small();
        var original = File.ReadAllBytes(img.WriteDockerArchive("orig.tar"));
        var file = Path.Combine(img.Root, "mutant.tar");
        var random = new Random(20261125);
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 300; i++)
        {
            var bytes = (byte[])original.Clone();
            if (i % 10 == 0) bytes = bytes[..random.Next(1, bytes.Length)];
            else for (var k = 0; k < 1 + random.Next(4); k++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(file, bytes);
            try
            {
                ReadAll("docker-archive:" + file);
                outcomes["ok"] = outcomes.GetValueOrDefault("ok") + 1;
            }
            catch (ImageException e)
            {
                outcomes[e.Kind.ToString()] = outcomes.GetValueOrDefault(e.Kind.ToString()) + 1;
            }
        }
        Assert.True(outcomes.Count > 2, string.Join(", ", outcomes));
    }

    [Fact]
    public void Damaged_gzip_and_zstd_layers_and_manifests_fail_only_with_ImageException()
    {
        using var img = Small();
        var dir = img.WriteOci();
        var blobs = Directory.GetFiles(Path.Combine(dir, "blobs", "sha256"));
        var random = new Random(4242);
        foreach (var blob in blobs)
        {
            var original = File.ReadAllBytes(blob);
            for (var i = 0; i < 40; i++)
            {
                var bytes = (byte[])original.Clone();
                if (i % 8 == 0) bytes = bytes[..random.Next(0, bytes.Length)];
                else bytes[random.Next(bytes.Length)] ^= (byte)(1 + random.Next(255));
                File.WriteAllBytes(blob, bytes);
                try { ReadAll("oci-dir:" + dir); }
                catch (ImageException) { }
            }
            File.WriteAllBytes(blob, original);
        }
        ReadAll("oci-dir:" + dir); // and the undamaged image still reads
    }
}
