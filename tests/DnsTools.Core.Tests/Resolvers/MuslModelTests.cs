using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using static DnsTools.Core.Tests.Resolvers.SeedScenarioTests;

namespace DnsTools.Core.Tests.Resolvers;

/// <summary>
/// musl: src/network/lookup_name.c (name_from_dns_search, name_from_dns) and res_msend.c
/// (__res_msend_rc). Expected values from that source and research/resolver-wire-behaviour.md §1, §4.1.
/// </summary>
public class MuslModelTests
{
    [Fact]
    public void Retry_interval_is_timeout_over_attempts_and_only_unanswered_queries_are_resent()
    {
        // research §1.1 [LAB]: "attempts:5 timeout:3 gave resends every 600 ms".
        var plan = Plan("musl-1.2.3", "nameserver 10.0.0.1\noptions attempts:5 timeout:3\n", "slow.example", "AAAA slow.example -> no answer");
        var aaaa = plan.Queries.Where(q => q.Type == DnsQueryType.AAAA).Select(q => q.SendTime.TotalMilliseconds);
        Assert.Equal(new double[] { 0, 600, 1200, 1800, 2400 }, aaaa);
        Assert.Single(plan.Queries, q => q.Type == DnsQueryType.A);
        Assert.Equal(3000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.TryAgain, plan.Result);
        Assert.Equal(1, plan.SocketCount);
    }

    [Fact]
    public void Servfail_resends_share_a_budget_of_two_per_query_per_window()
    {
        // __res_msend_rc: servfail_retry = 2 * nqueries at every interval re-send.
        var plan = Plan("musl-1.2.3", "nameserver 10.0.0.1\noptions timeout:2 attempts:1\n", "sf.example", "* -> SERVFAIL after 100ms");
        Assert.Equal(2 + 4, plan.QueryCount);
        Assert.Equal(4, plan.Queries.Count(q => q.Reason == QueryReason.ResendAfterServfail));
        Assert.Contains(plan.Queries, q => q.Handling.Contains("budget"));
        Assert.Equal(2000, plan.TotalTime.TotalMilliseconds);
    }

    [Fact]
    public void Every_query_goes_to_every_nameserver_at_once()
    {
        var plan = Plan("musl-1.2.3", "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n", "x.example", "@10.0.0.1 * -> no answer");
        Assert.Equal(6, plan.QueryCount);
        Assert.All(plan.Queries, q => Assert.Equal(0, q.SendTime.TotalMilliseconds));
        Assert.Equal(1, plan.SocketCount);
        Assert.Equal(LookupResult.Success, plan.Result);
    }

    [Fact]
    public void Nodata_or_servfail_on_a_search_candidate_stops_the_search()
    {
        var nodata = Plan("musl-1.2.3", PodResolvConf, "db.example", "*.svc.cluster.local -> NODATA");
        Assert.Equal(2, nodata.QueryCount);
        Assert.Equal(LookupResult.NoName, nodata.Result);
        // 1.2.4+ returns EAI_NODATA for the same packets (lookup_name.c).
        Assert.Equal(LookupResult.NoData, Plan("musl-1.2.4", PodResolvConf, "db.example", "*.svc.cluster.local -> NODATA").Result);
    }

    [Fact]
    public void A_answer_with_AAAA_nxdomain_is_thrown_away_and_the_search_goes_on()
    {
        // research §1.3: "if A is NOERROR with data and AAAA is NXDOMAIN, the result is 0".
        var plan = Plan("musl-1.2.3", "nameserver 10.0.0.1\nsearch corp.local\noptions ndots:2\n", "half.example", "AAAA * -> NXDOMAIN");
        Assert.Equal(4, plan.QueryCount);
        Assert.Equal(LookupResult.NoName, plan.Result);
    }

    [Fact]
    public void Enough_dots_or_a_trailing_dot_means_the_bare_name_only()
    {
        Assert.Equal(new[] { "a.b.c.d.e.example." }, Plan("musl-1.2.3", PodResolvConf, "a.b.c.d.e.example").Candidates);
        Assert.Equal(new[] { "elink.spic.com.cn." }, Plan("musl-1.2.3", PodResolvConf, "elink.spic.com.cn.").Candidates);
        var twoDots = Plan("musl-1.2.3", PodResolvConf, "x..");
        Assert.Equal(0, twoDots.QueryCount);
        Assert.Equal(LookupResult.NoName, twoDots.Result);
    }

    [Fact]
    public void Before_1_1_3_no_search_and_the_first_reply_is_taken_whatever_its_rcode()
    {
        // research §1.6 / §4.4: 2 packets, success with A at 1.7 s (bminor/musl @01dc3f4f; no SERVFAIL re-send before 1.1.3).
        var plan = Plan("musl-1.1.2");
        Assert.Equal(2, plan.QueryCount);
        Assert.Equal(1700, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(new[] { DnsQueryType.A }, plan.AddressTypes);
    }

    [Fact]
    public void From_1_1_3_SERVFAIL_is_re_sent_even_before_the_search_list_existed()
    {
        // The real musl 1.1.12 (built from the tag) re-sends AAAA after each SERVFAIL and returns the A address at the timeout.
        var plan = Plan("musl-1.1.12");
        Assert.All(plan.Queries, q => Assert.Equal("elink.spic.com.cn.", q.Name));
        Assert.Contains(plan.Queries, q => q.Reason == QueryReason.ResendAfterServfail);
        Assert.Equal(5000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.Success, plan.Result);
    }

    [Fact]
    public void Before_1_1_13_A_and_AAAA_without_records_is_EAI_FAIL_after_it_EAI_NONAME()
    {
        // Real builds: 1.1.12 returns -4 (EAI_FAIL), 1.1.19 -2 (EAI_NONAME), 1.2.4 -5 (EAI_NODATA).
        Assert.Equal(LookupResult.Fail, Plan("musl-1.1.12", "nameserver 10.0.0.1\n", "x.example", "* -> NODATA").Result);
        Assert.Equal(LookupResult.NoName, Plan("musl-1.1.19", "nameserver 10.0.0.1\n", "x.example", "* -> NODATA").Result);
        Assert.Equal(LookupResult.NoData, Plan("musl-1.2.4", "nameserver 10.0.0.1\n", "x.example", "* -> NODATA").Result);
    }

    [Fact]
    public void Before_1_1_13_resolv_conf_is_read_only_up_to_the_third_nameserver()
    {
        // The real 1.1.12: options after three nameservers are never read (5 s, 2 attempts); 1.1.19 reads them.
        const string conf = "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions timeout:2 attempts:1\n";
        var old = ResolverModel.For("musl-1.1.12").SettingsFor(ResolvConfParser.Parse(conf));
        Assert.Equal((5, 2), (old.TimeoutSeconds, old.Attempts));
        var newer = ResolverModel.For("musl-1.1.19").SettingsFor(ResolvConfParser.Parse(conf));
        Assert.Equal((2, 1), (newer.TimeoutSeconds, newer.Attempts));
    }

    [Fact]
    public void Before_1_2_1_the_A_answer_wins_after_the_full_timeout_from_1_2_1_the_lookup_fails()
    {
        // research §4.4: the A-only rcode check gives success (A) at 5.0 s with the same 12 packets;
        // the real 1.2.1 (commit 5cf1ac24) already fails with EAI_AGAIN, the real 1.1.24 succeeds.
        var plan = Plan("musl-1.2.0");
        Assert.Equal(12, plan.QueryCount);
        Assert.Equal(5000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(LookupResult.TryAgain, Plan("musl-1.2.1").Result);
    }

    [Fact]
    public void From_1_2_4_a_truncated_answer_is_retried_over_TCP_for_that_query_only()
    {
        var old = Plan("musl-1.2.3", "nameserver 10.0.0.1\n", "big.example", "A big.example -> truncated");
        Assert.Equal(2, old.QueryCount);
        Assert.Equal(new[] { DnsQueryType.AAAA }, old.AddressTypes);
        var plan = Plan("musl-1.2.4", "nameserver 10.0.0.1\n", "big.example", "A big.example -> truncated");
        var tcp = Assert.Single(plan.Queries, q => q.Transport == DnsTransport.Tcp);
        Assert.Equal((DnsQueryType.A, QueryReason.TcpAfterTruncation), (tcp.Type, tcp.Reason));
        Assert.NotEqual(plan.Queries[0].Socket, tcp.Socket);
        Assert.Equal(new[] { DnsQueryType.A, DnsQueryType.AAAA }, plan.AddressTypes);
    }

    [Fact]
    public void Musl_ignores_glibc_only_options()
    {
        var plan = Plan("musl-1.2.3", "nameserver 10.0.0.1\noptions single-request-reopen use-vc\n", "x.example", "* -> answer");
        Assert.All(plan.Queries, q => Assert.Equal(DnsTransport.Udp, q.Transport));
        Assert.Equal(1, plan.SocketCount);
        Assert.Contains(plan.Notes, n => n.Contains("single-request-reopen"));
    }
}
