using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>
/// The C library of static programs and the image shapes without a classic package database (issue 11), on images the
/// fixture script builds from real files: static programs built there with musl-gcc and gcc, the host's libc6 files and
/// dpkg stanza (distroless), an apk database naming glibc (Wolfi), the glibc loader alone. Expected values come from
/// how each was built and from `strings`/`dpkg-query`/`ldd`, not from the code under test.
/// </summary>
public class StaticLibcTests
{
    private static string Expected(string name) => File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected", name)).Trim();

    private static string? Missing(string tag)
    {
        var f = Path.Combine(LintFixtures.Dir, "expected", tag + ".missing");
        return File.Exists(f) ? File.ReadAllText(f).Trim() : null;
    }

    [ImageFixtureFact("musl-gcc")]
    public void A_static_musl_entrypoint_makes_a_musl_image_whose_version_rules_are_not_asserted()
    {
        Assert.Contains("No error information", Expected("static-musl.strings")); // what `strings` finds in the binary
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("static-musl"));
        Assert.Equal(LibcFamily.Musl, p.Libc.Family);
        Assert.Null(p.Libc.Version);
        Assert.Equal("static-binary", p.Libc.Source);
        Assert.Contains("version unknown", p.Libc.Note);
        Assert.Equal("/app/gai", p.Libc.Evidence!.Path);
        Assert.Equal(EntrypointResolver.Musl, p.Entrypoint!.Resolver);
        Assert.True(p.Entrypoint.IsStatic);
        Assert.True(p.Entrypoint.StaticLibc!.HasResolver);
        Assert.Equal(new[] { "DNS-MUSL-001" }, ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact("gcc")]
    public void A_static_glibc_entrypoint_is_glibc_with_the_version_its_resolver_options_show()
    {
        var strings = Expected("static-glibc.strings");
        Assert.Contains("GLIBC_PRIVATE", strings);
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("static-glibc"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint!.Resolver);
        // The host glibc (ldd --version) built it: its options table has no-aaaa exactly when it is 2.36 or later.
        var host = ImageLibcInfo.ParseVersion(Expected("glibc.version"))!;
        Assert.Equal(strings.Contains("no-aaaa"), host >= new Version(2, 36));
        if (host >= new Version(2, 36))
        {
            Assert.Equal("2.36", p.Libc.MinimumVersion);
            Assert.Equal("glibc >= 2.36", p.Libc.Name);
            Assert.Contains("DNS-GLIBC-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
        }
        Assert.Contains("nsswitch", p.Libc.Note);
        Assert.Contains("DNS-GLIBC-002", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
        Assert.DoesNotContain("DNS-LIBC-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact("go", "gcc")]
    public void A_Go_program_built_with_cgo_is_GoCgo_linked_against_the_image_glibc()
    {
        Assert.Contains("CGO_ENABLED=1", Expected("go-cgo.buildinfo")); // `go version -m`
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("go-cgo"));
        Assert.Equal(EntrypointResolver.GoCgo, p.Entrypoint!.Resolver);
        Assert.True(p.Entrypoint.GoCgoEnabled);
        Assert.Contains("ld-linux", p.Entrypoint.Interpreter);
        Assert.Null(p.Entrypoint.StaticLibc); // dynamic: its C library is the image's, not one linked in
        Assert.Contains("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact("/bin/busybox")]
    public void Debians_static_busybox_is_static_glibc_read_through_bin_sh()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("busybox"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("static-binary", p.Libc.Source);
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint!.Resolver);
    }

    [ImageFixtureFact]
    public void A_distroless_image_names_glibc_from_its_status_d_stanza()
    {
        if (Missing("libc6") is { } reason) { Assert.Fail("fixture not built: " + reason); }
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("distroless"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("dpkg", p.Libc.Source);
        Assert.Equal(Expected("libc6.version"), p.Libc.PackageVersion);
        Assert.Equal("/var/lib/dpkg/status.d/libc6", p.Libc.Evidence!.Path);
    }

    [ImageFixtureFact]
    public void An_apk_database_whose_libc_package_is_glibc_is_glibc_not_musl()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("apk-glibc"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("apk", p.Libc.Source);
        Assert.Equal(Expected("glibc.version"), p.Libc.Version);
        Assert.Equal("wolfi", p.Os!.Id);
        var ids = ImageDnsRules.Evaluate(p).Select(f => f.RuleId).ToList();
        Assert.DoesNotContain("DNS-MUSL-001", ids);
        Assert.Contains("DNS-GLIBC-002", ids);
    }

    [ImageFixtureFact]
    public void The_glibc_loader_alone_gives_glibc_and_its_version()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("glibc-loader"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("loader-string", p.Libc.Source);
        Assert.Equal(Expected("glibc.version"), p.Libc.Version);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", p.Libc.Evidence!.Path);
    }

    /// <summary>Damaged copies of the real static programs: cut short, and header fields overwritten.</summary>
    public static IEnumerable<object[]> Damages()
    {
        foreach (var bin in new[] { "static-musl.bin", "static-glibc.bin" })
        {
            foreach (var cut in new[] { 5, 20, 63, 64, 100, 1000, 4096, -1 }) yield return new object[] { bin, $"cut:{cut}" };
            // e_phoff (32), e_shoff (40), e_phentsize (54), e_phnum (56), e_shentsize (58), e_shnum (60), e_shstrndx (62).
            foreach (var at in new[] { 32, 40, 54, 56, 58, 60, 62 })
                foreach (var value in new byte[] { 0xff, 0x7f, 0x01 }) yield return new object[] { bin, $"set:{at}:{value}" };
        }
    }

    private static ImageEntrypointInfo? AnalyzeDamaged(string bin, string damage)
    {
        var path = Path.Combine(LintFixtures.Dir, "expected", bin);
        if (!File.Exists(path)) return null; // the compiler was missing: the facts above say so
        var bytes = File.ReadAllBytes(path);
        var parts = damage.Split(':');
        if (parts[0] == "cut") bytes = bytes[..(parts[1] == "-1" ? bytes.Length / 2 : int.Parse(parts[1]))];
        else
        {
            var at = int.Parse(parts[1]);
            var length = at is 32 or 40 ? 8 : 2; // offsets are 64-bit, counts and sizes 16-bit (ELF64 header)
            for (var i = at; i < at + length; i++) bytes[i] = byte.Parse(parts[2]);
        }
        return ImageEntrypointAnalyzer.AnalyzeBinary(bytes, new[] { "/app/gai" }, "/app/gai", null);
    }

    [ImageFixtureTheory]
    [MemberData(nameof(Damages))]
    public void A_damaged_ELF_is_reported_with_a_note_never_thrown(string bin, string damage)
    {
        if (AnalyzeDamaged(bin, damage) is not { } info) return;
        // Either the damage spared what is read (the C library is still found), or the note says the file is damaged.
        var reported = info.Note is { } n && (n.StartsWith("a damaged ELF file: ", StringComparison.Ordinal) || n == "an ELF header ELFSharp cannot read" || n == "not an ELF binary");
        Assert.True(reported || info.StaticLibc is not null, $"{damage}: {info.Resolver} {info.Note}");
    }

    [ImageFixtureFact("gcc")]
    public void Damages_that_make_ELFSharp_throw_are_named_in_the_note()
    {
        var notes = Damages().Select(d => AnalyzeDamaged((string)d[0], (string)d[1])?.Note ?? "").ToList();
        // The boundary is exercised: some of these damages make ELFSharp throw (issue 15 saw 8 throw sites).
        Assert.Contains(notes, n => n.StartsWith("a damaged ELF file: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Version_parts_too_long_for_an_int_or_in_other_scripts_are_no_version()
    {
        Assert.Null(ImageLibcInfo.ParseVersion("12345678901.2"));
        Assert.Null(ImageLibcInfo.ParseVersion("2.99999999999"));
        Assert.Null(ImageLibcInfo.ParseVersion("\u0662.\u0663\u0666")); // Arabic-Indic digits
        Assert.Equal(new Version(2, 36, 0), ImageLibcInfo.ParseVersion("2.36"));
        Assert.Equal(new Version(1, 2, 4), ImageLibcInfo.ParseVersion("1.2.4_git20230717"));
        var libc = new ImageLibcInfo { Family = LibcFamily.Musl, Version = "1.2.99999999999", Source = "apk" };
        Assert.Equal(new Version(1, 2, 0), libc.ParsedVersion);
    }

    [Theory]
    [InlineData("options ndots:5 timeout:1 attempts:2\n", "ndots:5,timeout:1,attempts:2")]
    [InlineData("options timeout:1\noptions attempts:2\n", "")]
    [InlineData("options rotate\noptions timeout:2 single-request\n", "rotate,single-request")]
    public void uClibc_ng_reads_only_the_first_option_of_a_line_and_only_timeout_and_attempts(string conf, string ignored)
    {
        // Measured with busybox:1.38.0-uclibc: 'options ndots:5 timeout:1 attempts:2' kept 5 s and 3 tries; lines of their own took effect.
        Assert.Equal(ignored, string.Join(',', ImageDnsRules.UClibcIgnoredOptions(conf)));
    }

    [Fact]
    public void An_lsb_release_with_a_repeated_key_takes_the_last_value()
    {
        var f = new ImageFileInfo
        {
            Image = "test", Path = "/etc/lsb-release", Type = ImageFileType.File, LayerIndex = 0,
            Content = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_RELEASE=22.04\nDISTRIB_ID=Ubuntu\n",
        };
        var os = ImageOsFallback.FromReleaseFiles(p => p == "/etc/lsb-release" ? f : null)!;
        Assert.Equal("ubuntu", os.Id);
        Assert.Equal("22.04", os.VersionId);
    }
}

/// <summary>Issue 15: an entrypoint far larger than any program is named, not read into memory.</summary>
public class LargeEntrypointTests
{
    [ImageFixtureFact("umoci", "truncate")]
    public void A_200_MB_all_zero_entrypoint_is_named_with_its_size_and_not_read()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dnstools-bigentry-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "root/app"));
        try
        {
            void Run(string file, params string[] args)
            {
                var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
                foreach (var a in args) psi.ArgumentList.Add(a);
                using var p = System.Diagnostics.Process.Start(psi)!;
                var err = p.StandardError.ReadToEndAsync();
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {err.Result}");
            }
            Run("truncate", "-s", "200M", Path.Combine(dir, "root/app/server"));
            Run("tar", "--numeric-owner", "-C", Path.Combine(dir, "root"), "-cf", Path.Combine(dir, "layer.tar"), ".");
            var layout = Path.Combine(dir, "oci");
            Run("umoci", "init", "--layout", layout);
            Run("umoci", "new", "--image", layout + ":empty");
            Run("umoci", "raw", "add-layer", "--image", layout + ":empty", "--tag", "big", Path.Combine(dir, "layer.tar"));
            Run("umoci", "config", "--image", layout + ":big", "--config.entrypoint", "/app/server");

            // One layer at a time on this thread, so what this thread allocates is what the profile holds (other tests run alongside).
            var before = GC.GetAllocatedBytesForCurrentThread();
            var p = ImageDnsInspector.Inspect($"oci-dir:{layout}:big", options: new DnsTools.Core.Images.ImageScanOptions { LayerConcurrency = 1 });
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("/app/server", p.Entrypoint!.Path);
            Assert.Contains($"({200L << 20} bytes) is larger than", p.Entrypoint.Note);
            Assert.True(allocated < 64L << 20, $"allocated {allocated} bytes profiling an image with a 200 MB entrypoint");
        }
        finally { Directory.Delete(dir, true); }
    }
}
