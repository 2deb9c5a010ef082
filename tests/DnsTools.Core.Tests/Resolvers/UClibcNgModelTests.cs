using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using static DnsTools.Core.Tests.Resolvers.SeedScenarioTests;

namespace DnsTools.Core.Tests.Resolvers;

public class UClibcNgModelTests
{
    private static string Row(PlannedQuery q) => $"{q.SendTime.TotalMilliseconds} {q.Socket} {q.Type} {q.Name}";

    [Fact]
    public void The_incident_AAAA_for_the_name_then_for_each_search_name_then_A_each_from_its_own_socket()
    {
        // The real busybox:1.38.0-uclibc wget sends exactly this (tests/Pester/Conformance, k8s-default).
        var plan = Plan("uclibc-ng");
        Assert.Equal(new[]
        {
            "0 1 AAAA elink.spic.com.cn.",
            "1700 2 AAAA elink.spic.com.cn.tke-test.svc.cluster.local.",
            "1700 3 AAAA elink.spic.com.cn.svc.cluster.local.",
            "1700 4 AAAA elink.spic.com.cn.cluster.local.",
            "1700 5 A elink.spic.com.cn.",
        }, plan.Queries.Select(Row));
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(new[] { DnsQueryType.A }, plan.AddressTypes);
        Assert.Equal(1700, plan.TotalTime.TotalMilliseconds);
    }

    [Fact]
    public void Only_the_first_option_word_is_read_so_ndots_then_timeout_keeps_5_s()
    {
        var late = ResolvConfParser.Parse("nameserver 10.0.0.1\noptions ndots:5 timeout:1\n").UClibcNg;
        Assert.Equal(5, late.TimeoutSeconds);
        Assert.Contains("timeout:1", late.IgnoredOptions);
        var first = ResolvConfParser.Parse("nameserver 10.0.0.1\noptions timeout:1 attempts:5\n").UClibcNg;
        Assert.Equal((1, 3), (first.TimeoutSeconds, first.Attempts));
        var twoLines = ResolvConfParser.Parse("nameserver 10.0.0.1\noptions timeout:1\noptions attempts:5\n").UClibcNg;
        Assert.Equal((1, 5), (twoLines.TimeoutSeconds, twoLines.Attempts));
    }

    [Fact]
    public void A_name_without_a_dot_tries_the_search_list_first_and_itself_last()
    {
        var plan = Plan("uclibc-ng", "nameserver 10.0.0.1\nsearch a.local b.local\n", "db", "* -> NXDOMAIN");
        Assert.Equal(new[] { "db.a.local.", "db.b.local.", "db." }, plan.Candidates);
        Assert.Equal(6, plan.QueryCount);
        Assert.Equal(LookupResult.NoName, plan.Result);
        Assert.Equal(6, plan.SocketCount);
    }

    [Fact]
    public void Silence_restarts_the_list_on_the_next_server_for_servers_times_attempts_passes()
    {
        var plan = Plan("uclibc-ng", "nameserver 10.0.0.1\nnameserver 10.0.0.2\noptions timeout:1\n", "x.example", "* -> no answer");
        // 2 servers × 3 attempts = 6 tries per type, AAAA then A, 1 s each; the A search starts on the server the AAAA search ended on.
        Assert.Equal(12, plan.QueryCount);
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.1" }, plan.Queries.Select(q => q.Server));
        Assert.Equal(12000, plan.TotalTime.TotalMilliseconds);
        Assert.Equal(LookupResult.NoName, plan.Result);
    }

    [Fact]
    public void No_data_ends_that_type_without_the_search_list_and_truncation_gets_no_TCP()
    {
        var plan = Plan("uclibc-ng", PodResolvConf, "big.example", "A big.example -> truncated", "AAAA big.example -> NODATA");
        Assert.Equal(new[] { "AAAA big.example.", "A big.example." }, plan.Queries.Select(q => $"{q.Type} {q.Name}"));
        Assert.All(plan.Queries, q => Assert.Equal(DnsTransport.Udp, q.Transport));
        Assert.Equal(LookupResult.NoName, plan.Result);
    }
}

public class TcpResetTests
{
    [Fact]
    public void Reset_is_an_outcome_over_TCP_and_no_answer_over_UDP()
    {
        var behaviour = ServerBehavior.Parse(new[] { "@127.0.0.1 * -> reset" });
        Assert.Equal(ServerResponseKind.Reset, behaviour.Respond("x.example", DnsQueryType.A, "127.0.0.1", DnsTransport.Tcp, false).Kind);
        Assert.Equal(ServerResponseKind.NoAnswer, behaviour.Respond("x.example", DnsQueryType.A, "127.0.0.1", DnsTransport.Udp, false).Kind);
    }

    [Fact]
    public void Glibc_reconnects_once_after_a_reset_then_moves_to_the_next_server_at_once()
    {
        // The real glibc 2.41 (busybox:glibc) and 2.36 do this (tests/Pester/Conformance, tcp-reset).
        var plan = SeedScenarioTests.Plan("glibc-2.41", "nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:1 use-vc\n", "rst.example", "@127.0.0.1 * -> reset");
        Assert.Equal(new[] { "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2" }, plan.Queries.Select(q => q.Server));
        Assert.Equal(3, plan.SocketCount);
        Assert.Equal(TimeSpan.Zero, plan.TotalTime);
        Assert.Equal(LookupResult.Success, plan.Result);
    }
}
