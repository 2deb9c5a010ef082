using System.Diagnostics;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>
/// A profile reads each layer once: the decompressed byte count it reports equals the layers' uncompressed sizes as
/// `gzip -dc | wc -c` measures them, and a second read happens only for a link no plan could foresee.
/// </summary>
public class ImageScanTests
{
    /// <summary>Uncompressed bytes of the image's layer blobs, by gzip (not by the code under test).</summary>
    private static long UncompressedBytes(string tag)
    {
        var blobs = LintFixtures.ExpectedLayers(tag).Select(d => Path.Combine(LintFixtures.Dir, "oci/blobs", d.Replace(':', '/')));
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("cat \"$@\" | gzip -dc | wc -c");
        psi.ArgumentList.Add("bash");
        foreach (var b in blobs) psi.ArgumentList.Add(b);
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return long.Parse(text.Trim());
    }

    [ImageFixtureTheory]
    [InlineData("alpine-apk")]
    [InlineData("musl-loader")]
    [InlineData("glibc-dpkg")]
    [InlineData("glibc-string")]
    [InlineData("static")]
    [InlineData("layered")]
    [InlineData("centos-release")]
    [InlineData("alpine-glibc-entry")]
    [InlineData("glibc-entry")]
    [InlineData("alpine-libc6compat")]
    public void A_profile_reads_each_layer_once(string tag)
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci(tag));
        Assert.Equal(1, p.LayerReads);
        Assert.Equal(UncompressedBytes(tag), p.DecompressedBytes);
    }

    [ImageFixtureFact]
    public void A_profile_of_rpm_Go_busybox_and_gcompat_images_reads_each_layer_once()
    {
        var tags = new[] { "rpm-sqlite", "rpm-sysimage", "rpm-ndb", "rpm-bdb", "rpm-broken", "dpkg-rpm", "go-alpine", "go-static", "go-shell", "go-env", "go117-alpine", "busybox", "alpine-gcompat" }
            .Where(t => File.Exists(Path.Combine(LintFixtures.Dir, "expected", t + ".layers"))).ToList();
        if (tags.Count == 0) return; // none built here: their own tests report why
        foreach (var tag in tags)
        {
            var p = ImageDnsInspector.Inspect(LintFixtures.Oci(tag));
            Assert.True(p.LayerReads == 1, $"{tag}: {p.LayerReads} reads");
            Assert.Equal(UncompressedBytes(tag), p.DecompressedBytes);
        }
    }

    [ImageFixtureFact]
    public void An_entrypoint_behind_a_link_to_an_unplanned_path_costs_one_targeted_second_read()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("link-entry"));
        Assert.Equal("/usr/local/bin/tool", p.Entrypoint!.Path);
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint.Resolver);
        Assert.Contains("libc.so.6", p.Entrypoint.Needed);
        Assert.Equal(2, p.LayerReads);
        Assert.Equal(2 * UncompressedBytes("link-entry"), p.DecompressedBytes);
    }

    [ImageFixtureFact]
    public void The_libc_files_are_found_by_name_below_the_library_directories_in_the_same_read()
    {
        // glibc-string has no package database: libc.so.6 (under /usr/lib/x86_64-linux-gnu, reached through /lib -> usr/lib)
        // answers with its version string, from the one read.
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("glibc-string"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("libc-string", p.Libc.Source);
        Assert.Equal(File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/glibc.version")).Trim(), p.Libc.Version);
        Assert.Equal(1, p.LayerReads);
    }

    [Fact]
    public void A_plan_names_both_paths_of_a_merged_usr_file()
    {
        var f = new ImagePathPlan().File("/bin/sh").File("/usr/lib/os-release").ToFilter();
        Assert.True(f.Covers("/usr/bin/sh"));
        Assert.True(f.Covers("/lib/os-release"));
        Assert.False(f.Covers("/usr/bin/bash"));
    }

    [Fact]
    public void The_entrypoint_plan_foresees_launchers_shells_and_entrypoint_scripts_from_the_config_alone()
    {
        var cfg = new ImageRunConfig
        {
            Entrypoint = new[] { "tini", "--", "/docker-entrypoint.sh" },
            Cmd = new[] { "nginx", "-g", "daemon off;" },
            Env = new[] { "PATH=/usr/sbin:/usr/bin" },
        };
        var planned = ImageEntrypointAnalyzer.PlannedPrograms(cfg);
        Assert.Contains("/usr/bin/tini", planned);
        Assert.Contains("/docker-entrypoint.sh", planned);
        Assert.Contains("/usr/sbin/nginx", planned);
        Assert.Contains("/usr/bin/nginx", planned);
    }
}
