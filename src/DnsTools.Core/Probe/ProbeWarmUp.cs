using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DnsTools.Core.Dns;
using DnsTools.Core.Resolvers;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.Probe;

/// <summary>
/// Before the first measured lookup of a kind in a JIT-compiled process (pwsh, the bench), the same lookup is run
/// against a responder of its own on loopback, once with every answer NXDOMAIN (the whole search list), once with
/// SERVFAIL and once answered (A and AAAA), so the send path, the receive path and the model's reaction to each
/// kind of answer are compiled before a real answer arrives. Without it the first lookup of a process reacted to
/// its first answer 5.8-7.7 ms late (JIT), where a libc takes well under a millisecond. Nothing leaves loopback:
/// every nameserver of the lookup is mapped to the responder's socket.
/// </summary>
internal static class ProbeWarmUp
{
    private static readonly ConcurrentDictionary<string, bool> Warmed = new(StringComparer.Ordinal);
    private const int MaxKinds = 256;

    /// <summary>For the bench: measure a cold lookup without the warm-up (JIT or ReadyToRun code only).</summary>
    internal static bool Disabled { get; set; }

    public static void Ensure(string name, Conf conf, ResolverSpec resolver)
    {
        if (Disabled) return;
        // What decides the code a lookup runs: the resolver, the resolv.conf, and the name's dots (search list or not).
        var key = $"{resolver}\n{name.Count(c => c == '.')}{name.EndsWith('.')}\n{conf.ToText()}";
        if (Warmed.ContainsKey(key) || Warmed.Count >= MaxKinds) return;
        Warmed[key] = true;
        foreach (var rcode in new[] { DnsRcode.NxDomain, DnsRcode.ServFail, DnsRcode.NoError })
            Run(name, conf, resolver, rcode);
    }

    private static void Run(string name, Conf conf, ResolverSpec resolver, DnsRcode rcode)
    {
        var (responder, tcpHold) = BindResponder();
        using var udp = responder;
        using var tcp = tcpHold;
        var endpoint = (IPEndPoint)responder.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var answering = new Thread(() => Answer(responder, rcode, stop.Token)) { IsBackground = true, Name = "dns-probe-warm-up" };
        answering.Start();
        try
        {
            var model = ResolverModel.For(resolver);
            var settings = model.SettingsFor(conf);
            // A short limit: SERVFAIL makes some models wait out their timeout; what matters is compiled by then.
            var world = new LiveNetwork(_ => endpoint, WireFormat.For(resolver.Family, settings), TimeSpan.FromMilliseconds(100), stop.Token);
            model.Execute(name, conf, world, ServerBehavior.AlwaysAnswer);
            world.Finish();
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or DnsFormatException)
        {
            // A warm-up that cannot run only leaves the first lookup slower.
        }
        finally
        {
            stop.Cancel();
            answering.Join(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// A UDP socket on loopback, and a TCP socket bound to the same port that does not listen: a lookup that goes to
    /// TCP (use-vc, truncation) is refused at once, and never reaches another program's TCP port of that number.
    /// </summary>
    private static (Socket Udp, Socket Tcp) BindResponder()
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port));
                return (udp, tcp);
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
                tcp.Dispose();
            }
        }
    }

    private static void Answer(Socket responder, DnsRcode rcode, CancellationToken stop)
    {
        var buffer = new byte[4096];
        var v4 = new[] { IPAddress.Parse("192.0.2.1") };
        var v6 = new[] { IPAddress.Parse("2001:db8::1") };
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!responder.Poll(20_000, SelectMode.SelectRead)) continue;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var n = responder.ReceiveFrom(buffer, ref from);
                var query = DnsWire.Parse(buffer.AsSpan(0, n));
                IReadOnlyList<IPAddress> answers = rcode != DnsRcode.NoError ? Array.Empty<IPAddress>()
                    : query.QuestionType == DnsWire.TypeAaaa ? v6 : query.QuestionType == DnsWire.TypeA ? v4 : Array.Empty<IPAddress>();
                responder.SendTo(DnsWire.BuildResponse(query, rcode, answers), from);
            }
            catch (Exception e) when (e is SocketException or DnsFormatException or ObjectDisposedException)
            {
                if (stop.IsCancellationRequested) return;
            }
        }
    }
}
