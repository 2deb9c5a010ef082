using System.Net;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Tests.Probe;

/// <summary>
/// The probe replays a model on real loopback sockets against the lab server. What it sends must be
/// what the model plans for the same server behaviour (the models are checked against the real libcs
/// in the conformance suite), and its times must be the server's.
/// </summary>
[Collection(TimingCollection.Name)]
public class DnsProbeTests
{
    private const string Search = "search tke-test.svc.cluster.local svc.cluster.local cluster.local\n";

    private static (DnsLabServer Server, ServerBehavior Behavior) Lab(params string[] rules)
    {
        var behavior = ServerBehavior.Parse(rules);
        var server = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(behavior, "127.0.0.1") });
        return (server, behavior);
    }

    private static DnsTools.Core.ResolvConf.ResolvConf Conf(string options) => ResolvConfParser.Parse(Search + "nameserver 127.0.0.1\n" + options);

    private static ObservedLookup Probe(DnsLabServer server, string name, DnsTools.Core.ResolvConf.ResolvConf conf, string resolver, DnsMitigation mitigation = DnsMitigation.None)
        => DnsProbe.Run(name, conf, ResolverSpec.Parse(resolver), new DnsProbeOptions { Servers = new[] { server.EndPoint }, MaxLookupTime = TimeSpan.FromSeconds(20) }, mitigation);

    private static string Sequence(IEnumerable<(string Name, string Type)> queries) => string.Join(" | ", queries.Select(q => $"{q.Type} {q.Name}"));

    public static TheoryData<string, string, string> Scenarios => new()
    {
        { "musl-1.2.3", "options ndots:5 timeout:1 attempts:2\n", "AAAA elink.spic.com.cn -> SERVFAIL after 100ms;*.cluster.local -> NXDOMAIN" },
        { "glibc-2.36", "options ndots:5 timeout:1 attempts:2\n", "AAAA elink.spic.com.cn -> SERVFAIL after 100ms;*.cluster.local -> NXDOMAIN" },
        { "go-1.22", "options ndots:5 timeout:1 attempts:2\n", "AAAA elink.spic.com.cn -> SERVFAIL after 100ms;*.cluster.local -> NXDOMAIN" },
        { "glibc-2.36", "options ndots:5 timeout:1 attempts:2 single-request-reopen\n", "*.cluster.local -> NXDOMAIN" },
        { "musl-1.2.3", "options ndots:1 timeout:1 attempts:2\n", "AAAA * -> NODATA" },
        { "glibc-2.36", "options ndots:5 timeout:1 attempts:2\n", "*.cluster.local -> NXDOMAIN;AAAA elink.spic.com.cn -> drop if parallel" },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Sends_what_the_model_plans_with_the_servers_real_timing(string resolver, string options, string rules)
    {
        var (server, behavior) = Lab(rules);
        using (server)
        {
            var conf = Conf(options);
            var plan = ResolverModel.For(resolver).Plan("elink.spic.com.cn", conf, behavior);
            var lookup = Probe(server, "elink.spic.com.cn", conf, resolver);

            // Same queries in the same order (Go's two lanes race, so per type there).
            var planned = plan.Queries.Select(q => (q.Name, q.Type.ToString()));
            var sent = lookup.Queries.Select(q => (q.Name, q.Type));
            if (resolver.StartsWith("go"))
                foreach (var type in new[] { "A", "AAAA" })
                    Assert.Equal(Sequence(planned.Where(q => q.Item2 == type)), Sequence(sent.Where(q => q.Type == type)));
            else
                Assert.Equal(Sequence(planned), Sequence(sent));

            // What the server logged is what the probe says it sent.
            Assert.Equal(lookup.Queries.Count, server.Queries.Count);
            Assert.Equal(lookup.Queries.Select(q => $"{q.Id}/{q.SourcePort}").OrderBy(x => x), server.Queries.Select(q => $"{q.Id}/{q.Client.Port}").OrderBy(x => x));

            // Same socket sharing: planned socket numbers map one to one onto real source ports.
            if (!resolver.StartsWith("go"))
            {
                var pairs = plan.Queries.Zip(lookup.Queries).Select(p => (p.First.Socket, p.Second.SourcePort)).Distinct().ToList();
                Assert.Equal(pairs.Select(p => p.Socket).Distinct().Count(), pairs.Count);
                Assert.Equal(pairs.Select(p => p.SourcePort).Distinct().Count(), pairs.Count);
            }

            // Same result, and the time within 60 ms + 10 % of the plan (loopback adds little).
            Assert.Equal(plan.ResultCode, lookup.Outcome);
            var tolerance = TimeSpan.FromMilliseconds(60) + plan.TotalTime * 0.1;
            Assert.InRange(lookup.Duration, plan.TotalTime - tolerance, plan.TotalTime + tolerance);
        }
    }

    [Fact]
    public void Musl_replay_of_the_seed_behaviour_is_diagnosed_as_a_servfail_storm()
    {
        var (server, _) = Lab("AAAA elink.spic.com.cn -> SERVFAIL after 100ms", "*.cluster.local -> NXDOMAIN");
        using (server)
        {
            var lookup = Probe(server, "elink.spic.com.cn", Conf("options ndots:5 timeout:1 attempts:2\n"), "musl-1.2.3");
            Assert.Equal("EAI_AGAIN", lookup.Outcome);
            Assert.False(lookup.Succeeded);
            var codes = lookup.Diagnoses.Select(d => d.Code).ToList();
            Assert.Contains(LookupDiagnoser.SearchAmplification, codes);
            Assert.Contains(LookupDiagnoser.AaaaServfailResend, codes);
            // musl: A and AAAA of each candidate from one source port.
            foreach (var candidate in lookup.Queries.GroupBy(q => q.Name))
                Assert.Single(candidate.Select(q => q.SourcePort).Distinct());
            Assert.All(lookup.Queries, q => Assert.DoesNotContain("[1au]", q.Flags));
        }
    }

    [Fact]
    public void Mitigations_change_the_name_or_the_resolv_conf()
    {
        var (server, _) = Lab("*.cluster.local -> NXDOMAIN");
        using (server)
        {
            var conf = Conf("options ndots:5 timeout:1 attempts:2\n");
            var none = Probe(server, "elink.spic.com.cn", conf, "glibc-2.36");
            var dot = Probe(server, "elink.spic.com.cn", conf, "glibc-2.36", DnsMitigation.TrailingDot);
            var ndots = Probe(server, "elink.spic.com.cn", conf, "glibc-2.36", DnsMitigation.Ndots1);
            var noAaaa = Probe(server, "elink.spic.com.cn", conf, "glibc-2.36", DnsMitigation.NoAaaa);
            Assert.Equal(8, none.Queries.Count);
            Assert.Equal(2, dot.Queries.Count);
            Assert.Equal(2, ndots.Queries.Count);
            Assert.Equal(4, noAaaa.Queries.Count);
            Assert.All(noAaaa.Queries, q => Assert.Equal("A", q.Type));
            Assert.Equal("TrailingDot", dot.Mitigation);
        }
    }

    [Fact]
    public void A_lost_parallel_query_is_diagnosed_with_glibc_advice()
    {
        var (server, _) = Lab("AAAA * -> drop if parallel");
        using (server)
        {
            var lookup = Probe(server, "api.example.", Conf("options ndots:5 timeout:1 attempts:2\n"), "glibc-2.36");
            Assert.True(lookup.Diagnoses.Any(d => d.Code == LookupDiagnoser.LostParallelQuery),
                string.Join("\n", lookup.Queries) + "\nserver saw:\n" + string.Join("\n", server.Queries));
            var lost = Assert.Single(lookup.Diagnoses, d => d.Code == LookupDiagnoser.LostParallelQuery);
            Assert.Contains(lost.Mitigations, m => m.Contains("single-request-reopen"));
            Assert.True(lookup.Duration >= TimeSpan.FromMilliseconds(900));
        }
    }

    [Fact]
    public void An_unreachable_server_ends_in_a_timeout_not_a_hang()
    {
        // A port nothing listens on: every query goes unanswered; musl gives up after timeout:1.
        using var probeSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probeSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var silent = (IPEndPoint)probeSocket.LocalEndPoint!;
        var lookup = DnsProbe.Run("api.example.", Conf("options timeout:1 attempts:2\n"), ResolverSpec.Parse("musl-1.2.3"), new DnsProbeOptions { Servers = new[] { silent } });
        Assert.Equal("EAI_AGAIN", lookup.Outcome);
        Assert.InRange(lookup.Duration.TotalMilliseconds, 950, 1300);
        Assert.All(lookup.Queries, q => Assert.True(q.TimedOut));
        Assert.Contains(lookup.Diagnoses, d => d.Code == LookupDiagnoser.AllServersFailed);
    }

    [Fact]
    public void A_refused_TCP_connection_moves_on_at_once_as_glibc_send_vc_returns()
    {
        // use-vc to a loopback port where nothing listens on TCP: the connect is refused at once.
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, not listening: connects are refused
        var closed = (IPEndPoint)holder.LocalEndPoint!;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var lookup = DnsProbe.Run("api.example.", Conf("options timeout:1 attempts:1 use-vc\n"), ResolverSpec.Parse("glibc-2.36"), new DnsProbeOptions { Servers = new[] { closed }, MaxLookupTime = TimeSpan.FromSeconds(2) });
        Assert.NotEqual("ok", lookup.Outcome);
        Assert.All(lookup.Queries, q => Assert.Equal("TCP", q.Transport));
        // send_vc: connect() fails, return 0, next server (none left): the lookup ends at once, not at the 2 s limit.
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 1);
        Assert.Contains(lookup.Queries, q => q.Rcode == "ConnectionRefused");
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1:53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("[::1]:5353", "[::1]:5353")]
    [InlineData("::1", "[::1]:53")]
    public void Server_text_forms(string text, string expected) => Assert.Equal(expected, DnsProbe.ParseServer(text).ToString());

    [Fact]
    public void A_host_name_as_server_is_refused_not_resolved()
        => Assert.Throws<FormatException>(() => DnsProbe.ParseServer("kube-dns.kube-system"));
}
