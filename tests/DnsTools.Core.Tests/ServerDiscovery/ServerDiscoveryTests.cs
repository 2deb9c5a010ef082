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
/// Discovery against the lab server (real sockets) and against in-process fakes for the faults no
/// real server offers: silence, replies from another address, wrong ids, malformed replies.
/// </summary>
public sealed class ServerDiscoveryTests
{
    private const string PodConf = "search tke-test.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5";

    private static DnsServerBehavior Discover(IPEndPoint server, string name, string? conf = null, int count = 1, double timeout = 0.5)
        => ServerDiscoverer.Discover(new ServerDiscoveryOptions
        {
            Servers = new[] { server },
            Names = new[] { name },
            ResolvConf = conf is null ? null : ResolvConfParser.Parse(conf),
            Count = count,
            Timeout = TimeSpan.FromSeconds(timeout),
            QueriesPerSecond = 200,
        });

    [Fact]
    public void Learns_the_lab_servers_rules_and_they_reproduce_every_observation()
    {
        var rules = new[] { "AAAA elink.spic.com.cn -> SERVFAIL after 120ms", "*.cluster.local -> NXDOMAIN" };
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(rules), "127.0.0.1") });
        var learned = Discover(lab.EndPoint, "elink.spic.com.cn", PodConf, count: 3);
        Assert.Equal(4, learned.Candidates.Count);
        Assert.Contains("*.cluster.local -> NXDOMAIN", learned.Rules);
        var aaaa = Assert.Single(learned.Rules, r => r.StartsWith("AAAA elink.spic.com.cn -> SERVFAIL after ", StringComparison.Ordinal));
        var delay = ServerRule.Parse(aaaa).Delay.TotalMilliseconds;
        Assert.InRange(delay, 120, 132);
        Assert.Equal(2, learned.Rules.Count);
        var behavior = learned.ToServerBehavior();
        foreach (var o in learned.Observations)
            Assert.Equal(o.Outcome, behavior.Respond(o.Name.TrimEnd('.'), Enum.Parse<DnsQueryType>(o.Type), "127.0.0.1", DnsTransport.Udp, false).Kind);
        // Without EDNS as musl and glibc send; the EDNS check with an OPT record.
        var log = lab.Queries;
        Assert.Contains(log, q => !q.Edns);
        Assert.Contains(log, q => q.Edns);
        Assert.Equal(learned.QueriesSent, log.Count);
    }

    [Fact]
    public void A_truncated_answer_is_asked_over_tcp()
    {
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(new[] { "A big.example -> truncated" }), "127.0.0.1") });
        var learned = Discover(lab.EndPoint, "big.example.");
        Assert.Equal(new[] { "A big.example -> truncated" }, learned.Rules);
        var a = Assert.Single(learned.Observations, o => o.Type == "A");
        Assert.True(a.Truncated);
        Assert.Equal("NOERROR", a.TcpResult);
        Assert.Contains(lab.Queries, q => q.Transport == "TCP");
    }

    [Fact]
    public void Truncation_with_tcp_refused_is_learned_as_truncated_tcp_refused()
    {
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(new[] { "A big.example -> truncated" }), "127.0.0.1"), NoTcp = true });
        using (var tcp = new TcpClient())
            Assert.ThrowsAny<SocketException>(() => tcp.Connect(lab.EndPoint));
        var learned = Discover(lab.EndPoint, "big.example.");
        var a = Assert.Single(learned.Observations, o => o.Type == "A");
        Assert.True(a.Truncated);
        Assert.Equal(ServerResponseKind.ConnectionRefused, a.Tcp!.Outcome);
        Assert.Equal(new[] { "A big.example -> truncated, TCP refused" }, learned.Rules);
        Assert.Contains(learned.Notes, n => n.Contains("truncated over UDP and TCP fails", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("A big.example -> truncated, TCP reset", ServerResponseKind.Reset)]
    [InlineData("A big.example -> truncated, TCP no answer", ServerResponseKind.NoAnswer)]
    public void Truncation_with_tcp_reset_or_silent_is_learned_from_the_lab_server_that_replays_it(string rule, ServerResponseKind tcpOutcome)
    {
        using var lab = DnsLabServer.Start(new DnsLabServerOptions { Policy = DnsLabPolicy.FromBehavior(ServerBehavior.Parse(new[] { rule }), "127.0.0.1") });
        var learned = Discover(lab.EndPoint, "big.example.");
        var a = Assert.Single(learned.Observations, o => o.Type == "A");
        Assert.Equal(tcpOutcome, a.Tcp!.Outcome);
        Assert.Equal(new[] { rule }, learned.Rules);
        Assert.Contains(lab.Queries, q => q.Transport == "TCP" && q.Name == "big.example.");
    }

    [Fact]
    public void A_server_that_never_answers_is_bounded_by_the_timeout()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var watch = Stopwatch.StartNew();
        var learned = Discover((IPEndPoint)silent.Client.LocalEndPoint!, "dead.example.", timeout: 0.3);
        // 1 source check + 2 types x (1 UDP + 1 EDNS) = 5 waits of 0.3 s at most.
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.2, 4);
        Assert.All(learned.Observations, o => Assert.Equal(ServerResponseKind.NoAnswer, o.Outcome));
        Assert.Contains("dead.example -> no answer", learned.Rules);
    }

    [Fact]
    public void Refuses_a_discovery_over_the_query_limit_before_sending()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var e = Assert.Throws<ArgumentException>(() => ServerDiscoverer.Discover(new ServerDiscoveryOptions
        {
            Servers = new[] { (IPEndPoint)silent.Client.LocalEndPoint! },
            Names = new[] { "a.example" },
            ResolvConf = ResolvConfParser.Parse(PodConf),
            Count = 50,
            MaxQueries = 100,
        }));
        Assert.Contains("more than the limit of 100", e.Message);
        Assert.Equal(0, silent.Available);
    }

    /// <summary>An in-process fake: answers every query by a function of the query bytes, from a socket it chooses.</summary>
    private sealed class FakeServer : IDisposable
    {
        private readonly Socket _listen = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Socket _reply;
        private readonly Thread _thread;
        private volatile bool _stop;

        public FakeServer(Func<DnsMessage, byte[]> answer, IPAddress? replyFrom = null)
        {
            _listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _reply = _listen;
            if (replyFrom is not null)
            {
                _reply = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                _reply.Bind(new IPEndPoint(replyFrom, 0));
            }
            _thread = new Thread(() =>
            {
                var buffer = new byte[4096];
                while (!_stop)
                {
                    if (!_listen.Poll(50_000, SelectMode.SelectRead)) continue;
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int n;
                    try { n = _listen.ReceiveFrom(buffer, ref from); } catch (SocketException) { continue; }
                    try { _reply.SendTo(answer(DnsWire.Parse(buffer.AsSpan(0, n))), from); } catch (Exception e) when (e is SocketException or DnsFormatException) { }
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listen.LocalEndPoint!;

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _listen.Dispose();
            if (_reply != _listen) _reply.Dispose();
        }
    }

    private static byte[] Answer(DnsMessage q) => DnsWire.BuildResponse(q, DnsRcode.NoError, q.QuestionType == DnsWire.TypeA ? new[] { IPAddress.Parse("192.0.2.1") } : Array.Empty<IPAddress>());

    [Fact]
    public void Replies_from_another_address_are_learned_as_no_answer()
    {
        using var fake = new FakeServer(Answer, replyFrom: IPAddress.Parse("127.0.0.2"));
        var learned = Discover(fake.EndPoint, "spoof.example.");
        Assert.Contains(learned.Notes, n => n.Contains("the reply came from 127.0.0.2", StringComparison.Ordinal));
        Assert.All(learned.Observations, o => Assert.Equal(ServerResponseKind.NoAnswer, o.Outcome));
        Assert.Contains("spoof.example -> no answer", learned.Rules);
    }

    [Fact]
    public void Replies_with_the_wrong_id_are_learned_as_no_answer()
    {
        using var fake = new FakeServer(q =>
        {
            var bytes = Answer(q);
            bytes[0] ^= 0xFF;
            return bytes;
        });
        var learned = Discover(fake.EndPoint, "wrongid.example.");
        Assert.All(learned.Observations, o => Assert.Equal(ServerResponseKind.NoAnswer, o.Outcome));
        Assert.Contains(learned.Notes, n => n.Contains("unusable reply", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("short")]
    [InlineData("cut-answer")]
    [InlineData("pointer-loop")]
    public void Malformed_replies_are_learned_as_no_answer(string how)
    {
        using var fake = new FakeServer(q =>
        {
            var bytes = DnsWire.BuildResponse(q, DnsRcode.NoError, new[] { IPAddress.Parse("192.0.2.1") });
            return how switch
            {
                "short" => bytes[..7],
                "cut-answer" => bytes[..^3],
                _ => bytes[..12].Concat(new byte[] { 0xC0, 12, 0, 1, 0, 1 }).ToArray(),
            };
        });
        var watch = Stopwatch.StartNew();
        var learned = Discover(fake.EndPoint, "bad.example.");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.All(learned.Observations, o => Assert.Equal(ServerResponseKind.NoAnswer, o.Outcome));
        Assert.Contains("bad.example -> no answer", learned.Rules);
    }

    [Fact]
    public void Candidates_cover_glibc_musl_and_go()
    {
        var conf = ResolvConfParser.Parse("search a.example b.example\noptions ndots:1");
        // One dot: glibc and Go try the name first, then the search list; musl only the name.
        Assert.Equal(new[] { "api.corp.", "api.corp.a.example.", "api.corp.b.example." }, ServerDiscoverer.Candidates(new[] { "api.corp" }, conf));
        Assert.Equal(new[] { "x.example." }, ServerDiscoverer.Candidates(new[] { "x.example." }, conf));
    }
}
