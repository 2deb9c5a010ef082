using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Resolvers;

/// <summary>
/// Names and search domains no query can carry (an empty or 64-byte label, a candidate over 255 bytes): each
/// model does what its libc does (measured with the real musl of Alpine 3.13/3.17/3.18 and glibc 2.36 — see the
/// models' comments), and the probe, which runs the same models on real sockets, agrees and never throws.
/// </summary>
public class UnencodableNameTests
{
    private static readonly string Label64 = new('x', 64);

    private static DnsTools.Core.ResolvConf.ResolvConf Conf(string search, string options = "options timeout:1 attempts:1\n")
        => ResolvConfParser.Parse($"search {search}\nnameserver 127.0.0.1\n{options}");

    private static string Names(QueryPlan plan) => string.Join(" ", plan.Queries.Select(q => q.Name).Distinct());

    [Fact]
    public void Musl_before_1_2_4_fails_the_lookup_at_a_search_domain_with_a_64_byte_label()
    {
        var plan = ResolverModel.For("musl-1.2.3").Plan("api", Conf($"{Label64}.example ok.example"));
        Assert.Equal(LookupResult.NoName, plan.Result);
        Assert.Empty(plan.Queries);
        Assert.Contains(plan.Notes, n => n.Contains("EAI_NONAME"));
    }

    [Fact]
    public void Musl_1_2_4_skips_that_candidate_and_goes_on()
    {
        var plan = ResolverModel.For("musl-1.2.4").Plan("api", Conf($"{Label64}.example ok.example"));
        Assert.Equal("api.ok.example.", Names(plan));
        Assert.Equal(LookupResult.Success, plan.Result);
    }

    [Fact]
    public void Glibc_stops_the_search_list_there_and_tries_the_name_as_is()
    {
        var plan = ResolverModel.For("glibc-2.36").Plan("api", Conf($"{Label64}.example ok.example"), ServerBehavior.Parse(new[] { "* -> NXDOMAIN" }));
        Assert.Equal("api.", Names(plan));
        Assert.Equal(LookupResult.NoName, plan.Result);
    }

    [Fact]
    public void Glibc_stops_at_a_candidate_over_255_bytes()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 60), 3)); // 182 bytes
        var plan = ResolverModel.For("glibc-2.36").Plan(name, Conf($"{string.Join('.', Enumerable.Repeat(new string('b', 50), 2))} ok.example", "options ndots:5\n"),
            ServerBehavior.Parse(new[] { "* -> NXDOMAIN" }));
        Assert.Equal(name + ".", Names(plan));
    }

    [Fact]
    public void Go_skips_a_candidate_it_cannot_pack()
    {
        var plan = ResolverModel.For("go-1.22").Plan("api", Conf($"{Label64}.example ok.example"));
        Assert.Equal("api.ok.example.", Names(plan));
        Assert.Equal(LookupResult.Success, plan.Result);
    }

    [Theory]
    [InlineData("musl-1.2.3")]
    [InlineData("musl-1.2.5")]
    [InlineData("glibc-2.36")]
    [InlineData("go-1.22")]
    public void A_name_with_an_empty_or_64_byte_label_sends_nothing_and_is_not_found(string resolver)
    {
        foreach (var name in new[] { "a..b", $"{Label64}.example", $"{Label64}.example." })
        {
            var plan = ResolverModel.For(resolver).Plan(name, Conf("ok.example"));
            Assert.Equal(LookupResult.NoName, plan.Result);
            Assert.Empty(plan.Queries);
        }
    }

    [Fact]
    public void Go_validates_names_like_isDomainName()
    {
        Assert.True(GoResolverModel.IsDomainName("api.default.svc.cluster.local."));
        Assert.True(GoResolverModel.IsDomainName("_srv._tcp.example"));
        Assert.False(GoResolverModel.IsDomainName("a..b"));
        Assert.False(GoResolverModel.IsDomainName("-a.example"));
        Assert.False(GoResolverModel.IsDomainName("a-.example"));
        Assert.False(GoResolverModel.IsDomainName("123.456"));
        Assert.False(GoResolverModel.IsDomainName(new string('a', 64)));
        Assert.True(GoResolverModel.IsDomainName(new string('a', 63)));
    }

    [Theory]
    [InlineData("musl-1.2.3")]
    [InlineData("musl-1.2.4")]
    [InlineData("glibc-2.36")]
    [InlineData("go-1.22")]
    public void The_probe_sends_what_the_plan_says_and_never_throws(string resolver)
    {
        var behavior = ServerBehavior.Parse(new[] { "* -> NXDOMAIN" });
        using var server = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(behavior, "127.0.0.1") });
        foreach (var (name, search) in new[] { ("api", $"{Label64}.example ok.example"), ("a..b", "ok.example"), ("api", ". ok.example") })
        {
            var conf = Conf(search);
            var plan = ResolverModel.For(resolver).Plan(name, conf, behavior);
            var lookup = DnsProbe.Run(name, conf, ResolverSpec.Parse(resolver), new DnsProbeOptions { Servers = new[] { server.EndPoint }, MaxLookupTime = TimeSpan.FromSeconds(10) });
            Assert.Equal(Names(plan), string.Join(" ", lookup.Queries.Select(q => q.Name).Distinct()));
            Assert.Equal(plan.ResultCode, lookup.Outcome);
        }
    }
}
