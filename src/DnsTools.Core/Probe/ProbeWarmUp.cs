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

    /// <summary>For the bench: when the last warm-up started and ended (Stopwatch timestamps), 0 when none ran.</summary>
    internal static long LastStarted, LastEnded;

    private static Thread? _background;

    /// <summary>For the bench: when the warm-up at import started and ended (Stopwatch timestamps).</summary>
    internal static long BackgroundStarted, BackgroundEnded;

    /// <summary>Whether <see cref="Ensure"/> would do anything (run a warm-up, or wait for the one started at import).</summary>
    public static bool Needed(string name, Conf conf, ResolverSpec resolver) =>
        !Disabled && ((_background is { IsAlive: true } background && background != Thread.CurrentThread)
            || (!Warmed.ContainsKey(Kind(name, conf, resolver)) && Warmed.Count < MaxKinds));

    public static void Ensure(string name, Conf conf, ResolverSpec resolver)
    {
        if (Disabled) return;
        // A warm-up started at module import still running: the code it compiles is what this one would compile.
        if (_background is { } background && background != Thread.CurrentThread) background.Join();
        var key = Kind(name, conf, resolver);
        if (Warmed.ContainsKey(key) || Warmed.Count >= MaxKinds) return;
        Warmed[key] = true;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var rcode in new[] { DnsRcode.NxDomain, DnsRcode.ServFail, DnsRcode.NoError })
            Run(name, conf, resolver, rcode);
        (LastStarted, LastEnded) = (started, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// What decides the code a lookup runs: the resolver; whether the name goes through the search list, is tried as
    /// it is first, or has no dot; whether there is a search list and more than one nameserver; and the options that
    /// switch a path (TCP, single-request, rotate, edns0...). Not the names or the numbers (timeout, attempts, ndots as
    /// such): a lookup of another name through the same kind of resolv.conf runs the same code, so it is not warmed again.
    /// </summary>
    private static string Kind(string name, Conf conf, ResolverSpec resolver)
    {
        var s = ResolverModel.For(resolver).SettingsFor(conf);
        var dots = name.TrimEnd('.').Count(c => c == '.');
        var form = name.EndsWith('.') ? "absolute" : dots == 0 ? "single-label" : dots < s.Ndots ? "search-first" : "as-is-first";
        return $"{resolver}|{form}|search {s.Search.Count > 0}|servers {Math.Min(s.Nameservers.Count, 2)}|{s.Rotate} {s.SingleRequest} {s.SingleRequestReopen} {s.UseTcp} {s.Edns0} {s.TrustAd} {s.NoAaaa} {s.NoTldQuery}";
    }

    /// <summary>
    /// The warm-up of the default replays (musl-1.2.3, glibc-2.36, go-1.22 with a pod's resolv.conf: a search list,
    /// ndots:5) on a background thread, for a process that will replay soon: the module's import. A first lookup
    /// started before it ends waits for it (<see cref="Ensure"/>); its own warm-up then finds the code compiled.
    /// Only its own loopback responder is asked, as always.
    /// </summary>
    public static void StartInBackground()
    {
        if (Disabled || !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled || _background is not null) return;
        var thread = new Thread(() =>
        {
            BackgroundStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            // timeout and attempts at their defaults: the settings' setters for them are compiled too.
            var conf = DnsTools.Core.ResolvConf.ResolvConfParser.Parse(
                "nameserver 127.0.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:5 attempts:2\n", "warm-up");
            foreach (var resolver in new[] { "musl-1.2.3", "glibc-2.36", "go-1.22" })
                Ensure("warm-up.example.com", conf, ResolverSpec.Parse(resolver));
            BackgroundEnded = System.Diagnostics.Stopwatch.GetTimestamp();
        }) { IsBackground = true, Name = "dns-probe-warm-up-at-import" };
        _background = thread;
        thread.Start();
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
            // The whole of DnsProbe.Run, as the lookup will call it: with -Server's endpoints (the resolv.conf's
            // nameservers at port 53 here), every query redirected to the responder. Every step the lookup takes
            // before its first query must run here too (the public entry, the warm-up check, the server's endpoint):
            // one left to compile at the lookup's start cost 0.1-0.3 ms each, and had put the first query after the
            // warm-up at import 0.6-0.9 ms after the lookup's start (0.15-0.35 ms with them all compiled). A short limit:
            // what matters is compiled by then. Normal scheduling (the warm-up may run in the background); the
            // scheduling calls' stubs are prepared on their own.
            ReplayScheduling.Prepare();
            var servers = conf.Nameservers.Select(n => new IPEndPoint(n.Address, 53)).ToList();
            var options = new DnsProbeOptions { Servers = servers.Count > 0 ? servers : null, MaxLookupTime = TimeSpan.FromMilliseconds(100), Realtime = false };
            DnsProbe.RunRedirected(name, conf, resolver, options, DnsMitigation.None, stop.Token, everyServerTo: endpoint);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or DnsFormatException or FormatException)
        {
            // A warm-up that cannot run only leaves the first lookup slower.
        }
        finally
        {
            stop.Cancel();
            // Wake the responder from its poll with an empty datagram (it stops on it) rather than wait out the poll:
            // up to 20 ms a run, most of what a warm-up after the one at import cost.
            try
            {
                using var wake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                wake.SendTo(Array.Empty<byte>(), endpoint);
            }
            catch (SocketException) { }
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
        // SERVFAIL once per name and type, then the answer: the model's reaction to SERVFAIL (re-send, next candidate)
        // is compiled without waiting out a timeout, which had made the warm-up mostly waiting.
        var failed = new HashSet<(string, ushort)>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!responder.Poll(20_000, SelectMode.SelectRead)) continue;
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var n = responder.ReceiveFrom(buffer, ref from);
                var query = DnsWire.Parse(buffer.AsSpan(0, n));
                var answer = rcode == DnsRcode.ServFail && !failed.Add((query.QuestionName, query.QuestionType)) ? DnsRcode.NoError : rcode;
                IReadOnlyList<IPAddress> answers = answer != DnsRcode.NoError ? Array.Empty<IPAddress>()
                    : query.QuestionType == DnsWire.TypeAaaa ? v6 : query.QuestionType == DnsWire.TypeA ? v4 : Array.Empty<IPAddress>();
                responder.SendTo(DnsWire.BuildResponse(query, answer, answers), from);
            }
            catch (Exception e) when (e is SocketException or DnsFormatException or ObjectDisposedException)
            {
                if (stop.IsCancellationRequested) return;
            }
        }
    }
}
