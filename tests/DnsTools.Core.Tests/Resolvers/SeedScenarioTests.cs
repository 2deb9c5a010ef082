using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Resolvers;

/// <summary>
/// The incident (shared/seed): search tke-test.svc.cluster.local svc.cluster.local cluster.local,
/// ndots:5, search expansions NXDOMAIN, the bare name's AAAA SERVFAIL 1.7 s after each query.
/// Expected values: research/resolver-wire-behaviour.md §4 (lab, ±5 ms: musl 1.2.3 5.003 s,
/// glibc 2.36 1.703 s, Go 1.19.8 3.406 s) and the packet logs there.
/// </summary>
public class SeedScenarioTests
{
    internal const string PodResolvConf = "nameserver 10.96.0.10\nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n";
    internal static readonly string[] Behaviour = { "AAAA * -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN" };
    private const string Name = "elink.spic.com.cn";

    internal static QueryPlan Plan(string resolver, string conf = PodResolvConf, string name = Name, params string[] behaviour)
        => ResolverModel.For(resolver).Plan(name, ResolvConfParser.Parse(conf), ServerBehavior.Parse(behaviour.Length == 0 ? Behaviour : behaviour));

    private static string Row(PlannedQuery q) => $"{q.SendTime.TotalMilliseconds} {q.Socket} {q.Type} {q.Name} {q.Reason}";

    [Fact]
    public void Musl_1_2_3_fails_with_EAI_AGAIN_after_5_s_resending_the_AAAA()
    {
        var plan = Plan("musl-1.2.3");
        Assert.Equal(LookupResult.TryAgain, plan.Result);
        Assert.Equal(5000, plan.TotalTime.TotalMilliseconds);
        // §4.1: 12 queries on 4 sockets: 6 search, then A + 5 AAAA of the bare name at 0, 1.7, 2.5, 3.4, 4.2 s.
        Assert.Equal(12, plan.QueryCount);
        Assert.Equal(4, plan.SocketCount);
        var bare = plan.Queries.Where(q => q.Name == "elink.spic.com.cn." && q.Type == DnsQueryType.AAAA).ToArray();
        Assert.Equal(new double[] { 0, 1700, 2500, 3400, 4200 }, bare.Select(q => q.SendTime.TotalMilliseconds));
        Assert.Equal(new[] { QueryReason.NextCandidate, QueryReason.ResendAfterServfail, QueryReason.RetryAfterTimeout, QueryReason.ResendAfterServfail, QueryReason.ResendAfterServfail },
            bare.Select(q => q.Reason));
        Assert.All(bare, q => Assert.Equal(4, q.Socket));
        Assert.Equal(new[] { 1, 1, 2, 2, 3, 3, 4, 4 }, plan.Queries.Where(q => q.Attempt == 1).Select(q => q.Socket));
        Assert.Equal(new[] { "elink.spic.com.cn.tke-test.svc.cluster.local.", "elink.spic.com.cn.svc.cluster.local.", "elink.spic.com.cn.cluster.local.", "elink.spic.com.cn." }, plan.Candidates);
    }

    [Fact]
    public void Glibc_2_36_succeeds_with_A_after_1_7_s()
    {
        var plan = Plan("glibc-2.36");
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(new[] { DnsQueryType.A }, plan.AddressTypes);
        Assert.Equal(1700, plan.TotalTime.TotalMilliseconds);
        // §4.2: 8 queries, 4 sockets, A and AAAA of each candidate from one socket.
        Assert.Equal(8, plan.QueryCount);
        Assert.Equal(4, plan.SocketCount);
        Assert.All(plan.Queries, q => Assert.Equal(0, q.SendTime.TotalMilliseconds));
    }

    [Fact]
    public void Go_succeeds_with_A_after_3_4_s_with_a_socket_per_query()
    {
        var plan = Plan("go-1.22");
        Assert.Equal(LookupResult.Success, plan.Result);
        Assert.Equal(3400, plan.TotalTime.TotalMilliseconds);
        // §4.3: 9 queries, 9 sockets; the AAAA retried once (attempts 2) at 1.7 s.
        Assert.Equal(9, plan.QueryCount);
        Assert.Equal(9, plan.SocketCount);
        var last = plan.Queries[^1];
        Assert.Equal((1700.0, DnsQueryType.AAAA, 2, QueryReason.RetryAfterError), (last.SendTime.TotalMilliseconds, last.Type, last.Attempt, last.Reason));
    }
}
