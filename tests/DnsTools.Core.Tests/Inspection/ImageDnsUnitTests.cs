using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Core.Tests.Inspection;

public class ImageDnsParsingTests
{
    private static ImageFileInfo File(string path, string content) => new()
    {
        Image = "test", Path = path, Type = ImageFileType.File, Content = content, Layer = "sha256:" + new string('a', 64), LayerIndex = 2,
    };

    [Fact]
    public void Apk_database_names_the_musl_stanza_not_others()
    {
        var db = "P:musl-utils\nV:9.9.9-r0\n\nC:Q1x=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\n\n";
        var l = ImageDnsInspector.FromApk(File("/lib/apk/db/installed", db))!;
        Assert.Equal("1.2.4_git20230717", l.Version);
        Assert.Equal(new Version(1, 2, 4), l.ParsedVersion);
        Assert.Equal(2, l.Evidence!.LayerIndex);
    }

    [Theory]
    [InlineData("2.36-9+deb12u4", "2.36")]
    [InlineData("2.31-0ubuntu9.16", "2.31")]
    [InlineData("1:2.17-326", "2.17")]
    [InlineData("1.2.3-r5", "1.2.3")]
    public void Upstream_version_drops_epoch_and_revision(string package, string upstream) =>
        Assert.Equal(upstream, ImageDnsInspector.Upstream(package));

    [Fact]
    public void Dpkg_status_skips_packages_that_are_not_installed()
    {
        var status = "Package: libc6\nStatus: deinstall ok config-files\nVersion: 2.31-13\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36-9\n";
        Assert.Equal("2.36", ImageDnsInspector.FromDpkg(File("/var/lib/dpkg/status", status))!.Version);
    }

    [Theory]
    [InlineData("hosts: files dns\n", "files dns")]
    [InlineData("# hosts: nis\nhosts:\tfiles  mdns4_minimal [NOTFOUND=return] dns # x\n", "files mdns4_minimal [NOTFOUND=return] dns")]
    [InlineData("passwd: files\n", null)]
    [InlineData("hostsx: files\n", null)]
    public void Nsswitch_hosts_line(string text, string? expected) => Assert.Equal(expected, ImageDnsInspector.HostsLine(text));

    [Fact]
    public void Go_build_info_inline_strings_give_version_cgo_and_tags()
    {
        var mod = "path\texample.com/x\nbuild\tCGO_ENABLED=1\nbuild\t-tags=netgo,osusergo\n";
        var data = new byte[48 + 64 + mod.Length];
        var magic = Encoding.Latin1.GetBytes("\xff Go buildinf:");
        magic.CopyTo(data, 48);
        data[48 + 14] = 8; data[48 + 15] = 2;
        var pos = 48 + 32;
        data[pos++] = 8; Encoding.ASCII.GetBytes("go1.22.4").CopyTo(data, pos); pos += 8;
        data[pos++] = (byte)mod.Length; Encoding.ASCII.GetBytes(mod).CopyTo(data, pos);
        var (v, cgo, tags) = ImageEntrypointAnalyzer.ReadGoBuildInfo(data);
        Assert.Equal("go1.22.4", v);
        Assert.True(cgo);
        Assert.Equal(new[] { "netgo", "osusergo" }, tags);
        Assert.Null(ImageEntrypointAnalyzer.ReadGoBuildInfo(new byte[64]).Version);
    }

    [Theory]
    [InlineData(0x1000UL, 0x40UL, 8UL, "go1.16.15")]     // header -> {data, len} -> text
    [InlineData(0x1000UL, 0x40UL, 200UL, null)]           // a length no version has
    [InlineData(0x9000UL, 0x40UL, 8UL, null)]             // header pointer outside every segment
    [InlineData(0x1000UL, 0x7000UL, 8UL, null)]           // text pointer outside every segment
    public void Go_before_1_18_build_info_is_followed_through_its_pointers_within_bounds(ulong headerVa, ulong textVa, ulong length, string? expected)
    {
        // A file mapped at VA 0x1000 -> offset 0 (one PT_LOAD of 256 bytes): build info at 0, string header at
        // VA 0x1000+0x80 would be offset 0x80; the test points the header at VA headerVa + 0x80.
        var data = new byte[256];
        Encoding.Latin1.GetBytes("\xff Go buildinf:").CopyTo(data, 0);
        data[14] = 8; data[15] = 0;
        BitConverter.GetBytes(headerVa + 0x80).CopyTo(data, 16);
        BitConverter.GetBytes(0x1000UL + textVa).CopyTo(data, 0x80);
        BitConverter.GetBytes(length).CopyTo(data, 0x88);
        Encoding.ASCII.GetBytes("go1.16.15").CopyTo(data, 0x40);
        long? Map(ulong va) => va >= 0x1000 && va < 0x1100 ? (long)(va - 0x1000) : null;
        var text = expected is null ? "go (before 1.18)" : expected;
        if (expected is not null) BitConverter.GetBytes((ulong)expected.Length).CopyTo(data, 0x88);
        Assert.Equal(text, ImageEntrypointAnalyzer.ReadGoBuildInfo(data, Map).Version);
    }

    [Fact]
    public void Glibc_and_musl_version_strings()
    {
        Assert.Equal("2.35", ImageDnsInspector.GlibcVersion(Encoding.ASCII.GetBytes("\0GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.8) stable release version 2.35.\n\0")));
        Assert.Equal("1.2.5", ImageDnsInspector.MuslVersion(Encoding.ASCII.GetBytes("\0musl libc (x86_64)\0Version %s\n\0/proc/self/fd/\0" + "1.2.5\0x")));
        Assert.Null(ImageDnsInspector.MuslVersion(Encoding.ASCII.GetBytes("\0" + "1.2.5\0")));
    }
}

public class ImageDnsRuleUnitTests
{
    private static ImageDnsProfile Glibc(string version, string resolv) => new()
    {
        Image = "test",
        Libc = new ImageLibcInfo { Family = LibcFamily.Glibc, Version = version, Source = "dpkg" },
        ResolvConfFile = new ImageConfigFile { Evidence = new ImageEvidence("/etc/resolv.conf", "sha256:" + new string('c', 64), 3), Content = resolv },
        ResolvConf = DnsTools.Core.ResolvConf.ResolvConfParser.Parse(resolv),
    };

    [Fact]
    public void No_aaaa_is_ignored_before_glibc_2_36_and_offered_from_it()
    {
        var old = ImageDnsRules.Evaluate(Glibc("2.31", "nameserver 10.96.0.10\noptions no-aaaa\n"));
        var conf = Assert.Single(old, f => f.RuleId == "DNS-CONF-001");
        Assert.Contains("no-aaaa (glibc before 2.36)", conf.Message);
        Assert.Equal(3, conf.LayerIndex);
        Assert.DoesNotContain(old, f => f.RuleId == "DNS-GLIBC-001");

        var set = ImageDnsRules.Evaluate(Glibc("2.36", "nameserver 10.96.0.10\noptions no-aaaa\n"));
        Assert.DoesNotContain(set, f => f.RuleId is "DNS-CONF-001" or "DNS-GLIBC-001");
        Assert.Contains(ImageDnsRules.Evaluate(Glibc("2.39", "nameserver 10.96.0.10\n")), f => f.RuleId == "DNS-GLIBC-001");
    }

    [Theory]
    [InlineData("2.8", "nameserver 10.96.0.10\n", null)]                      // before parallel A/AAAA
    [InlineData("2.9", "nameserver 10.96.0.10\n", "one socket.")]
    [InlineData("2.36", "nameserver 10.96.0.10\noptions single-request-reopen\n", "kubelet's resolv.conf applies")]
    [InlineData(null, "nameserver 10.96.0.10\n", "(version unknown)")]
    public void Glibc_parallel_queries_are_reported_from_2_9(string? version, string resolv, string? expected)
    {
        var f = ImageDnsRules.Evaluate(Glibc(version!, resolv)).SingleOrDefault(x => x.RuleId == "DNS-GLIBC-002");
        if (expected is null) Assert.Null(f);
        else Assert.Contains(expected, Assert.IsType<ImageDnsFinding>(f).Message);
    }
}

public class ImageDnsReportTests
{
    private static List<ImageDnsFinding> Findings() => new()
    {
        new() { Image = "oci-archive:./a.tar", Platform = "linux/amd64", RuleId = "DNS-MUSL-001", Severity = DnsRuleSeverity.Warning, Title = "t", Message = "musl", Path = "/lib/apk/db/installed", Layer = "sha256:" + new string('b', 64), LayerIndex = 0, Version = "1.2.3", Remediation = "r", HelpUri = ImageDnsRules.Find("DNS-MUSL-001")!.HelpUri },
        new() { Image = "oci-archive:./a.tar", RuleId = "DNS-CONF-002", Severity = DnsRuleSeverity.Info, Title = "t", Message = "ships", Path = "/etc/resolv.conf", Remediation = "r", HelpUri = ImageDnsRules.Find("DNS-CONF-002")!.HelpUri },
        new() { Image = "dir:./b", RuleId = "DNS-MUSL-003", Severity = DnsRuleSeverity.Error, Title = "t", Message = "old", Remediation = "r", HelpUri = ImageDnsRules.Find("DNS-MUSL-003")!.HelpUri },
    };

    [Fact]
    public void Every_rule_has_a_unique_stable_id_and_a_docs_page()
    {
        var ids = ImageDnsRules.All.Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!System.IO.File.Exists(Path.Combine(root.FullName, "DnsTools.sln"))) root = root.Parent!;
        foreach (var r in ImageDnsRules.All)
        {
            Assert.Matches("^DNS-[A-Z]+-[0-9]{3}$", r.Id);
            Assert.EndsWith($"docs/rules/{r.Id}.md", r.HelpUri);
            var page = Path.Combine(root.FullName, "docs/rules", r.Id + ".md");
            Assert.True(System.IO.File.Exists(page), page);
            Assert.StartsWith($"# {r.Id}", System.IO.File.ReadAllText(page));
        }
    }

    [Fact]
    public void Sarif_2_1_0_has_the_required_structure_rules_with_help_uris_and_suppressions()
    {
        var f = Findings();
        f[1].Suppressed = true; f[1].SuppressionReason = "kubelet replaces it";
        using var doc = JsonDocument.Parse(ImageDnsReport.ToSarif(f, "0.1.0"));
        var root = doc.RootElement;
        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        var runs = root.GetProperty("runs");
        Assert.Equal(JsonValueKind.Array, runs.ValueKind);
        var run = runs[0];
        var driver = run.GetProperty("tool").GetProperty("driver");
        Assert.Equal("DnsTools", driver.GetProperty("name").GetString());
        var rules = driver.GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(ImageDnsRules.All.Count, rules.Count);
        foreach (var r in rules)
        {
            Assert.False(string.IsNullOrEmpty(r.GetProperty("id").GetString()));
            Assert.True(Uri.TryCreate(r.GetProperty("helpUri").GetString(), UriKind.Absolute, out _));
            Assert.Contains(r.GetProperty("defaultConfiguration").GetProperty("level").GetString(), new[] { "note", "warning", "error" });
            Assert.False(string.IsNullOrEmpty(r.GetProperty("shortDescription").GetProperty("text").GetString()));
        }
        var results = run.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        foreach (var r in results)
        {
            Assert.False(string.IsNullOrEmpty(r.GetProperty("message").GetProperty("text").GetString()));
            var idx = r.GetProperty("ruleIndex").GetInt32();
            Assert.Equal(r.GetProperty("ruleId").GetString(), rules[idx].GetProperty("id").GetString());
            Assert.True(Uri.TryCreate(r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString(), UriKind.RelativeOrAbsolute, out _));
        }
        Assert.Equal("error", results[2].GetProperty("level").GetString());
        Assert.Equal("external", results[1].GetProperty("suppressions")[0].GetProperty("kind").GetString());
        Assert.Equal("oci-archive:./a.tar", results[0].GetProperty("properties").GetProperty("image").GetString());
        // GitHub code scanning: a region with startLine, and fingerprints that differ per finding and repeat per run.
        Assert.Equal(1, results[0].GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32());
        var prints = results.Select(r => r.GetProperty("partialFingerprints").GetProperty("dnsToolsFinding/v1").GetString()).ToList();
        Assert.Equal(prints.Count, prints.Distinct().Count());
        using var again = JsonDocument.Parse(ImageDnsReport.ToSarif(Findings(), "0.1.0"));
        Assert.Equal(prints, again.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().Select(r => r.GetProperty("partialFingerprints").GetProperty("dnsToolsFinding/v1").GetString()));
    }

    [Fact]
    public void An_image_that_could_not_be_read_is_in_every_report_format()
    {
        var errors = new[] { new ImageReportError("registry:127.0.0.1:5000/x:1", "Image 'registry:127.0.0.1:5000/x:1': 404") };
        var images = new[] { "oci-archive:./a.tar", "registry:127.0.0.1:5000/x:1" };
        using (var doc = JsonDocument.Parse(ImageDnsReport.ToSarif(Findings(), "0.1.0", errors)))
        {
            var inv = doc.RootElement.GetProperty("runs")[0].GetProperty("invocations")[0];
            Assert.False(inv.GetProperty("executionSuccessful").GetBoolean());
            var n = inv.GetProperty("toolExecutionNotifications")[0];
            Assert.Equal("error", n.GetProperty("level").GetString());
            Assert.Contains("404", n.GetProperty("message").GetProperty("text").GetString());
        }
        using (var doc = JsonDocument.Parse(ImageDnsReport.ToSarif(Findings(), "0.1.0")))
            Assert.True(doc.RootElement.GetProperty("runs")[0].GetProperty("invocations")[0].GetProperty("executionSuccessful").GetBoolean());
        using (var doc = JsonDocument.Parse(ImageDnsReport.ToJson(Findings(), images, errors)))
            Assert.Equal(errors[0].Image, doc.RootElement.GetProperty("errors")[0].GetProperty("image").GetString());
        var xml = XDocument.Parse(ImageDnsReport.ToJUnit(Findings(), images, DnsRuleSeverity.None, errors));
        Assert.Equal("1", xml.Root!.Attribute("errors")!.Value);
        Assert.Equal("ImageNotInspected", xml.Descendants("error").Single().Attribute("type")!.Value);
        Assert.Contains("NotInspected", ImageDnsReport.ToTable(Findings(), errors));
    }

    [Fact]
    public void JUnit_has_one_suite_per_image_and_fails_only_at_the_threshold()
    {
        var xml = XDocument.Parse(ImageDnsReport.ToJUnit(Findings(), new[] { "oci-archive:./a.tar", "dir:./b" }, DnsRuleSeverity.Error));
        var suites = xml.Root!.Elements("testsuite").ToList();
        Assert.Equal(2, suites.Count);
        Assert.Equal("0", suites[0].Attribute("failures")!.Value);
        Assert.Equal("1", suites[1].Attribute("failures")!.Value);
        Assert.Equal(ImageDnsRules.All.Count, suites[0].Elements("testcase").Count());
        Assert.Contains("musl", suites[0].Descendants("system-out").First().Value);
    }

    [Fact]
    public void Ignore_file_suppresses_until_its_date_and_warns_once_expired()
    {
        var entries = DnsIgnoreFile.Parse("# comment\nDNS-MUSL-001 2026-01-31 # until the upgrade\n dns-conf-002  # kubelet\n\n");
        Assert.Equal(2, entries.Count);
        Assert.Equal("DNS-CONF-002", entries[1].RuleId);
        Assert.Equal(new DateOnly(2026, 1, 31), entries[0].Expires);

        var live = Findings();
        Assert.Empty(DnsIgnoreFile.Apply(live, entries, new DateOnly(2026, 1, 31)));
        Assert.True(live[0].Suppressed);
        Assert.Equal("until the upgrade", live[0].SuppressionReason);

        var later = Findings();
        var warnings = DnsIgnoreFile.Apply(later, entries, new DateOnly(2026, 2, 1));
        Assert.Single(warnings);
        Assert.Contains("expired on 2026-01-31", warnings[0]);
        Assert.False(later[0].Suppressed);
        Assert.True(later[1].Suppressed);
        Assert.Throws<FormatException>(() => DnsIgnoreFile.Parse("DNS-MUSL-001 tomorrow"));
    }

    [Fact]
    public void Failing_respects_threshold_and_suppression()
    {
        var f = Findings();
        Assert.Empty(ImageDnsReport.Failing(f, DnsRuleSeverity.None));
        Assert.Equal(new[] { "DNS-MUSL-001", "DNS-MUSL-003" }, ImageDnsReport.Failing(f, DnsRuleSeverity.Warning).Select(x => x.RuleId));
        f[2].Suppressed = true;
        Assert.Equal(new[] { "DNS-MUSL-001" }, ImageDnsReport.Failing(f, DnsRuleSeverity.Info).Select(x => x.RuleId).Where(x => x != "DNS-CONF-002"));
        Assert.Equal(2, ImageDnsReport.Failing(f, DnsRuleSeverity.Info).Count);
    }
}
