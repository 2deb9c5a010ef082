using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.Bench;

/// <summary>
/// The probe's own overhead: its measured latency for a plain A query against a loopback lab server,
/// minus a bare UDP round trip (send a query, receive the answer) to the same server in the same run;
/// and lookups per second. Bounded: a fixed number of iterations and a time cap.
/// </summary>
internal static class ProbeBench
{
    public static int Run(int iterations, TimeSpan throughputTime)
    {
        using var server = DnsLabServer.Start(new DnsLabServerOptions
        {
            Policy = DnsLabPolicy.FromBehavior(ServerBehavior.AlwaysAnswer, "127.0.0.1"),
            MaxLoggedQueries = 1000,
        });
        // A plain A lookup: glibc 2.36 with no-aaaa and a rooted name sends exactly one A query.
        var conf = ResolvConfParser.Parse("nameserver 127.0.0.1\noptions timeout:1 attempts:1 no-aaaa\n");
        var options = new DnsProbeOptions { Servers = new[] { server.EndPoint }, MaxLookupTime = TimeSpan.FromSeconds(5) };
        var spec = ResolverSpec.Parse("glibc-2.36");
        var deadline = Stopwatch.StartNew();

        // Warm both paths.
        for (var i = 0; i < 200; i++) { BareRoundTrip(server.EndPoint, (ushort)i); DnsProbe.Run("bench.example.", conf, spec, options); }
        server.ClearLog();

        var bare = new List<double>();
        var probe = new List<double>();
        // Interleaved, so drift on the machine hits both alike.
        for (var i = 0; i < iterations && deadline.Elapsed < TimeSpan.FromMinutes(2); i++)
        {
            bare.Add(BareRoundTrip(server.EndPoint, (ushort)i).TotalMicroseconds);
            var lookup = DnsProbe.Run("bench.example.", conf, spec, options);
            var a = lookup.Queries.First(q => q.Type == "A");
            probe.Add(a.Latency!.Value.TotalMicroseconds);
            if (i % 500 == 0) server.ClearLog();
        }

        var lookups = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < throughputTime)
        {
            DnsProbe.Run("bench.example.", conf, spec, options);
            lookups++;
            if (lookups % 500 == 0) server.ClearLog();
        }
        var perSecond = lookups / sw.Elapsed.TotalSeconds;

        double P(List<double> v, double p) { var s = v.OrderBy(x => x).ToList(); return s[Math.Min(s.Count - 1, (int)Math.Ceiling(p * s.Count) - 1)]; }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"probe: {bare.Count} A queries against a loopback lab server, interleaved with bare UDP round trips");
        Console.WriteLine(string.Create(c, $"  bare UDP round trip   median {P(bare, 0.5),8:0.0} us   p99 {P(bare, 0.99),8:0.0} us"));
        Console.WriteLine(string.Create(c, $"  probe query latency   median {P(probe, 0.5),8:0.0} us   p99 {P(probe, 0.99),8:0.0} us"));
        Console.WriteLine(string.Create(c, $"  overhead              median {P(probe, 0.5) - P(bare, 0.5),8:0.0} us   p99 {P(probe, 0.99) - P(bare, 0.99),8:0.0} us   (target: median under 30 us)"));
        Console.WriteLine(string.Create(c, $"  ratio probe/bare      median {P(probe, 0.5) / P(bare, 0.5),8:0.00}"));
        Console.WriteLine(string.Create(c, $"  lookups per second    {perSecond,8:0} (glibc no-aaaa: one A query per lookup, one lookup at a time, {throughputTime.TotalSeconds:0} s)"));
        return 0;
    }

    private static TimeSpan BareRoundTrip(IPEndPoint server, ushort id)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        var query = DnsWire.BuildQuery(id, "bench.example.", DnsWire.TypeA);
        var buffer = new byte[512];
        var sw = Stopwatch.StartNew();
        socket.SendTo(query, server);
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        socket.ReceiveTimeout = 1000;
        socket.ReceiveFrom(buffer, ref from);
        return sw.Elapsed;
    }
}
