using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Resolvers;

public class ResolverSpecTests
{
    [Theory]
    [InlineData("musl-1.2.3", ResolverFamily.Musl, "1.2.3")]
    [InlineData("musl 1.1.12", ResolverFamily.Musl, "1.1.12")]
    [InlineData("glibc-2.36", ResolverFamily.Glibc, "2.36")]
    [InlineData("GLIBC-2.17", ResolverFamily.Glibc, "2.17")]
    [InlineData("go-1.22", ResolverFamily.Go, "1.22")]
    [InlineData("golang1.19", ResolverFamily.Go, "1.19")]
    [InlineData("musl", ResolverFamily.Musl, "1.2.3")]
    [InlineData("glibc", ResolverFamily.Glibc, "2.36")]
    public void Parses_family_and_version(string text, ResolverFamily family, string version)
    {
        var spec = ResolverSpec.Parse(text);
        Assert.Equal(family, spec.Family);
        Assert.Equal(Version.Parse(version), spec.Version);
    }

    [Theory]
    [InlineData("uclibc-1.0")]
    [InlineData("bionic")]
    [InlineData("musl-2.0")]
    [InlineData("glibc-2.12")]
    [InlineData("go-2.0")]
    [InlineData("")]
    [InlineData("musl-1.2.3-r4 extra")]
    public void Rejects_what_it_does_not_model_with_a_clear_message(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ResolverSpec.Parse(text));
        Assert.Matches("musl|glibc|Go", e.Message);
    }

    [Fact]
    public void Round_trips_as_text()
        => Assert.Equal("glibc-2.36", ResolverSpec.Parse("glibc 2.36").ToString());
}

public class ServerBehaviorTests
{
    [Fact]
    public void Reads_type_pattern_outcome_and_delay()
    {
        var r = ServerRule.Parse("AAAA * -> SERVFAIL after 1700ms");
        Assert.Equal((DnsQueryType?)DnsQueryType.AAAA, r.Type);
        Assert.Equal("*", r.Pattern);
        Assert.Equal(ServerResponseKind.ServFail, r.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(1700), r.Delay);
        Assert.Null(r.Server);
        Assert.Equal(TimeSpan.FromSeconds(1.5), ServerRule.Parse("x.example -> answer after 1.5s").Delay);
        Assert.Equal("127.0.0.2", ServerRule.Parse("@127.0.0.2 * -> no answer").Server);
    }

    [Theory]
    [InlineData("* -> answer", ServerResponseKind.Answer)]
    [InlineData("* -> NOERROR", ServerResponseKind.Answer)]
    [InlineData("* -> nxdomain", ServerResponseKind.NxDomain)]
    [InlineData("* -> NODATA", ServerResponseKind.NoData)]
    [InlineData("* -> REFUSED", ServerResponseKind.Refused)]
    [InlineData("* -> no answer", ServerResponseKind.NoAnswer)]
    [InlineData("* -> timeout", ServerResponseKind.NoAnswer)]
    [InlineData("* -> truncated", ServerResponseKind.Truncated)]
    public void Knows_the_outcomes(string text, ServerResponseKind kind) => Assert.Equal(kind, ServerRule.Parse(text).Kind);

    [Theory]
    [InlineData("AAAA * SERVFAIL")]
    [InlineData("* -> explode")]
    [InlineData("MX * -> answer")]
    public void Rejects_unreadable_rules_naming_the_syntax(string text)
    {
        var e = Assert.Throws<FormatException>(() => ServerRule.Parse(text));
        Assert.Matches("Cannot read server behaviour|Unknown outcome", e.Message);
    }

    [Fact]
    public void The_most_specific_rule_wins_whatever_the_order()
    {
        // The seed example: the search expansions' AAAA queries must get NXDOMAIN, not the SERVFAIL of 'AAAA *'.
        var b = ServerBehavior.Parse(new[] { "AAAA * -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN" });
        Assert.Equal(ServerResponseKind.NxDomain, b.Respond("elink.spic.com.cn.cluster.local.", DnsQueryType.AAAA, "10.0.0.1", DnsTransport.Udp, false).Kind);
        Assert.Equal(ServerResponseKind.ServFail, b.Respond("elink.spic.com.cn.", DnsQueryType.AAAA, "10.0.0.1", DnsTransport.Udp, false).Kind);
        Assert.Equal(ServerResponseKind.Answer, b.Respond("elink.spic.com.cn.", DnsQueryType.A, "10.0.0.1", DnsTransport.Udp, false).Kind);
        var exact = ServerBehavior.Parse(new[] { "*.example -> NXDOMAIN", "www.example -> answer" });
        Assert.Equal(ServerResponseKind.Answer, exact.Respond("WWW.example.", DnsQueryType.A, "x", DnsTransport.Udp, false).Kind);
    }

    [Fact]
    public void Truncation_applies_to_udp_only_and_races_only_to_parallel_udp_queries()
    {
        var b = ServerBehavior.Parse(new[] { "A big.example -> truncated", "AAAA * -> drop if parallel" });
        Assert.Equal(ServerResponseKind.Truncated, b.Respond("big.example", DnsQueryType.A, "s", DnsTransport.Udp, false).Kind);
        Assert.Equal(ServerResponseKind.Answer, b.Respond("big.example", DnsQueryType.A, "s", DnsTransport.Tcp, false).Kind);
        Assert.Equal(ServerResponseKind.NoAnswer, b.Respond("x.example", DnsQueryType.AAAA, "s", DnsTransport.Udp, true).Kind);
        Assert.Equal(ServerResponseKind.Answer, b.Respond("x.example", DnsQueryType.AAAA, "s", DnsTransport.Udp, false).Kind);
    }

    [Fact]
    public void Several_rules_fit_in_one_string()
        => Assert.Equal(2, ServerBehavior.Parse(new[] { "AAAA * -> SERVFAIL; *.cluster.local -> NXDOMAIN" }).Rules.Count);
}
