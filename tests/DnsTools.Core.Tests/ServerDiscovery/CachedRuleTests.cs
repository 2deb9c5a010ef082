using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Lab;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;
using Xunit;

namespace DnsTools.Core.Tests.ServerDiscovery;

/// <summary>
/// "then cached": a caching resolver (unbound, knot-resolver) answers the first query of a name after its
/// upstream's delay and the later ones at once from its cache. The grammar, the plans, the lab server and
/// discovery all take it.
/// </summary>
public sealed class CachedRuleTests
{
    private const string PodConf = "search tke-test.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5";
    private static readonly string[] Seed = { "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached 5s", "*.cluster.local -> NXDOMAIN" };

    private static QueryPlan Plan(string resolver, params string[] rules)
        => ResolverModel.For(resolver).Plan("elink.spic.com.cn", ResolvConfParser.Parse(PodConf), ServerBehavior.Parse(rules));

    [Theory]
    [InlineData("AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached 5s", 1700, 5000.0)]
    [InlineData("* -> NODATA after 0.25s then cached for 300ms", 250, 300.0)]
    [InlineData("A x.example -> answer after 80ms THEN CACHED", 80, null)]
    public void The_grammar_reads_then_cached_with_and_without_a_duration(string text, double delayMs, double? keptMs)
    {
        var rule = ServerRule.Parse(text);
        Assert.True(rule.Cached);
        Assert.Equal(delayMs, rule.DelayMs);
        Assert.Equal(keptMs, rule.CachedForMs);
        Assert.False(ServerRule.Parse("AAAA * -> SERVFAIL after 1700ms").Cached);
    }

    [Theory]
    [InlineData("AAAA * -> SERVFAIL then cached", "needs a first reply that waits")]
    [InlineData("AAAA * -> no answer after 1s then cached", "needs a reply to cache")]
    [InlineData("AAAA * -> SERVFAIL after 1s then cached 5", "Unknown outcome")]
    public void A_then_cached_rule_that_cannot_mean_anything_is_refused_naming_the_rule(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => ServerRule.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Musl_meets_the_cached_SERVFAIL_on_each_resend_and_still_gives_up_after_5_s()
    {
        var cached = Plan("musl-1.2.3", Seed);
        var uncached = Plan("musl-1.2.3", "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN");
        Assert.Equal(LookupResult.TryAgain, cached.Result);
        Assert.Equal(5000, cached.TotalTime.TotalMilliseconds);
        var bare = cached.Queries.Where(q => q.Name == "elink.spic.com.cn." && q.Type == DnsQueryType.AAAA).ToArray();
        // Only the first waits for the upstream; every resend (res_msend.c: a SERVFAIL is re-sent at once)
        // meets the cache, so musl sends more queries than against a server slow every time.
        Assert.Equal(1700, bare[0].ResponseTime!.Value.TotalMilliseconds);
        Assert.All(bare.Skip(1), q => Assert.Equal(q.SendTime, q.ResponseTime));
        Assert.True(cached.QueryCount > uncached.QueryCount, $"{cached.QueryCount} vs {uncached.QueryCount}");
    }

    [Theory]
    [InlineData("glibc-2.36", 1700)]
    [InlineData("go-1.22", 1700)]
    public void Glibc_and_Go_take_1_7_s_when_the_repeat_is_cached(string resolver, double totalMs)
    {
        var plan = Plan(resolver, Seed);
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(totalMs, plan.TotalTime.TotalMilliseconds);
        // Go asks the AAAA again after the SERVFAIL (its attempts): against a server slow every time that costs 3.4 s.
        if (resolver.StartsWith("go", StringComparison.Ordinal))
            Assert.Equal(3400, Plan(resolver, "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN").TotalTime.TotalMilliseconds);
    }

    [Fact]
    public void A_cache_that_expires_makes_the_next_query_wait_again()
    {
        var behavior = ServerBehavior.Parse(new[] { "AAAA x.example -> SERVFAIL after 100ms then cached 1s" });
        var cache = new ServerCache();
        TimeSpan At(double ms) => behavior.Respond("x.example", DnsQueryType.AAAA, "s", DnsTransport.Udp, false, cache, TimeSpan.FromMilliseconds(ms)).Delay;
        Assert.Equal(100, At(0).TotalMilliseconds);
        Assert.Equal(60, At(40).TotalMilliseconds);     // joins the pending query
        Assert.Equal(0, At(500).TotalMilliseconds);     // from the cache
        Assert.Equal(0, At(1099).TotalMilliseconds);
        Assert.Equal(100, At(1100).TotalMilliseconds);  // kept 1 s after the first reply (at 100 ms)
        // Another name, type or server is another cache entry; without a cache every reply is a first one.
        Assert.Equal(100, behavior.Respond("x.example", DnsQueryType.AAAA, "other", DnsTransport.Udp, false, cache, TimeSpan.FromMilliseconds(1150)).Delay.TotalMilliseconds);
        Assert.Equal(100, behavior.Respond("x.example", DnsQueryType.AAAA, "s", DnsTransport.Udp, false).Delay.TotalMilliseconds);
    }

    private static (string Rcode, double Ms) Ask(IPEndPoint server, string name, ushort type)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Client.ReceiveTimeout = 3000;
        var query = DnsWire.BuildQuery(0x4242, name, type);
        var watch = Stopwatch.StartNew();
        udp.Send(query, query.Length, server);
        IPEndPoint? from = null;
        var reply = udp.Receive(ref from);
        return (((DnsRcode)(reply[3] & 0x0f)).ToString(), watch.Elapsed.TotalMilliseconds);
    }

    [Fact]
    public void The_lab_server_answers_the_first_query_late_and_the_next_ones_from_its_cache_until_it_expires()
    {
        var rules = new[] { "AAAA slow.example -> SERVFAIL after 300ms then cached 1s" };
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(rules), "127.0.0.1") });
        var first = Ask(lab.EndPoint, "slow.example.", DnsWire.TypeAaaa);
        var second = Ask(lab.EndPoint, "slow.example.", DnsWire.TypeAaaa);
        Assert.Equal("ServFail", first.Rcode);
        Assert.Equal("ServFail", second.Rcode);
        Assert.InRange(first.Ms, 300, 3000);
        // The second is answered from the cache: well under the rule's delay (the first's own, measured the same way).
        Assert.True(second.Ms < first.Ms / 3, $"first {first.Ms:0} ms, second {second.Ms:0} ms");
        Thread.Sleep(1300);
        var expired = Ask(lab.EndPoint, "slow.example.", DnsWire.TypeAaaa);
        Assert.InRange(expired.Ms, 300, 3000);
    }

    [Fact]
    public void Discovery_learns_slow_then_cached_from_the_first_sample_against_the_later_ones()
    {
        var rules = new[] { "AAAA elink.spic.com.cn -> SERVFAIL after 200ms then cached", "*.cluster.local -> NXDOMAIN" };
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(rules), "127.0.0.1") });
        var learned = ServerDiscoverer.Discover(new ServerDiscoveryOptions
        {
            Servers = new[] { lab.EndPoint },
            Names = new[] { "elink.spic.com.cn" },
            ResolvConf = ResolvConfParser.Parse(PodConf),
            Count = 3,
            Timeout = TimeSpan.FromSeconds(1),
            QueriesPerSecond = 200,
        });
        var aaaa = Assert.Single(learned.Rules, r => r.StartsWith("AAAA elink.spic.com.cn -> SERVFAIL after ", StringComparison.Ordinal));
        var rule = ServerRule.Parse(aaaa);
        Assert.True(rule.Cached, aaaa);
        Assert.InRange(rule.DelayMs, 200, 260);
        Assert.Contains(learned.Notes, n => n.Contains("a cache in the server", StringComparison.Ordinal));
        // A server slow every time is not learned as cached.
        using var slow = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(new[] { "AAAA x.example -> SERVFAIL after 100ms" }), "127.0.0.1") });
        var again = ServerDiscoverer.Discover(new ServerDiscoveryOptions { Servers = new[] { slow.EndPoint }, Names = new[] { "x.example." }, Count = 3, Timeout = TimeSpan.FromSeconds(1), QueriesPerSecond = 200 });
        Assert.DoesNotContain(again.Rules, r => ServerRule.Parse(r).Cached);
    }
}
