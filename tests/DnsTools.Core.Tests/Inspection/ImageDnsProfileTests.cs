using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

/// <summary>Profiles of REAL images (tests/fixtures/New-DnsLintFixtures.sh): expected values come from the script's inputs and skopeo.</summary>
public class ImageDnsProfileTests
{
    private static ImageDnsProfile Profile(string reference) => ImageDnsInspector.Inspect(reference);

    [ImageFixtureFact]
    public void Alpine_musl_version_comes_from_the_apk_database_with_its_layer()
    {
        var p = Profile(LintFixtures.Oci("alpine-apk"));
        Assert.Equal(LibcFamily.Musl, p.Libc.Family);
        Assert.Equal("1.2.3", p.Libc.Version);
        Assert.Equal("1.2.3-r5", p.Libc.PackageVersion);
        Assert.Equal("apk", p.Libc.Source);
        Assert.Equal("/lib/apk/db/installed", p.Libc.Evidence!.Path);
        Assert.Equal(LintFixtures.ExpectedLayers("alpine-apk")[0], p.Libc.Evidence.Layer);
        Assert.Equal("alpine", p.Os!.Id);
        Assert.Equal("3.17.10", p.Os.VersionId);
        Assert.Equal("linux/amd64", p.Platform);
        Assert.NotNull(p.ResolvConf);
        Assert.Equal(5, p.ResolvConf!.Musl.Ndots);
        Assert.Contains("single-request-reopen", p.ResolvConf.Musl.IgnoredOptions);
        Assert.Null(p.NsswitchConf);
        Assert.Null(p.NsswitchHosts);
        Assert.Null(p.GaiConf);
        Assert.NotNull(p.Hosts);
        Assert.Equal(LintFixtures.ExpectedLayers("alpine-apk"), p.Layers);
    }

    [ImageFixtureFact]
    public void Musl_version_is_read_from_the_real_loader_when_there_is_no_package_database()
    {
        var p = Profile(LintFixtures.Oci("musl-loader"));
        Assert.Equal(LibcFamily.Musl, p.Libc.Family);
        // The Debian musl package the fixture copies is 1.2.3 (dpkg -s musl).
        Assert.Equal("1.2.3", p.Libc.Version);
        Assert.Equal("loader-string", p.Libc.Source);
        Assert.Equal("/lib/ld-musl-x86_64.so.1", p.Libc.Evidence!.Path);
        Assert.Null(p.Os);
        Assert.Null(p.ResolvConfFile);
    }

    [ImageFixtureFact]
    public void Glibc_version_comes_from_dpkg_and_os_release_from_usr_lib_through_the_link()
    {
        var p = Profile(LintFixtures.Oci("glibc-dpkg"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal("2.36", p.Libc.Version);
        Assert.Equal("2.36-9+deb12u14", p.Libc.PackageVersion);
        Assert.Equal("dpkg", p.Libc.Source);
        Assert.Equal("debian", p.Os!.Id);
        Assert.Equal("12", p.Os.VersionId);
        Assert.Equal("files dns", p.NsswitchHosts);
        Assert.Equal("/etc/gai.conf", p.GaiConf!.Evidence.Path);
        Assert.True(p.ResolvConf!.Glibc.SingleRequestReopen);
    }

    [ImageFixtureFact]
    public void Glibc_version_is_read_from_the_real_libc_so_6_string()
    {
        var p = Profile(LintFixtures.Oci("glibc-string"));
        Assert.Equal(LibcFamily.Glibc, p.Libc.Family);
        Assert.Equal(File.ReadAllText(Path.Combine(LintFixtures.Dir, "expected/glibc.version")).Trim(), p.Libc.Version);
        Assert.Equal("libc-string", p.Libc.Source);
        Assert.EndsWith("/libc.so.6", p.Libc.Evidence!.Path);
    }

    [ImageFixtureFact]
    public void An_image_without_a_C_library_is_static()
    {
        var p = Profile($"oci-archive:{Path.Combine(LintFixtures.Dir, "static.oci.tar")}");
        Assert.Equal(LibcFamily.None, p.Libc.Family);
        Assert.Null(p.Libc.Version);
        Assert.Null(p.ResolvConfFile);
    }

    [ImageFixtureFact]
    public void A_later_layer_is_named_for_the_file_it_replaced_and_a_whiteout_removes_gai_conf()
    {
        var layers = LintFixtures.ExpectedLayers("layered");
        Assert.Equal(2, layers.Length);
        var p = Profile($"docker-archive:{Path.Combine(LintFixtures.Dir, "layered.docker.tar")}");
        Assert.Equal(1, p.ResolvConfFile!.Evidence.LayerIndex);
        Assert.Equal("192.0.2.53", p.ResolvConf!.Nameservers[0].Address.ToString());
        Assert.Null(p.GaiConf);
        Assert.Equal(0, p.Libc.Evidence!.LayerIndex);
        Assert.Equal("files dns", p.NsswitchHosts);
    }

    [ImageFixtureFact]
    public void The_oci_archive_and_the_oci_layout_give_the_same_profile()
    {
        var a = Profile(LintFixtures.Oci("glibc-dpkg"));
        var b = Profile($"oci-archive:{Path.Combine(LintFixtures.Dir, "glibc-dpkg.oci.tar")}");
        Assert.Equal(a.Libc.ToString(), b.Libc.ToString());
        Assert.Equal(a.ResolvConfFile!.Evidence.Layer, b.ResolvConfFile!.Evidence.Layer);
        Assert.Equal(a.NsswitchHosts, b.NsswitchHosts);
    }
}

/// <summary>The rule catalogue over real images.</summary>
public class ImageDnsRuleTests
{
    private static string[] Ids(string reference) =>
        ImageDnsRules.Evaluate(ImageDnsInspector.Inspect(reference)).Select(f => f.RuleId).ToArray();

    [ImageFixtureTheory]
    [InlineData("alpine-apk", new[] { "DNS-MUSL-001", "DNS-MUSL-002", "DNS-CONF-001", "DNS-CONF-002" })]
    [InlineData("musl-old", new[] { "DNS-MUSL-001", "DNS-MUSL-002", "DNS-MUSL-003" })]
    [InlineData("musl-loader", new[] { "DNS-MUSL-001", "DNS-MUSL-002" })]
    [InlineData("glibc-dpkg", new[] { "DNS-CONF-002", "DNS-GLIBC-001", "DNS-GLIBC-002" })]
    [InlineData("static", new[] { "DNS-LIBC-001" })]
    public void Each_image_gets_the_findings_its_resolver_calls_for(string tag, string[] expected)
    {
        Assert.Equal(expected, Ids(LintFixtures.Oci(tag)));
    }

    [ImageFixtureFact]
    public void Findings_carry_the_evidence_layer_path_and_version()
    {
        var f = ImageDnsRules.Evaluate(ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-apk")));
        var conf = f.Single(x => x.RuleId == "DNS-CONF-001");
        Assert.Equal("/etc/resolv.conf", conf.Path);
        Assert.Equal(LintFixtures.ExpectedLayers("alpine-apk")[0], conf.Layer);
        Assert.Contains("single-request-reopen", conf.Message);
        Assert.Contains("use-vc", conf.Message);
        var musl = f.Single(x => x.RuleId == "DNS-MUSL-002");
        Assert.Equal("1.2.3", musl.Version);
        Assert.Equal(DnsRuleSeverity.Warning, musl.Severity);
        Assert.Equal("https://github.com/dnstools/DnsTools/blob/main/docs/rules/DNS-MUSL-002.md", musl.HelpUri);
        Assert.Equal("linux/amd64", musl.Platform);
    }

    [ImageFixtureFact]
    public void Excluded_rules_are_not_evaluated()
    {
        var p = ImageDnsInspector.Inspect(LintFixtures.Oci("alpine-apk"));
        var ids = ImageDnsRules.Evaluate(p, new[] { "dns-musl-001", "DNS-CONF-002" }).Select(f => f.RuleId);
        Assert.Equal(new[] { "DNS-MUSL-002", "DNS-CONF-001" }, ids);
    }
}
