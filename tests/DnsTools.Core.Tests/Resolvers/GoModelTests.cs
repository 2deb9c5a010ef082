using DnsTools.Core.Resolvers;
using static DnsTools.Core.Tests.Resolvers.SeedScenarioTests;

namespace DnsTools.Core.Tests.Resolvers;

/// <summary>
/// Go's pure resolver: src/net/dnsclient_unix.go (nameList, goLookupIPCNAME, tryOneName, exchange).
/// Expected values from that source and research/resolver-wire-behaviour.md §3, §4.3 (Go 1.19.8 lab).
/// </summary>
public class GoModelTests
{
    [Fact]
    public void A_silent_AAAA_costs_attempts_times_timeout_and_A_still_wins()
    {
        // research §4.3: "If AAAA never answers: 2 × 5 = 10 s, still success with A."
        var plan = Plan("go-1.22", "nameserver 10.0.0.1\n", "x.example", "AAAA * -> no answer");
        Assert.Equal(10000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(3, plan.SocketCount);
    }

    [Fact]
    public void Enough_dots_puts_the_bare_name_first_then_the_search_list()
    {
        var plan = Plan("go-1.22", PodResolvConf, "a.b.c.d.e.example", "* -> NXDOMAIN");
        Assert.Equal("a.b.c.d.e.example.", plan.Candidates[0]);
        Assert.Equal(4, plan.Candidates.Count);
        Assert.Equal(8, plan.QueryCount);
        Assert.Equal(LookupResult.NoName, plan.Result);
        Assert.Equal(new[] { "x.example." }, Plan("go-1.22", PodResolvConf, "x.example.").Candidates);
    }

    [Fact]
    public void Nxdomain_ends_a_lane_at_once_but_servfail_tries_the_next_server()
    {
        var conf = "nameserver 10.0.0.1\nnameserver 10.0.0.2\n";
        Assert.Equal(2, Plan("go-1.22", conf, "x.example", "@10.0.0.1 * -> NXDOMAIN").QueryCount);
        var sf = Plan("go-1.22", conf, "x.example", "@10.0.0.1 * -> SERVFAIL");
        Assert.Equal(4, sf.QueryCount);
        Assert.Equal(LookupResult.Success, sf.Result);
        Assert.Contains(sf.Queries, q => q.Reason == QueryReason.NextServer);
    }

    [Fact]
    public void Single_request_waits_for_A_before_AAAA()
    {
        var plan = Plan("go-1.22", "nameserver 10.0.0.1\noptions single-request-reopen\n", "x.example", "A * -> answer after 30ms");
        Assert.Equal(new double[] { 0, 30 }, plan.Queries.Select(q => q.SendTime.TotalMilliseconds));
        Assert.Equal(QueryReason.AfterOtherType, plan.Queries[1].Reason);
    }

    [Fact]
    public void Truncated_UDP_goes_to_TCP_with_a_new_socket_and_use_vc_starts_there()
    {
        var tc = Plan("go-1.22", "nameserver 10.0.0.1\n", "big.example", "A big.example -> truncated");
        Assert.Equal(3, tc.QueryCount);
        Assert.Equal(3, tc.SocketCount);
        Assert.Single(tc.Queries, q => q.Transport == DnsTransport.Tcp && q.Reason == QueryReason.TcpAfterTruncation);
        // The lanes run concurrently: both first sends come before A's TCP retry at the same instant.
        Assert.Equal(new[] { "A Udp", "AAAA Udp", "A Tcp" }, tc.Queries.Select(q => $"{q.Type} {q.Transport}"));
        var vc = Plan("go-1.22", "nameserver 10.0.0.1\noptions use-vc\n", "x.example", "* -> answer");
        Assert.All(vc.Queries, q => Assert.Equal(DnsTransport.Tcp, q.Transport));
    }

    [Fact]
    public void Without_nameservers_Go_uses_both_loopback_addresses()
    {
        var plan = Plan("go-1.22", "search corp.local\n", "x.example.", "@127.0.0.1 * -> no answer");
        Assert.Equal(new[] { "127.0.0.1", "::1" }, plan.Queries.Where(q => q.Type == DnsQueryType.A).Select(q => q.Server));
    }

    [Fact]
    public void An_uncapped_attempts_value_is_cut_off_with_a_note()
    {
        // dnsconfig_unix.go: attempts has a minimum of 1 and no maximum.
        var plan = Plan("go-1.22", "nameserver 10.0.0.1\noptions attempts:100000000\n", "x.example", "* -> SERVFAIL");
        Assert.Equal(LookupResult.Hang, plan.Result);
        Assert.Equal(5000, plan.QueryCount);
        Assert.Contains(plan.Notes, n => n.Contains("cut off"));
    }
}
