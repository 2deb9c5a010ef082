using DnsTools.Core.Dns;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// Go's pure resolver (src/net/dnsclient_unix.go: goLookupIPCNAME, tryOneName, exchange; nameList in
/// dnsconfig): A and AAAA as two goroutines, each exchange on its own new socket, a new ID per
/// exchange, no retransmission inside an exchange. Modelled from the 1.22-era source and measured
/// with Go 1.19.8; other 1.x versions get the same plan.
/// </summary>
public sealed class GoResolverModel : ResolverModel
{
    public GoResolverModel(ResolverSpec spec) : base(spec) { }

    private enum LaneError { None, NoSuchHost, NoData, Timeout, ServFail, Misbehaving, CannotMarshal }

    private sealed record LaneResult(TimeSpan End, bool Address, LaneError Error);

    /// <summary>
    /// Go's isDomainName (src/net/dnsclient.go): 1 to 254 bytes (254 only with a trailing dot); labels of 1 to
    /// 63 bytes of letters, digits, '_' and '-' (not after a dot, not at a label's end); not all numeric.
    /// </summary>
    internal static bool IsDomainName(string s)
    {
        if (s == ".") return true;
        var l = s.Length;
        if (l == 0 || l > 254 || (l == 254 && s[l - 1] != '.')) return false;
        var last = '.';
        var nonNumeric = false;
        var partLength = 0;
        foreach (var c in s)
        {
            switch (c)
            {
                case >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_':
                    nonNumeric = true;
                    partLength++;
                    break;
                case >= '0' and <= '9':
                    partLength++;
                    break;
                case '-':
                    if (last == '.') return false;
                    partLength++;
                    nonNumeric = true;
                    break;
                case '.':
                    if (last is '.' or '-') return false;
                    if (partLength is > 63 or 0) return false;
                    partLength = 0;
                    break;
                default:
                    return false;
            }
            last = c;
        }
        return last != '-' && partLength <= 63 && nonNumeric;
    }

    internal override IReadOnlyList<string> Candidates(string name, ResolverSettings settings)
    {
        // dnsclient_unix.go, nameList: a rooted name is tried alone; with count('.') >= ndots the
        // bare name comes first, otherwise last; candidates over 254 characters are dropped.
        if (name.EndsWith('.')) return new[] { name };
        var hasNdots = CountDots(name) >= settings.Ndots;
        var list = new List<string>();
        if (hasNdots) list.Add(name);
        foreach (var suffix in settings.Search)
        {
            var fqdn = name + "." + suffix.TrimEnd('.');
            if (fqdn.Length + 1 <= 254) list.Add(fqdn);
        }
        if (!hasNdots) list.Add(name);
        return list;
    }

    internal override Outcome Run(string name, ResolverSettings settings, Simulation sim)
    {
        if (Spec.Version != ResolverSpec.DefaultGo) sim.Notes.Add($"Go {Spec.Version}: modelled like Go 1.22 (the source read; timings measured with 1.19.8).");
        sim.Notes.Add("Go sends A and AAAA from two goroutines: their order on the wire is not fixed.");
        if (settings.IgnoredOptions.Count > 0) sim.Notes.Add($"Go ignores: {string.Join(' ', settings.IgnoredOptions)}.");
        var servers = settings.Nameservers.Select(Server).ToArray();
        var now = TimeSpan.Zero;
        if (!IsDomainName(name))
        {
            // dnsclient_unix.go goLookupIPCNAMEOrder: !isDomainName(name) → errNoSuchHost, before any query.
            sim.Notes.Add($"'{name}' is not a valid domain name for Go (isDomainName: an empty or 64+ byte label, a character outside letters, digits, '-' and '_', or over 254 bytes): no such host, nothing is sent.");
            return new Outcome(now, LookupResult.NoName, Array.Empty<DnsQueryType>(), null);
        }
        var candidates = Candidates(name, settings);
        var soffset = 0;
        LaneError lastErr = LaneError.None;
        for (var i = 0; i < candidates.Count; i++)
        {
            var fqdn = Fqdn(candidates[i]);
            if (!DnsWire.CanEncodeName(fqdn))
            {
                // A search suffix with an empty or 64+ byte label: dnsmessage's Name.pack fails (errSegTooLong,
                // errZeroSegLen), exchange returns errCannotMarshalDNSMessage for every server without sending, and
                // the candidate's error is kept like any other (goLookupIPCNAMEOrder).
                sim.Notes.Add($"'{fqdn}' cannot be packed into a query (a label empty or over 63 bytes): Go skips it with \"cannot marshal DNS message\".");
                if (lastErr == LaneError.None || fqdn == Fqdn(name)) lastErr = LaneError.CannotMarshal;
                continue;
            }
            sim.NewCandidate();
            var first = FirstReason(i);
            // goLookupIPCNAME: qtypes A, AAAA; both started together unless single-request, in which
            // case AAAA starts when A's tryOneName returns. Both results are awaited.
            LaneResult a, aaaa;
            if (sim is Probe.LiveNetwork && !settings.SingleRequest)
            {
                // On the real network the two goroutines run at once: one thread per lane.
                var offsetA = soffset;
                var offsetAaaa = settings.Rotate ? soffset + 1 : soffset;
                var start = now;
                LaneResult? resultA = null;
                Exception? failure = null;
                var live = (Probe.LiveNetwork)sim;
                var laneA = new Thread(() =>
                {
                    // The lane thread is scheduled as the replay's own thread is (real-time when that is).
                    using var scheduling = live.EnterLaneScheduling();
                    try { resultA = TryOneName(fqdn, DnsQueryType.A, start, first, settings, servers, ref offsetA, sim); }
                    catch (Exception e) { failure = e; }
                }) { IsBackground = true, Name = "go-lane-A" };
                laneA.Start();
                aaaa = TryOneName(fqdn, DnsQueryType.AAAA, start, first, settings, servers, ref offsetAaaa, sim);
                laneA.Join();
                if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                a = resultA!;
                if (settings.Rotate) soffset += 2;
            }
            else
            {
                a = TryOneName(fqdn, DnsQueryType.A, now, first, settings, servers, ref soffset, sim);
                aaaa = TryOneName(fqdn, DnsQueryType.AAAA, settings.SingleRequest ? a.End : now,
                    settings.SingleRequest ? QueryReason.AfterOtherType : first, settings, servers, ref soffset, sim);
            }
            now = a.End > aaaa.End ? a.End : aaaa.End;
            var addresses = new List<DnsQueryType>();
            if (a.Address) addresses.Add(DnsQueryType.A);
            if (aaaa.Address) addresses.Add(DnsQueryType.AAAA);
            foreach (var r in new[] { a, aaaa })
                if (r.Error != LaneError.None && (lastErr == LaneError.None || fqdn == Fqdn(name))) lastErr = r.Error;
            // One family failing does not fail the lookup (Resolver.StrictErrors is off by default).
            if (addresses.Count > 0) return new Outcome(now, LookupResult.Success, addresses, fqdn);
        }
        var result = lastErr switch
        {
            LaneError.NoSuchHost or LaneError.NoData or LaneError.None => LookupResult.NoName,
            LaneError.Timeout or LaneError.ServFail => LookupResult.TryAgain,
            // CannotMarshal and Misbehaving: a DNSError that is neither "not found" nor temporary.
            _ => LookupResult.Fail,
        };
        return new Outcome(now, result, Array.Empty<DnsQueryType>(), null);
    }

    /// <summary>
    /// tryOneName: for each attempt, for each server from serverOffset (rotate only): exchange.
    /// NXDOMAIN and "no records of the type" end the lane at once (no other server helps);
    /// SERVFAIL, other rcodes and timeouts go on to the next server or attempt.
    /// </summary>
    private static LaneResult TryOneName(string fqdn, DnsQueryType type, TimeSpan start, QueryReason firstReason,
        ResolverSettings settings, string[] servers, ref int soffset, Simulation sim)
    {
        var offset = settings.Rotate ? soffset++ : 0;
        var now = start;
        var lastErr = LaneError.None;
        var step = 0;
        for (var attempt = 0; attempt < Math.Max(1, settings.Attempts); attempt++)
        {
            for (var j = 0; j < servers.Length; j++)
            {
                var server = servers[(offset + j) % servers.Length];
                var reason = attempt == 0 && j == 0 ? firstReason
                    : j > 0 ? QueryReason.NextServer
                    : lastErr == LaneError.Timeout ? QueryReason.RetryAfterTimeout : QueryReason.RetryAfterError;
                var (end, kind) = Exchange(fqdn, type, server, now, reason, settings, sim, ref step);
                now = end;
                switch (kind)
                {
                    case ServerResponseKind.Answer: return new LaneResult(now, true, LaneError.None);
                    case ServerResponseKind.NxDomain: return new LaneResult(now, false, LaneError.NoSuchHost);
                    case ServerResponseKind.NoData: return new LaneResult(now, false, LaneError.NoData);
                    case ServerResponseKind.ServFail: lastErr = LaneError.ServFail; break;
                    case null: lastErr = LaneError.Timeout; break;
                    default: lastErr = LaneError.Misbehaving; break;
                }
            }
        }
        return new LaneResult(now, false, lastErr);
    }

    /// <summary>
    /// exchange: networks udp then tcp (tcp only with use-vc); each a new connected socket with a
    /// deadline of now + timeout; one write, read until the matching reply; TC=1 over UDP moves on
    /// to TCP. Returns null on timeout.
    /// </summary>
    private static (TimeSpan End, ServerResponseKind? Kind) Exchange(string fqdn, DnsQueryType type, string server, TimeSpan start,
        QueryReason reason, ResolverSettings settings, Simulation sim, ref int step)
    {
        var identity = sim.NewIdentity(); // newRequest: a fresh random ID per exchange
        var now = start;
        var networks = settings.UseTcp ? new[] { DnsTransport.Tcp } : new[] { DnsTransport.Udp, DnsTransport.Tcp };
        foreach (var network in networks)
        {
            var sock = sim.Open();
            var deadline = now + TimeSpan.FromSeconds(Math.Max(1, settings.TimeoutSeconds));
            sim.Send(now, fqdn, type, server, network, sock, reason, identity, step++);
            var reply = sim.Next(sock, now, deadline);
            if (reply is null)
            {
                sim.Close(sock, deadline);
                return (deadline, null);
            }
            now = reply.At;
            sim.Close(sock, now);
            if (reply.Kind == ServerResponseKind.Truncated && network == DnsTransport.Udp)
            {
                reply.Handle("TC=1: this query again over TCP");
                reason = QueryReason.TcpAfterTruncation;
                continue;
            }
            reply.Handle(reply.Kind switch
            {
                ServerResponseKind.Answer => "accepted",
                ServerResponseKind.NxDomain => "no such host: the lane stops",
                ServerResponseKind.NoData => "no records of the type: the lane stops",
                ServerResponseKind.ServFail => "server temporarily misbehaving: next server or attempt",
                _ => "server misbehaving: next server or attempt",
            });
            return (now, reply.Kind);
        }
        return (now, ServerResponseKind.Refused); // errNoAnswerFromDNSServer after TC over TCP
    }
}
