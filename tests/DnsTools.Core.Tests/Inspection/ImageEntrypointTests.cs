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
