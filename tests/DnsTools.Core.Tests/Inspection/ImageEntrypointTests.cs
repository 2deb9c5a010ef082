using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>Entrypoint analysis on real images: a host glibc binary and a Go program built by the fixture script.</summary>
public class ImageEntrypointTests
{
    private static bool GoMissing(out string reason)
    {
        var f = Path.Combine(LintFixtures.Dir, "expected/go.missing");
        reason = File.Exists(f) ? File.ReadAllText(f).Trim() : "";
        return reason.Length > 0;
    }

    [ImageFixtureFact]
    public void A_glibc_binary_found_by_PATH_on_a_musl_base_is_flagged()
    {
        var p = ImageDnsInspector.Inspect($"docker-archive:{Path.Combine(LintFixtures.Dir, "alpine-glibc-entry.docker.tar")}");
        var e = p.Entrypoint!;
        Assert.Equal(new[] { "env" }, e.Command);
        Assert.Equal("/usr/bin/env", e.Path);
        Assert.Equal(EntrypointResolver.Glibc, e.Resolver);
        Assert.Contains("ld-linux", e.Interpreter);
        Assert.Contains("libc.so.6", e.Needed);
        Assert.Equal(1, e.Evidence!.LayerIndex);
        var ids = ImageDnsRules.Evaluate(p).Select(f => f.RuleId).ToList();
        Assert.Contains("DNS-ENTRY-001", ids);
        Assert.Contains("DNS-MUSL-001", ids);
    }

    [ImageFixtureFact]
    public void A_glibc_binary_on_a_glibc_base_is_not_flagged()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("glibc-entry"));
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint!.Resolver);
        Assert.False(p.Entrypoint.IsStatic);
        Assert.DoesNotContain("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact]
    public void Images_without_an_entrypoint_say_so()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-apk"));
        Assert.NotNull(p.Entrypoint);
        Assert.Equal(EntrypointResolver.Unknown, p.Entrypoint!.Resolver);
        Assert.NotNull(p.Entrypoint.Note);
    }

    [GoFixtureFact]
    public void A_pure_Go_binary_is_read_from_its_build_info()
    {
        if (GoMissing(out var reason)) { Assert.Fail("fixture has no Go image: " + reason); }
        var goVersion = File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/go.version")).Trim();
        var p = ImageDnsInspector.Inspect($"oci-archive:{Path.Combine(LintFixtures.Dir, "go-alpine.oci.tar")}");
        var e = p.Entrypoint!;
        Assert.Equal("/app/server", e.Path);
        Assert.True(e.IsStatic);
        Assert.Equal(goVersion, e.GoVersion);
        Assert.False(e.GoCgoEnabled);
        Assert.Equal(EntrypointResolver.GoPure, e.Resolver);
        var ids = ImageDnsRules.Evaluate(p).Select(f => f.RuleId).ToList();
        Assert.Contains("DNS-GO-001", ids);
        Assert.Contains("DNS-ENTRY-001", ids);

        var s = ImageDnsRules.Evaluate(ImageDnsInspector.Inspect(LintFixtures.Oci("go-static"))).Select(f => f.RuleId);
        Assert.Equal(new[] { "DNS-LIBC-001", "DNS-GO-001" }, s);
    }
}

/// <summary>Following launchers, shells and entrypoint scripts to the program that resolves names.</summary>
public class EntrypointWrapperTests
{
    [GoFixtureFact]
    public void Sh_dash_c_exec_is_followed_to_the_Go_program()
    {
        var e = ImageDnsInspector.Inspect(LintFixtures.Oci("go-shell")).Entrypoint!;
        Assert.Equal(new[] { "/bin/sh", "-c", "exec /app/server --listen :8080" }, e.Command);
        Assert.Equal(new[] { "/bin/sh" }, e.Via);
        Assert.Equal("/app/server", e.Path);
        Assert.Equal(EntrypointResolver.GoPure, e.Resolver);
        Assert.Equal(2, e.Evidence!.LayerIndex); // the Go layer, not the shell's
        Assert.StartsWith("/app/server (via /bin/sh): GoPure go1.", e.ToString());
    }

    [GoFixtureFact]
    public void Env_as_a_launcher_is_followed_past_its_assignments()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("go-env"));
        Assert.Equal(new[] { "/usr/bin/env" }, p.Entrypoint!.Via);
        Assert.Equal(EntrypointResolver.GoPure, p.Entrypoint.Resolver);
        // On the musl base: the service uses Go's resolver, so the entrypoint rule fires.
        Assert.Contains("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [Go117FixtureFact]
    public void A_Go_1_17_binary_gives_its_version_through_the_pointers_of_the_old_build_info()
    {
        var missing = Path.Combine(LintFixtures.Dir, "expected/go117.missing");
        if (File.Exists(missing)) Assert.Fail("fixture has no Go 1.17 image: " + File.ReadAllText(missing).Trim());
        var expected = File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/go117.version")).Trim();
        Assert.StartsWith("go1.17", expected);
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("go117-alpine"));
        Assert.Equal(expected, p.Entrypoint!.GoVersion);
        Assert.Null(p.Entrypoint.GoCgoEnabled); // Go before 1.18 records no build settings
        Assert.Equal(EntrypointResolver.GoPure, p.Entrypoint.Resolver); // static: no cgo possible
        Assert.Contains("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [Theory]
    [InlineData("tini", "tini -s -g -- /app/server --x", "/app/server --x")]
    [InlineData("dumb-init", "dumb-init --single-child /app/server", "/app/server")]
    [InlineData("gosu", "gosu nobody /app/server", "/app/server")]
    [InlineData("su-exec", "su-exec 1000:1000 server -v", "server -v")]
    [InlineData("env", "env -i A=1 B=2 /app/server", "/app/server")]
    [InlineData("env", "env", null)]
    [InlineData("tini", "tini --", null)]
    public void Launchers_hand_over_to_the_next_program(string name, string line, string? expected)
    {
        var next = ImageEntrypointAnalyzer.NextProgram(name, line.Split(' '), new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' });
        Assert.Equal(expected, next is null ? null : string.Join(' ', next));
    }

    [Theory]
    [InlineData("exec /app/server --listen :8080", "/app/server --listen :8080")]
    [InlineData("GODEBUG=netdns=go exec server", "server")]
    [InlineData("  /usr/local/bin/app  ", "/usr/local/bin/app")]
    [InlineData("/app/init; exec /app/server", null)]           // two commands: not one program
    [InlineData("exec \"$APP\" --x", null)]                     // expansions are not followed
    [InlineData("cd /srv && ./run", null)]
    [InlineData("", null)]
    public void Sh_dash_c_is_followed_only_for_one_plain_command(string script, string? expected)
    {
        var next = ImageEntrypointAnalyzer.ShellCommand(script);
        Assert.Equal(expected, next is null ? null : string.Join(' ', next));
        var viaShell = ImageEntrypointAnalyzer.NextProgram("sh", new[] { "sh", "-c", script }, Array.Empty<byte>());
        Assert.Equal(expected, viaShell is null ? null : string.Join(' ', viaShell));
    }

    [Theory]
    [InlineData("#!/bin/sh\nset -e\nexec \"$@\"\n", true)]
    [InlineData("#!/bin/bash\nif [ x ]; then :; fi\nexec $@\n", true)]
    [InlineData("#!/bin/sh\nexec /app/server \"$@\"\n", false)]     // runs its own program: not followed to the Cmd
    [InlineData("#!/bin/sh\n\"$@\"\n", false)]
    public void Entrypoint_scripts_hand_over_to_their_arguments_only_with_exec_dollar_at(string script, bool follows)
    {
        var next = ImageEntrypointAnalyzer.NextProgram("docker-entrypoint.sh", new[] { "docker-entrypoint.sh", "postgres", "-c", "x" }, System.Text.Encoding.UTF8.GetBytes(script));
        if (follows) Assert.Equal(new[] { "postgres", "-c", "x" }, next);
        else Assert.Null(next);
        // A script with no arguments has nothing to hand over to.
        Assert.Null(ImageEntrypointAnalyzer.NextProgram("docker-entrypoint.sh", new[] { "docker-entrypoint.sh" }, System.Text.Encoding.UTF8.GetBytes(script)));
    }

    [Fact]
    public void An_unpacked_root_file_system_has_no_config_and_so_no_entrypoint()
    {
        var dir = Directory.CreateTempSubdirectory("dnstools-rootfs-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "etc"));
            File.WriteAllText(Path.Combine(dir.FullName, "etc/resolv.conf"), "nameserver 192.0.2.1\n");
            var p = ImageDnsInspector.Inspect($"dir:{dir.FullName}");
            Assert.Null(p.Entrypoint);
            Assert.Equal("192.0.2.1", p.ResolvConf!.Nameservers.Single().Address.ToString());
        }
        finally { dir.Delete(recursive: true); }
    }
}

/// <summary>Needs the Go fixtures and a Go 1.17 program (esbuild 0.14.0's binary, fetched by build.ps1 -Task Test).</summary>
public sealed class Go117FixtureFactAttribute : FactAttribute
{
    public Go117FixtureFactAttribute()
    {
        var inner = new GoFixtureFactAttribute();
        if (inner.Skip is not null) { Skip = inner.Skip; return; }
        var binary = Environment.GetEnvironmentVariable("DNSTOOLS_GO117_BINARY") is { Length: > 0 } b ? b
            : Path.Combine(LintFixtures.RepoRoot, "tools/packages/npm/esbuild-linux-64_0.14.0/esbuild");
        if (!File.Exists(binary))
            Skip = Environment.GetEnvironmentVariable("DNSTOOLS_GO117_BINARY_UNAVAILABLE") is { Length: > 0 } why ? why : $"no Go 1.17 binary at {binary} (build.ps1 -Task Test fetches it)";
    }
}

/// <summary>Needs the fixture images and a Go toolchain to build the Go program in them.</summary>
public sealed class GoFixtureFactAttribute : FactAttribute
{
    public GoFixtureFactAttribute()
    {
        var go = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "go")));
        if (!go) Skip = "needs go (Debian golang-go)";
        else if (LintFixtures.MissingReason is { } reason) Skip = reason;
    }
}

/// <summary>glibc programs on Alpine through libc6-compat or gcompat resolve names with musl; without either they cannot start.</summary>
public class LibcCompatTests
{
    [ImageFixtureFact]
    public void Libc6_compat_links_the_glibc_loader_to_musl_so_the_program_resolves_with_musl()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-libc6compat"));
        Assert.Equal("libc6-compat 1.2.3-r5", p.Libc.CompatLayers.Single().ToString());
        Assert.Equal("musl 1.2.3", p.Resolver);
        Assert.Equal(EntrypointResolver.Musl, p.Entrypoint!.Resolver);
        Assert.Equal("/lib/ld-musl-x86_64.so.1", p.Entrypoint.Loader);
        Assert.Contains("ld-linux", p.Entrypoint.Interpreter);
        Assert.DoesNotContain("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact("musl-gcc")]
    public void Gcompat_runs_the_glibc_program_through_a_musl_loader()
    {
        var missing = Path.Combine(LintFixtures.Dir, "expected/gcompat.missing");
        if (File.Exists(missing)) Assert.Fail(File.ReadAllText(missing));
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-gcompat"));
        Assert.Equal("musl 1.2.3 + gcompat 1.1.0-r1", p.Libc.ToString());
        Assert.Equal(EntrypointResolver.Musl, p.Entrypoint!.Resolver);
        Assert.Equal("/lib/ld-linux-x86-64.so.2", p.Entrypoint.Loader);
        Assert.Contains(File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/gcompat.loader-interp")).Trim(), p.Entrypoint.Note);
        Assert.DoesNotContain("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact]
    public void Without_a_compat_package_the_glibc_loader_is_missing_and_the_rule_fires()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-glibc-entry"));
        Assert.Empty(p.Libc.CompatLayers);
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint!.Resolver);
        Assert.Null(p.Entrypoint.Loader);
        Assert.Contains("cannot start", p.Entrypoint.Note);
        Assert.Contains("DNS-ENTRY-001", ImageDnsRules.Evaluate(p).Select(f => f.RuleId));
    }

    [ImageFixtureFact]
    public void On_a_glibc_base_the_loader_is_glibc_s_own()
    {
        var e = ImageDnsInspector.Inspect(LintFixtures.Oci("glibc-entry")).Entrypoint!;
        Assert.Equal(EntrypointResolver.Glibc, e.Resolver);
        Assert.Equal("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", e.Loader);
        Assert.Null(e.Note);
    }
}

/// <summary>The OS when there is no os-release.</summary>
public class ImageOsFallbackTests
{
    [ImageFixtureFact]
    public void A_release_file_names_the_distribution()
    {
        var os = ImageDnsInspector.Inspect(LintFixtures.Oci("centos-release")).Os!;
        Assert.Equal("centos", os.Id);
        Assert.Equal("7.9.2009", os.VersionId);
        Assert.Equal("CentOS Linux release 7.9.2009 (Core)", os.PrettyName);
    }

    [ImageFixtureFact("/bin/busybox")]
    public void A_busybox_only_image_is_named_by_the_busybox_binary()
    {
        var missing = Path.Combine(LintFixtures.Dir, "expected/busybox.missing");
        if (File.Exists(missing)) { Assert.Fail(File.ReadAllText(missing)); }
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("busybox"));
        Assert.Equal("busybox", p.Os!.Id);
        Assert.Equal(File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/busybox.version")).Trim(), p.Os.VersionId);
        Assert.Equal("/bin/busybox", p.Os.Evidence.Path);
        // Debian's busybox-static is linked statically with glibc (issue 11): its C library is the image's.
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal(EntrypointResolver.Glibc, p.Entrypoint!.Resolver);
    }

    [Theory]
    [InlineData("etc/alpine-release", "3.19.1\n", "alpine", "3.19.1")]
    [InlineData("etc/debian_version", "12.5\n", "debian", "12.5")]
    [InlineData("etc/debian_version", "bookworm/sid\n", "debian", null)]
    [InlineData("etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n", "rhel", "8.9")]
    [InlineData("etc/system-release", "Amazon Linux release 2 (Karoo)\n", "amzn", "2")]
    [InlineData("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n", "ubuntu", "22.04")]
    [InlineData("etc/os-release", "ID=wolfi\nVERSION_ID=20230201\n", "wolfi", "20230201")]  // os-release wins when present
    public void Release_files_are_read_when_os_release_is_missing(string file, string content, string id, string? version)
    {
        var dir = Directory.CreateTempSubdirectory("dnstools-os-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "etc"));
            File.WriteAllText(Path.Combine(dir.FullName, file), content);
            File.WriteAllText(Path.Combine(dir.FullName, "etc/debian_version.ignored"), "x");
            var os = ImageDnsInspector.Inspect($"dir:{dir.FullName}").Os!;
            Assert.Equal(id, os.Id);
            Assert.Equal(version, os.VersionId);
            Assert.Equal("/" + file, os.Evidence.Path);
        }
        finally { dir.Delete(recursive: true); }
    }
}
