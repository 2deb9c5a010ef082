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
    // What users copy: Alpine's loader and apk, Debian's and RPM's package versions, Go's version string.
    [InlineData("musl-1.2.4_git20230717", ResolverFamily.Musl, "1.2.4")]
    [InlineData("musl-1.2.4-r0", ResolverFamily.Musl, "1.2.4")]
    [InlineData("musl-1.2.4_git20230717-r4", ResolverFamily.Musl, "1.2.4")]
    [InlineData("glibc-2.36-9+deb12u14", ResolverFamily.Glibc, "2.36")]
    [InlineData("libc6 2.36-9+deb12u14", ResolverFamily.Glibc, "2.36")]
    [InlineData("glibc-2.17-326.el7_9", ResolverFamily.Glibc, "2.17")]
    [InlineData("glibc-2.39-0ubuntu8.4", ResolverFamily.Glibc, "2.39")]
    [InlineData("glibc-2.41", ResolverFamily.Glibc, "2.41")]
    [InlineData("go1.22.3", ResolverFamily.Go, "1.22")]
    [InlineData("uclibc-ng-1.0.50", ResolverFamily.UClibcNg, "1.0.50")]
    [InlineData("uClibc-ng", ResolverFamily.UClibcNg, "1.0.52")]
    [InlineData("uclibc-ng-1.0.x", ResolverFamily.UClibcNg, "1.0.52")]
    [InlineData("musl-1.1.x", ResolverFamily.Musl, "1.1.24")]
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
    [InlineData("musl-2.0.0")]
    [InlineData("glibc-2.12")]
    [InlineData("go-2.0")]
    [InlineData("")]
    [InlineData("musl-1.2.3-r4 extra")]
    [InlineData("musl-1.2")]
    [InlineData("musl-0.9.0")]
    [InlineData("musl-1.1.30")]
    [InlineData("uclibc-ng-0.9.33")]
    [InlineData("glibc-2.36.1")]
    [InlineData("musl-99999999999999999.1.1")]
    public void Rejects_what_it_does_not_model_with_a_clear_message_naming_the_input(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ResolverSpec.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
        Assert.Matches("musl|glibc|go|uclibc-ng", e.Message);
    }

    [Fact]
    public void An_old_release_is_refused_naming_the_first_modelled_one()
        => Assert.Contains("musl-1.1.0", Assert.Throws<ArgumentException>(() => ResolverSpec.Parse("musl-0.9.0")).Message);

    [Theory]
    [InlineData("musl-1.3.0", "musl-1.2.5")]
    [InlineData("musl-1.2.6", "musl-1.2.5")]
    [InlineData("glibc-2.50", "glibc-2.42")]
    [InlineData("uclibc-ng-1.0.60", "uclibc-ng-1.0.52")]
    public void A_newer_release_is_accepted_with_a_warning_naming_the_behaviour_used(string text, string used)
    {
        var spec = ResolverSpec.Parse(text);
        Assert.NotNull(spec.Warning);
        Assert.Contains(used, spec.Warning);
    }

    [Fact]
    public void A_known_release_has_no_warning() => Assert.Null(ResolverSpec.Parse("musl-1.2.5").Warning);

    [Fact]
    public void Known_names_list_the_families_then_their_releases_each_of_which_parses_without_warning()
    {
        Assert.Equal(new[] { "musl", "glibc", "go", "uclibc-ng" }, ResolverSpec.KnownNames.Take(4));
        Assert.Contains("musl-1.1.12", ResolverSpec.KnownNames);
        Assert.Contains("glibc-2.41", ResolverSpec.KnownNames);
        Assert.Contains("uclibc-ng-1.0.52", ResolverSpec.KnownNames);
        foreach (var name in ResolverSpec.KnownNames.Skip(4))
        {
            var spec = ResolverSpec.Parse(name);
            Assert.Null(spec.Warning);
            Assert.Equal(name, spec.ToString());
        }
        Assert.All(ResolverSpec.KnownNames.Take(4), n => Assert.Null(ResolverSpec.Parse(n).Warning));
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
