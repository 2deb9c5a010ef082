using DnsTools.Core.Kubernetes;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Tests.Kubernetes;

/// <summary>
/// kubelet's rules, with expected values from kubernetes pkg/kubelet/network/dns/dns.go and its
/// dns_test.go (TestGetPodDNSCustom, TestGetPodDNS, TestFormDNSSearchFitsLimits, TestParseResolvConf).
/// Option order is random in kubelet (a Go map), so options are compared as sets.
/// </summary>
public class PodResolvConfGeneratorTests
{
    // TestGetPodDNSCustom's fixture.
    private static readonly DnsTools.Core.ResolvConf.ResolvConf Host = ResolvConfParser.Parse("nameserver 8.8.8.8\nsearch host.domain\n");

    private static KubeletDnsSettings Kubelet(bool withClusterDns = true) => new()
    {
        ClusterDns = withClusterDns ? new[] { "10.0.0.10" } : Array.Empty<string>(),
        ClusterDomain = "kubernetes.io",
        HostResolvConf = Host,
    };

    private static PodDnsConfig CustomConfig()
    {
        var c = new PodDnsConfig();
        c.Nameservers.Add("10.0.0.11");
        c.Searches.Add("my.domain");
        c.Options.Add(new ResolvConfOption("ndots", "3", 0));
        c.Options.Add(new ResolvConfOption("debug", null, 0));
        return c;
    }

    private static void AssertConf(DnsTools.Core.ResolvConf.ResolvConf rc, string[] nameservers, string[] search, string[] options)
    {
        Assert.Equal(nameservers, rc.Nameservers.Select(n => n.ToString()));
        Assert.Equal(search, rc.Search);
        Assert.Equal(options.OrderBy(o => o), rc.Options.Select(o => o.ToString()).OrderBy(o => o));
    }

    [Fact]
    public void ClusterFirst_with_dnsConfig()
    {
        var r = PodResolvConfGenerator.Generate(Kubelet(), "testNS", PodDnsPolicy.ClusterFirst, false, CustomConfig());
        AssertConf(r.ResolvConf, new[] { "10.0.0.10", "10.0.0.11" },
            new[] { "testNS.svc.kubernetes.io", "svc.kubernetes.io", "kubernetes.io", "host.domain", "my.domain" },
            new[] { "ndots:3", "debug" });
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void ClusterFirstWithHostNet_on_the_host_network_is_ClusterFirst()
    {
        var r = PodResolvConfGenerator.Generate(Kubelet(), "testNS", PodDnsPolicy.ClusterFirstWithHostNet, true, CustomConfig());
        Assert.Equal("testNS.svc.kubernetes.io", r.ResolvConf.Search[0]);
        Assert.Equal("10.0.0.10", r.ResolvConf.Nameservers[0].ToString());
    }

    [Fact]
    public void ClusterFirst_on_the_host_network_falls_back_to_Default_silently()
    {
        var r = PodResolvConfGenerator.Generate(Kubelet(), "testNS", PodDnsPolicy.ClusterFirst, true);
        AssertConf(r.ResolvConf, new[] { "8.8.8.8" }, new[] { "host.domain" }, Array.Empty<string>());
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Default_with_dnsConfig()
    {
        var r = PodResolvConfGenerator.Generate(Kubelet(), "testNS", PodDnsPolicy.Default, false, CustomConfig());
        AssertConf(r.ResolvConf, new[] { "8.8.8.8", "10.0.0.11" }, new[] { "host.domain", "my.domain" }, new[] { "ndots:3", "debug" });
    }

    [Fact]
    public void None_uses_only_dnsConfig()
    {
        var c = new PodDnsConfig();
        c.Nameservers.Add("203.0.113.1");
        c.Searches.AddRange(new[] { "my.domain", "second.domain" });
        c.Options.Add(new ResolvConfOption("ndots", "3", 0));
        c.Options.Add(new ResolvConfOption("debug", null, 0));
        var r = PodResolvConfGenerator.Generate(Kubelet(), "testNS", PodDnsPolicy.None, false, c);
        AssertConf(r.ResolvConf, new[] { "203.0.113.1" }, new[] { "my.domain", "second.domain" }, new[] { "ndots:3", "debug" });
    }

    [Fact]
    public void None_without_a_nameserver_is_rejected_as_the_API_server_does()
        => Assert.Throws<ArgumentException>(() => PodResolvConfGenerator.Generate(Kubelet(), "ns", PodDnsPolicy.None, false, new PodDnsConfig()));

    [Fact]
    public void ClusterFirst_replaces_host_nameservers_and_options_and_dedups_searches()
    {
        var host = ResolvConfParser.Parse("nameserver 192.168.1.1\nsearch example.com cluster.local.\noptions timeout:2 attempts:3\n");
        var r = PodResolvConfGenerator.Generate(new KubeletDnsSettings { ClusterDns = new[] { "10.96.0.10" }, HostResolvConf = host }, "default");
        Assert.Equal("search default.svc.cluster.local svc.cluster.local cluster.local example.com\nnameserver 10.96.0.10\noptions ndots:5\n",
            r.ResolvConf.ToText());
    }

    [Fact]
    public void The_incident_pods_resolv_conf()
    {
        var r = PodResolvConfGenerator.Generate(new KubeletDnsSettings { ClusterDns = new[] { "10.96.0.10" } }, "tke-test");
        Assert.Equal("search tke-test.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", r.ResolvConf.ToText());
    }

    [Fact]
    public void ClusterFirst_without_cluster_dns_falls_back_to_Default_with_a_warning()
    {
        var r = PodResolvConfGenerator.Generate(Kubelet(withClusterDns: false), "testNS");
        AssertConf(r.ResolvConf, new[] { "8.8.8.8" }, new[] { "host.domain" }, Array.Empty<string>());
        Assert.Contains(r.Warnings, w => w.Contains("Falling back to \"Default\" policy"));
    }

    [Fact]
    public void Empty_kubelet_resolv_conf_means_loopback_and_search_dot()
    {
        var r = PodResolvConfGenerator.Generate(new KubeletDnsSettings(), "ns", PodDnsPolicy.Default);
        AssertConf(r.ResolvConf, new[] { "127.0.0.1" }, new[] { "." }, Array.Empty<string>());
    }

    [Fact]
    public void Nameservers_beyond_three_are_cut_with_kubelets_message()
    {
        var c = new PodDnsConfig();
        c.Nameservers.AddRange(new[] { "10.0.0.2", "10.0.0.3", "10.0.0.4" });
        var r = PodResolvConfGenerator.Generate(new KubeletDnsSettings { ClusterDns = new[] { "10.0.0.1" } }, "ns", dnsConfig: c);
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" }, r.ResolvConf.Nameservers.Select(n => n.ToString()));
        Assert.Contains(r.Warnings, w => w.StartsWith("Nameserver limits were exceeded"));
    }

    [Fact]
    public void Search_limits_33_paths_and_2048_characters()
    {
        var warnings = new List<string>();
        var paths = Enumerable.Range(0, 33).Select(i => $"s{i}.example").ToList();
        Assert.Equal(32, PodResolvConfGenerator.FitSearchLimits(paths, legacy: false, warnings).Count);
        Assert.Single(warnings);

        // TestFormDNSSearchFitsLimits "2050 characters": the last path goes.
        warnings.Clear();
        var big = Enumerable.Range(0, 16).Select(i => new string((char)('a' + i), 127)).ToList();
        big.Add("B");
        Assert.Equal(16 * 127 + 15, string.Join(' ', big.Take(16)).Length);
        var fitted = PodResolvConfGenerator.FitSearchLimits(big, legacy: false, warnings);
        Assert.Equal(16, fitted.Count);
        Assert.DoesNotContain("B", fitted);

        // A path longer than 253 characters is dropped, the rest kept.
        warnings.Clear();
        fitted = PodResolvConfGenerator.FitSearchLimits(new List<string> { "a.example", new string('x', 256), "b.example" }, false, warnings);
        Assert.Equal(new[] { "a.example", "b.example" }, fitted);

        // Before 1.28: 6 paths.
        warnings.Clear();
        Assert.Equal(6, PodResolvConfGenerator.FitSearchLimits(paths, legacy: true, warnings).Count);
    }

    [Fact]
    public void Pod_options_replace_existing_ones_by_name()
    {
        var merged = PodResolvConfGenerator.MergeOptions(new[] { "ndots:5", "timeout:2" },
            new[] { new ResolvConfOption("ndots", "2", 0), new ResolvConfOption("single-request-reopen", null, 0) });
        Assert.Equal(new[] { "ndots:2", "timeout:2", "single-request-reopen" }, merged);
    }

    [Fact]
    public void Host_file_is_read_the_way_kubelet_reads_it()
    {
        // TestParseResolvConf: the last search wins, one trailing dot trimmed, "." dropped; options merge across lines; domain ignored.
        var host = ResolvConfParser.Parse("domain ignored.example\nsearch old.example\nsearch . foo. bar\noptions ndots:1\noptions ndots:5 attempts:3\n; not a comment for kubelet\nnameserver 10.1.1.1\n");
        var r = PodResolvConfGenerator.Generate(new KubeletDnsSettings { HostResolvConf = host }, "ns", PodDnsPolicy.Default);
        AssertConf(r.ResolvConf, new[] { "10.1.1.1" }, new[] { "foo", "bar" }, new[] { "ndots:5", "attempts:3" });
    }

    [Fact]
    public void A_bare_nameserver_line_on_the_node_breaks_every_pod()
    {
        var host = ResolvConfParser.Parse("#comment\nnameserver\n");
        var e = Assert.Throws<InvalidDataException>(() => PodResolvConfGenerator.Generate(new KubeletDnsSettings { ClusterDns = new[] { "10.0.0.1" }, HostResolvConf = host }, "ns"));
        Assert.Contains("nameserver list is empty", e.Message);
    }
}
