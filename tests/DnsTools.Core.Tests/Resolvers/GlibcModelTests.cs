using DnsTools.Core.Resolvers;
using static DnsTools.Core.Tests.Resolvers.SeedScenarioTests;

namespace DnsTools.Core.Tests.Resolvers;

/// <summary>
/// glibc: resolv/res_send.c (__res_context_send, send_dg, send_vc) and res_query.c
/// (__res_context_search, __res_context_query). Expected values from that source and
/// research/resolver-wire-behaviour.md §2, §4.2 (host glibc 2.36).
/// </summary>
public class GlibcModelTests
{
    [Fact]
    public void A_lost_AAAA_escalates_to_single_request_then_reopen_and_returns_A_after_three_timeouts()
    {
        // research §4.2 [LAB]: success with A after 15.015 s: t=0 A+AAAA; 5 s single-request (same port);
        // 10 s reopen (A and AAAA on new ports); 15 s give up on AAAA.
        var plan = Plan("glibc-2.36", PodResolvConf, "elink.spic.com.cn", "AAAA elink.spic.com.cn -> no answer", "*.cluster.local -> NXDOMAIN");
        Assert.Equal(15000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.Success, plan.Result);
        var bare = plan.Queries.Where(q => q.Name == "elink.spic.com.cn.").ToArray();
        Assert.Equal(new[] { "0 A", "0 AAAA", "5000 A", "5000 AAAA", "10000 A", "10000 AAAA" }, bare.Select(q => $"{q.SendTime.TotalMilliseconds} {q.Type}"));
        Assert.Equal(new[] { QueryReason.NextCandidate, QueryReason.NextCandidate, QueryReason.SingleRequestFallback, QueryReason.AfterOtherType, QueryReason.ReopenFallback, QueryReason.AfterOtherType },
            bare.Select(q => q.Reason));
        Assert.Equal(bare[0].Socket, bare[3].Socket);
        Assert.Equal(3, bare.Select(q => q.Socket).Distinct().Count());
    }

    [Fact]
    public void The_fallback_to_single_request_sticks_for_the_later_candidates()
    {
        // send_dg sets RES_SNGLKUP in the thread's _res: later candidates are sent one type at a time.
        var plan = Plan("glibc-2.36", "nameserver 10.0.0.1\nsearch a.local b.local\noptions ndots:2 timeout:1\n", "x.example",
            "AAAA x.example.a.local -> no answer", "*.local -> NXDOMAIN");
        var second = plan.Queries.Where(q => q.Name == "x.example.b.local.").ToArray();
        Assert.Equal(QueryReason.AfterOtherType, second[1].Reason);
    }

    [Fact]
    public void Per_server_timeout_is_retrans_shifted_by_the_server_index_and_divided_by_the_count()
    {
        // send_dg: seconds = retrans << ns; ns > 0: / nscount. 3 servers, 5 s: 5, 3, 6 s.
        var plan = Plan("glibc-2.36", "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions attempts:1\n", "dead.example", "* -> no answer");
        Assert.Equal(new double[] { 0, 5000, 8000 }, plan.Queries.Where(q => q.Type == DnsQueryType.A).Select(q => q.SendTime.TotalMilliseconds));
        Assert.Equal(14000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.TryAgain, plan.Result);
        Assert.Equal(QueryReason.NextServer, plan.Queries[2].Reason);
    }

    [Fact]
    public void Sockets_stay_open_across_tries_within_one_candidate()
    {
        var plan = Plan("glibc-2.36", "nameserver 10.0.0.1\noptions timeout:1 attempts:3\n", "dead.example", "* -> no answer");
        Assert.Equal(6, plan.QueryCount);
        Assert.Equal(1, plan.SocketCount);
        Assert.Equal(new[] { QueryReason.FirstTry, QueryReason.RetryAfterTimeout, QueryReason.RetryAfterTimeout }, plan.Queries.Where(q => q.Type == DnsQueryType.A).Select(q => q.Reason));
    }

    [Fact]
    public void Dotted_names_try_as_is_first_and_then_the_search_list()
    {
        var plan = Plan("glibc-2.36", PodResolvConf, "a.b.c.d.e.example", "*.example -> NXDOMAIN", "*.cluster.local -> NXDOMAIN");
        Assert.Equal("a.b.c.d.e.example.", plan.Candidates[0]);
        Assert.Equal(4, plan.Candidates.Count);
        Assert.Equal(LookupResult.NoName, plan.Result);
        Assert.Equal(new[] { "x.example." }, Plan("glibc-2.36", PodResolvConf, "x.example.").Candidates);
    }

    [Fact]
    public void Nodata_and_servfail_keep_the_search_going_and_a_timeout_ends_it_before_the_as_is_query()
    {
        var nodata = Plan("glibc-2.36", PodResolvConf + "options timeout:1\n", "db.example", "*.svc.cluster.local -> NODATA");
        Assert.Equal(6, nodata.QueryCount);
        Assert.Equal("db.example.cluster.local.", nodata.AnsweredName);
        var timeout = Plan("glibc-2.36", PodResolvConf + "options timeout:1\n", "db.example", "*.tke-test.svc.cluster.local -> no answer");
        // A timeout stops the search list; the name as is is still tried.
        Assert.Equal(new[] { "db.example.tke-test.svc.cluster.local.", "db.example." }, timeout.Queries.Select(q => q.Name).Distinct());
        Assert.Equal(2000, timeout.TotalTime.TotalMilliseconds);
    }

    [Fact]
    public void No_aaaa_from_2_36_sends_A_only()
    {
        // research §4.2 [LAB] no-aaaa: 4 A queries only, success at once.
        var conf = PodResolvConf + "options no-aaaa\n";
        var plan = Plan("glibc-2.36", conf);
        Assert.Equal(4, plan.QueryCount);
        Assert.All(plan.Queries, q => Assert.Equal(DnsQueryType.A, q.Type));
        Assert.Equal(0, plan.TotalTime.TotalMilliseconds);
        var old = Plan("glibc-2.35", conf);
        Assert.Equal(8, old.QueryCount);
        Assert.Contains(old.Notes, n => n.Contains("no-aaaa"));
    }

    [Fact]
    public void No_tld_query_skips_the_bare_dotless_name()
    {
        var conf = "nameserver 10.0.0.1\nsearch corp.local\noptions no-tld-query\n";
        Assert.Equal(new[] { "printer.corp.local." }, Plan("glibc-2.36", conf, "printer").Candidates);
        Assert.Equal(new[] { "printer.corp.local.", "printer." }, Plan("glibc-2.36", "nameserver 10.0.0.1\nsearch corp.local\n", "printer").Candidates);
    }

    [Fact]
    public void Truncation_repeats_both_queries_over_one_TCP_connection()
    {
        var plan = Plan("glibc-2.36", "nameserver 10.0.0.1\n", "big.example", "A big.example -> truncated");
        var tcp = plan.Queries.Where(q => q.Transport == DnsTransport.Tcp).ToArray();
        Assert.Equal(2, tcp.Length);
        Assert.Equal(tcp[0].Socket, tcp[1].Socket);
        Assert.All(tcp, q => Assert.Equal(QueryReason.TcpAfterTruncation, q.Reason));
    }

    [Fact]
    public void Use_vc_sends_over_TCP_and_a_silent_server_hangs_the_lookup()
    {
        var ok = Plan("glibc-2.36", "nameserver 10.0.0.1\noptions use-vc\n", "x.example", "* -> answer");
        Assert.All(ok.Queries, q => Assert.Equal(DnsTransport.Tcp, q.Transport));
        var hung = Plan("glibc-2.36", "nameserver 10.0.0.1\noptions use-vc\n", "x.example", "* -> no answer");
        Assert.Equal(LookupResult.Hang, hung.Result);
    }

    [Fact]
    public void Single_request_A_servfail_retries_at_once_from_2_36_and_waits_before()
    {
        // Measured with Debian 12 glibc 2.36 (conformance cell single-request-a-servfail): A re-sent on a new
        // socket right after its SERVFAIL, AAAA never sent; the stored 2.34 send_dg waits for the timeout.
        var conf = "nameserver 10.0.0.1\noptions timeout:1 attempts:2 single-request\n";
        var now = Plan("glibc-2.36", conf, "sf.example", "A sf.example -> SERVFAIL after 10ms");
        Assert.Equal(20, now.TotalTime.TotalMilliseconds);
        Assert.Equal(2, now.SocketCount);
        Assert.All(now.Queries, q => Assert.Equal(DnsQueryType.A, q.Type));
        var before = Plan("glibc-2.35", conf, "sf.example", "A sf.example -> SERVFAIL after 10ms");
        Assert.Equal(2000, before.TotalTime.TotalMilliseconds);
    }

    [Fact]
    public void A_dropped_parallel_AAAA_costs_one_timeout_then_single_request_succeeds()
    {
        var plan = Plan("glibc-2.36", "nameserver 10.0.0.1\noptions timeout:1 attempts:2\n", "race.example", "AAAA * -> drop if parallel", "A race.example -> answer after 20ms");
        Assert.Equal(1020, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(ServerResponseKind.NoAnswer, plan.Queries[1].Response);
        Assert.Equal(ServerResponseKind.Answer, plan.Queries[3].Response);
    }
}
