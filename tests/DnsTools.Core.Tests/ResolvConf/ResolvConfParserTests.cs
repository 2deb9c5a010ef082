using System.Net;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Tests.ResolvConf;

public class ResolvConfParserTests
{
    private const string PodFile = "search tke-test.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n";

    [Fact]
    public void Parses_a_kubernetes_pod_file()
    {
        var rc = ResolvConfParser.Parse(PodFile);
        Assert.Equal(new[] { "tke-test.svc.cluster.local", "svc.cluster.local", "cluster.local" }, rc.Search);
        Assert.Equal(IPAddress.Parse("10.96.0.10"), Assert.Single(rc.Nameservers).Address);
        var ndots = Assert.Single(rc.Options);
        Assert.Equal(("ndots", "5"), (ndots.Name, ndots.Value));
        Assert.Empty(rc.Warnings);
    }

    [Fact]
    public void Keeps_every_line_so_the_text_round_trips()
    {
        const string text = "# written by hand\r\n; old comment\n\nnameserver 10.0.0.1 # primary\nsortlist 10.0.0.0/255.0.0.0\nbogus line\noptions rotate frobnicate:3\n";
        var rc = ResolvConfParser.Parse(text);
        Assert.Equal(text.Replace("\r\n", "\n"), rc.ToText());
        Assert.Equal(7, rc.Lines.Count);
        Assert.Contains(rc.Options, o => o.Name == "frobnicate" && o.Value == "3" && !o.IsKnown);
        Assert.Equal(ResolvConfLineKind.Sortlist, rc.Lines[4].Kind);
    }

    [Theory]
    [InlineData("fd00::10", "fd00::10", null)]
    [InlineData("fe80::1%eth0", "fe80::1", "eth0")]
    [InlineData("fe80::1%2", "fe80::1", "2")]
    [InlineData("192.0.2.1", "192.0.2.1", null)]
    public void Accepts_the_address_forms_the_libcs_accept(string text, string address, string? scope)
    {
        var rc = ResolvConfParser.Parse($"nameserver {text}\n");
        var ns = Assert.Single(rc.Nameservers);
        Assert.Equal(address, ns.Address.ToString().Split('%')[0]);
        Assert.Equal(scope, ns.ScopeId);
        Assert.Equal(text, ns.ToString());
        Assert.Equal(53, ns.Port);
    }

    [Theory]
    [InlineData("192.0.2.1:5353", "port")]
    [InlineData("[::1]:53", "port")]
    [InlineData("192.0.2.1#53", "port")]
    [InlineData("dns.example", "not an IPv4")]
    [InlineData("192.0.2.1%eth0", "only valid on an IPv6")]
    [InlineData("300.1.1.1", "not an IPv4")]
    public void Rejects_ports_names_and_garbage_with_a_warning_naming_the_line(string text, string reason)
    {
        var rc = ResolvConfParser.Parse($"search a.example\nnameserver {text}\n", "/tmp/x.conf");
        Assert.Empty(rc.Nameservers);
        var warning = Assert.Single(rc.Warnings);
        Assert.Equal(2, warning.LineNumber);
        Assert.Contains(reason, warning.Message);
        Assert.StartsWith("/tmp/x.conf:2:", warning.ToString());
    }

    [Fact]
    public void Last_search_or_domain_line_wins()
    {
        var rc = ResolvConfParser.Parse("search a.example b.example\ndomain c.example\n");
        Assert.Equal(new[] { "c.example" }, rc.Search);
        Assert.Equal("c.example", rc.Domain);
        rc = ResolvConfParser.Parse("domain c.example\nsearch a.example b.example\n");
        Assert.Equal(new[] { "a.example", "b.example" }, rc.Search);
    }

    [Fact]
    public void Warns_about_a_fourth_nameserver_unknown_keywords_and_bad_numbers()
    {
        var rc = ResolvConfParser.Parse("nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\nlookup file bind\noptions ndots:x\n");
        Assert.Equal(4, rc.Nameservers.Count);
        Assert.Collection(rc.Warnings,
            w => Assert.Equal((4, true), (w.LineNumber, w.Message.Contains("first 3"))),
            w => Assert.Equal((5, true), (w.LineNumber, w.Message.Contains("unknown keyword 'lookup'"))),
            w => Assert.Equal((6, true), (w.LineNumber, w.Message.Contains("no number"))));
    }

    [Fact]
    public void Lines_musl_would_skip_are_reported()
    {
        var longSearch = "search " + string.Join(' ', Enumerable.Range(0, 30).Select(i => $"domain{i:00}.example"));
        Assert.True(longSearch.Length > 254);
        var rc = ResolvConfParser.Parse(" nameserver 10.0.0.1\n" + longSearch + "\n");
        Assert.Contains(rc.Warnings, w => w.LineNumber == 1 && w.Message.Contains("whitespace"));
        Assert.Contains(rc.Warnings, w => w.LineNumber == 2 && w.Message.Contains("musl skips"));
    }

    [Fact]
    public void Empty_input_is_an_empty_file_not_an_error()
    {
        var rc = ResolvConfParser.Parse("");
        Assert.Empty(rc.Lines);
        Assert.Empty(rc.Nameservers);
        Assert.Equal(string.Empty, rc.ToText());
        Assert.True(rc.Musl.UsesDefaultNameserver);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "resolv.conf");
        var e = Assert.Throws<FileNotFoundException>(() => ResolvConfParser.ParseFile(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Input_that_is_neither_text_nor_a_file_is_an_error_not_an_empty_config()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ResolvConfInput.Load("no-such-resolv.conf", Path.GetTempPath()));
        Assert.Contains("no-such-resolv.conf", e.Message);
        Assert.Equal(new[] { "x.example" }, ResolvConfInput.Load("search x.example", "/").Search);
    }
}
