using DnsTools.Core.Dns;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// glibc's stub resolver behind getaddrinfo (nss_dns _nss_dns_gethostbyname4_r → resolv/res_query.c
/// __res_context_search / __res_context_query → resolv/res_send.c __res_context_send, send_dg, send_vc).
/// Modelled from the 2.34+ source and checked against the host's 2.36; from 2.17 the parts that shape
/// the packets are the same, except no-aaaa (2.36+).
/// </summary>
public sealed class GlibcResolverModel : ResolverModel
{
    public GlibcResolverModel(ResolverSpec spec) : base(spec) { }

    /// <summary>RES_NOAAAA ("no-aaaa") exists from 2.36 (resolv/nss_dns/dns-host.c queries T_A only).</summary>
    public bool SupportsNoAaaa => Spec.Version >= new Version(2, 36);

    /// <summary>
    /// res_send.c, send_dg, SERVFAIL/NOTIMP/REFUSED branch: in single-request mode the second query has
    /// not been sent yet, so glibc no longer waits for its reply but closes the socket and goes to the
    /// next server or try at once (glibc bug 30081, "do not wait for non-existing second DNS response
    /// after error", on the 2.36 stable branch). Measured with Debian 12's 2.36-9+deb12u14: the A is
    /// re-sent on a new socket ~10 ms after its SERVFAIL and the AAAA never leaves. The stored
    /// 2.34-era send_dg still waits until the timeout; older versions are modelled that way.
    /// </summary>
    public bool SingleRequestErrorSkipsWait => Spec.Version >= new Version(2, 36);

    // h_errno values (netdb.h).
    private enum HErrno { None, HostNotFound, TryAgain, NoRecovery, NoData }

    private sealed record Answer(ServerResponseKind Kind, DnsQueryType Type);

    private sealed class Query
    {
        public required DnsQueryType Type { get; init; }
        public required int Identity { get; init; }
    }

    /// <summary>Per-lookup state: _res options that send_dg changes for the rest of the thread's lookups.</summary>
    private sealed class State
    {
        public required ResolverSettings Settings { get; init; }
        public required string[] Servers { get; init; }
        public bool SingleRequest;
        public bool SingleRequestReopen;
        public int RotateCounter;
        public TimeSpan Now;
        public bool Hung;
    }

    internal override IReadOnlyList<string> Candidates(string name, ResolverSettings settings)
    {
        // res_query.c, __res_context_search: dots counted over the name; a trailing dot or
        // dots >= ndots tries the name as is first; the search list follows unless the name has a
        // trailing dot; as-is last if not tried yet (skipped with no-tld-query for a dotless name).
        var dots = CountDots(name);
        var trailing = name.EndsWith('.');
        var list = new List<string>();
        var asIsFirst = dots >= settings.Ndots || trailing;
        if (asIsFirst) list.Add(name);
        var rootOnList = false;
        if (!trailing)
        {
            foreach (var domain in settings.Search)
            {
                var d = domain.StartsWith('.') ? domain[1..] : domain;
                if (d.Length == 0) rootOnList = true;
                list.Add(d.Length == 0 ? name + "." : name + "." + d);
            }
        }
        var searched = !trailing && settings.Search.Count > 0;
        if ((dots > 0 || !searched || !settings.NoTldQuery) && !(asIsFirst || rootOnList)) list.Add(name);
        return list;
    }

    internal override Outcome Run(string name, ResolverSettings settings, Simulation sim)
    {
        var state = new State
        {
            Settings = settings,
            Servers = settings.Nameservers.Select(Server).ToArray(),
            SingleRequest = settings.SingleRequest,
            SingleRequestReopen = settings.SingleRequestReopen,
        };
        var noAaaa = settings.NoAaaa && SupportsNoAaaa;
        if (settings.NoAaaa && !SupportsNoAaaa) sim.Notes.Add($"glibc {Spec.Version} ignores no-aaaa (2.36+).");
        if (settings.Rotate) sim.Notes.Add("rotate: glibc starts from a random server (nameserver_offset); the plan assumes the first.");
        if (settings.IgnoredOptions.Count > 0) sim.Notes.Add($"glibc ignores: {string.Join(' ', settings.IgnoredOptions)}.");

        var dots = CountDots(name);
        var trailing = name.EndsWith('.');
        var savedHerrno = HErrno.None;
        var triedAsIs = false;
        var gotNoData = false;
        var gotServfail = false;
        var rootOnList = false;
        var searched = false;
        var candidateIndex = 0;
        var last = HErrno.HostNotFound;

        Outcome? Done(QueryResult r, string candidate) => r.Success
            ? new Outcome(state.Now, LookupResult.Success, r.Addresses, Fqdn(candidate))
            : state.Hung ? new Outcome(state.Now, LookupResult.Hang, Array.Empty<DnsQueryType>(), null) : null;

        if (dots >= settings.Ndots || trailing)
        {
            var r = QueryDomain(name, state, sim, candidateIndex++, noAaaa);
            if (Done(r, name) is { } o) return o;
            if (trailing) return new Outcome(state.Now, Map(r.Herrno), Array.Empty<DnsQueryType>(), null);
            savedHerrno = r.Herrno;
            triedAsIs = true;
        }
        // RES_DEFNAMES and RES_DNSRCH are both on by default: search for dotless and dotted names alike.
        if (!trailing)
        {
            foreach (var domain in settings.Search)
            {
                searched = true;
                var d = domain.StartsWith('.') ? domain[1..] : domain;
                if (d.Length == 0) rootOnList = true;
                var candidate = d.Length == 0 ? name + "." : name + "." + d;
                var r = QueryDomain(candidate, state, sim, candidateIndex++, noAaaa);
                if (Done(r, candidate) is { } o) return o;
                last = r.Herrno;
                if (r.ConnectionRefused) return new Outcome(state.Now, LookupResult.TryAgain, Array.Empty<DnsQueryType>(), null);
                var stop = false;
                switch (r.Herrno)
                {
                    case HErrno.NoData: gotNoData = true; break;
                    case HErrno.HostNotFound: break;
                    case HErrno.TryAgain when r.FirstSlotRcode == ServerResponseKind.ServFail: gotServfail = true; break;
                    default: stop = true; break; // a timeout or another error ends the search; as-is is still tried
                }
                if (stop) break;
            }
        }
        if ((dots > 0 || !searched || !settings.NoTldQuery) && !(triedAsIs || rootOnList))
        {
            var r = QueryDomain(name, state, sim, candidateIndex++, noAaaa);
            if (Done(r, name) is { } o) return o;
            last = r.Herrno;
        }
        var final = savedHerrno != HErrno.None ? savedHerrno : gotNoData ? HErrno.NoData : gotServfail ? HErrno.TryAgain : last;
        return new Outcome(state.Now, Map(final), Array.Empty<DnsQueryType>(), null);
    }

    /// <summary>
    /// sysdeps/posix/getaddrinfo.c (gaih_inet) after nss_dns: TRY_AGAIN → EAI_AGAIN, NO_DATA → EAI_NODATA,
    /// anything else → EAI_NONAME.
    /// </summary>
    private static LookupResult Map(HErrno h) => h switch
    {
        HErrno.TryAgain => LookupResult.TryAgain,
        HErrno.NoData => LookupResult.NoData,
        _ => LookupResult.NoName,
    };

    private sealed record QueryResult(bool Success, IReadOnlyList<DnsQueryType> Addresses, HErrno Herrno, ServerResponseKind FirstSlotRcode, bool ConnectionRefused);

    /// <summary>__res_context_querydomain + __res_context_query for one candidate: A and AAAA built once (same IDs on every try).</summary>
    private QueryResult QueryDomain(string candidate, State state, Simulation sim, int candidateIndex, bool noAaaa)
    {
        var fqdn = Fqdn(candidate);
        if (!DnsWire.CanEncodeName(fqdn))
        {
            // res_query.c: __res_context_query gets n <= 0 from __res_context_mkquery (ns_name_pton refuses an empty or
            // 64+ byte label, and a name over 255 bytes) and sets NO_RECOVERY without sending; in the search loop that
            // ends the search ("anything else implies that we're done"), the name as is is still tried. Measured with
            // glibc 2.36: search with a 64-byte label stops there and only the bare name is queried; "a..b" sends nothing (-2).
            sim.Notes.Add($"'{fqdn}' cannot be put in a query (a label empty or over 63 bytes, or over 255 bytes on the wire): res_mkquery fails, NO_RECOVERY, nothing is sent.");
            return new QueryResult(false, Array.Empty<DnsQueryType>(), HErrno.NoRecovery, ServerResponseKind.NoData, false);
        }
        sim.NewCandidate();
        var q1 = new Query { Type = DnsQueryType.A, Identity = sim.NewIdentity() };
        var q2 = noAaaa ? null : new Query { Type = DnsQueryType.AAAA, Identity = sim.NewIdentity() };
        var send = ContextSend(fqdn, q1, q2, state, sim, FirstReason(candidateIndex));
        if (state.Hung) return new QueryResult(false, Array.Empty<DnsQueryType>(), HErrno.TryAgain, ServerResponseKind.NoData, false);
        if (send.N < 0)
            return new QueryResult(false, Array.Empty<DnsQueryType>(), HErrno.TryAgain, send.FirstSlotRcode, send.ConnectionRefused);

        // __res_context_query: judge both answers; the second only if it is a full header.
        var hp = send.Slot1;
        var hp2 = send.Slot2;
        if (hp2 is null) hp2 = hp;
        else if (hp is null) hp = hp2;
        if (hp is null || hp2 is null) return new QueryResult(false, Array.Empty<DnsQueryType>(), HErrno.TryAgain, send.FirstSlotRcode, false);
        var data = new[] { send.Slot1, send.Slot2 }.Where(a => a is { Kind: ServerResponseKind.Answer }).Select(a => a!.Type).Distinct().ToArray();
        if (data.Length > 0) return new QueryResult(true, data, HErrno.None, hp.Kind, false);
        var rcode = IsNoError(hp.Kind) ? hp2.Kind : hp.Kind;
        var h = rcode switch
        {
            ServerResponseKind.NxDomain => HErrno.HostNotFound,
            ServerResponseKind.ServFail => HErrno.TryAgain,
            ServerResponseKind.NoData or ServerResponseKind.Answer or ServerResponseKind.Truncated => HErrno.NoData,
            _ => HErrno.NoRecovery,
        };
        return new QueryResult(false, Array.Empty<DnsQueryType>(), h, hp.Kind, false);
    }

    private static bool IsNoError(ServerResponseKind k) => k is ServerResponseKind.Answer or ServerResponseKind.NoData or ServerResponseKind.Truncated;

    private sealed class SendResult
    {
        public int N;                    // <0 error, 0 nothing usable, >0 resplen of the first slot
        public bool Resplen2;            // a usable second answer
        public Answer? Slot1, Slot2;
        public bool Truncated;
        public ServerResponseKind FirstSlotRcode = ServerResponseKind.NoData; // "hp->rcode = NOERROR" before sending
        public bool ConnectionRefused;
        public bool TimedOut;
    }

    /// <summary>
    /// res_send.c, __res_context_send: for each try (attempts) × each server (from the rotate offset):
    /// UDP send_dg, or TCP send_vc with use-vc or after TC=1 (goto same_ns). Sockets stay open across
    /// tries and are closed when the call returns.
    /// </summary>
    private SendResult ContextSend(string fqdn, Query q1, Query? q2, State state, Simulation sim, QueryReason firstReason)
    {
        var s = state.Settings;
        var nscount = state.Servers.Length;
        var sockets = new int?[nscount];
        var offset = s.Rotate ? state.RotateCounter++ % nscount : 0;
        var result = new SendResult();
        var gotSomewhere = false;
        var reason = firstReason;
        var vCircuit = s.UseTcp;
        void CloseAll()
        {
            for (var i = 0; i < nscount; i++)
                if (sockets[i] is { } sock) { sim.Close(sock, state.Now); sockets[i] = null; }
        }
        for (var attempt = 0; attempt < s.Attempts; attempt++)
        {
            for (var shift = 0; shift < nscount; shift++)
            {
                var ns = (shift + offset) % nscount;
                if (attempt > 0 || shift > 0)
                    reason = shift > 0 ? QueryReason.NextServer : result.TimedOut ? QueryReason.RetryAfterTimeout : QueryReason.RetryAfterError;
                while (true) // same_ns
                {
                    var r = vCircuit
                        ? SendVc(fqdn, q1, q2, ns, state, sim, result.Truncated ? QueryReason.TcpAfterTruncation : reason, result)
                        : SendDg(fqdn, q1, q2, ns, state, sim, sockets, reason, result, ref gotSomewhere);
                    if (state.Hung) return result;
                    if (r.N == 0 && !r.Resplen2) break; // next_ns
                    if (!vCircuit && r.Truncated)
                    {
                        vCircuit = true; // TC: both queries again over TCP to the same server
                        CloseAll();
                        continue;
                    }
                    CloseAll();
                    return r;
                }
            }
        }
        CloseAll();
        result.N = -1;
        result.ConnectionRefused = !gotSomewhere && !vCircuit;
        return result;
    }

    /// <summary>
    /// res_send.c, send_dg: per-server timeout retrans &lt;&lt; ns (divided by the server count for
    /// ns &gt; 0, at least 1 s); one connected UDP socket per server; A and AAAA together by sendmmsg,
    /// or one after the other in single-request mode (a new socket before the second with
    /// single-request-reopen); replies matched by ID and question; SERVFAIL/NOTIMP/REFUSED with the
    /// other answer in hand returns at once; a timeout with one answer switches the thread to
    /// single-request, then single-request-reopen, restarting the exchange each time.
    /// </summary>
    private SendResult SendDg(string fqdn, Query q1, Query? q2, int ns, State state, Simulation sim, int?[] sockets,
        QueryReason reason, SendResult result, ref bool gotSomewhere)
    {
        var s = state.Settings;
        var server = state.Servers[ns];
        var seconds = s.TimeoutSeconds << ns;
        if (ns > 0) seconds /= state.Servers.Length;
        if (seconds <= 0) seconds = 1;
        var singleReopen = state.SingleRequestReopen;
        var single = state.SingleRequest || singleReopen;
        result.Truncated = false;
        result.TimedOut = false;

    retryReopen:
        sockets[ns] ??= sim.Open();
    retry:
        var deadline = state.Now + TimeSpan.FromSeconds(seconds);
        var recv1 = false;
        var recv2 = q2 is null;
        var resplen = 0;
        result.Slot1 = null;
        result.Slot2 = null;
        result.Resplen2 = false;
        if (!single && q2 is not null)
        {
            sim.Send(state.Now, fqdn, q1.Type, server, DnsTransport.Udp, sockets[ns]!.Value, reason, q1.Identity);
            sim.Send(state.Now, fqdn, q2.Type, server, DnsTransport.Udp, sockets[ns]!.Value, reason, q2.Identity);
        }
        else sim.Send(state.Now, fqdn, q1.Type, server, DnsTransport.Udp, sockets[ns]!.Value, reason, q1.Identity);

        while (true)
        {
            var reply = sim.Next(sockets[ns]!.Value, state.Now, deadline);
            if (reply is null)
            {
                state.Now = deadline;
                if (resplen > 1 && (recv1 || (q2 is not null && recv2)))
                {
                    if (!single)
                    {
                        state.SingleRequest = single = true;
                        reason = QueryReason.SingleRequestFallback;
                        goto retry;
                    }
                    if (!singleReopen)
                    {
                        state.SingleRequestReopen = singleReopen = true;
                        reason = QueryReason.ReopenFallback;
                        sim.Close(sockets[ns]!.Value, state.Now);
                        sockets[ns] = null;
                        goto retryReopen;
                    }
                    // Give up on the second answer: return the first alone.
                    result.N = resplen;
                    result.Slot2 = null;
                    return result;
                }
                gotSomewhere = true;
                result.TimedOut = true;
                result.N = 0;
                result.Resplen2 = false;
                return result;
            }
            state.Now = reply.At;
            var matching = !recv1 && reply.Identity == q1.Identity ? 1 : 0;
            if (q2 is not null && !recv2 && reply.Identity == q2.Identity) matching = 2;
            if (matching == 0)
            {
                reply.Handle("ignored: no outstanding query matches");
                continue;
            }
            gotSomewhere = true;
            var firstSlot = !recv1 && !(q2 is not null && recv2);
            if (firstSlot) result.FirstSlotRcode = reply.Kind;
            if (reply.Kind is ServerResponseKind.ServFail or ServerResponseKind.Refused)
            {
                if (recv1 || (q2 is not null && recv2))
                {
                    reply.Handle(resplen > 1 ? $"{reply.Kind}: the other answer is in hand, returned with it" : $"{reply.Kind} after an unusable first reply: next server");
                    result.N = resplen;
                    result.Resplen2 = false;
                    result.Slot2 = null;
                    return result;
                }
                if (q2 is not null && !(single && SingleRequestErrorSkipsWait))
                {
                    resplen = 0;
                    if (matching == 1) recv1 = true; else recv2 = true;
                    reply.Handle($"{reply.Kind}: no data, waits for the other reply");
                    continue;
                }
                reply.Handle($"{reply.Kind}: next server");
                for (var i = 0; i < sockets.Length; i++)
                    if (sockets[i] is { } open) { sim.Close(open, state.Now); sockets[i] = null; }
                result.N = 0;
                return result;
            }
            if (reply.Kind == ServerResponseKind.Truncated)
            {
                reply.Handle("TC=1: both queries again over TCP");
                result.Truncated = true;
                result.N = 1;
                return result;
            }
            var answer = new Answer(reply.Kind, matching == 1 ? q1.Type : q2!.Type);
            if (firstSlot) { result.Slot1 = answer; resplen = 2; }
            else { result.Slot2 = answer; result.Resplen2 = true; }
            if (matching == 1) recv1 = true; else recv2 = true;
            reply.Handle("accepted");
            if (recv1 && recv2)
            {
                result.N = resplen;
                return result;
            }
            if (single)
            {
                // The second query goes out once the first is answered (buf2 after nwritten != 0).
                if (singleReopen)
                {
                    sim.Close(sockets[ns]!.Value, state.Now);
                    sockets[ns] = sim.Open();
                }
                sim.Send(state.Now, fqdn, q2!.Type, server, DnsTransport.Udp, sockets[ns]!.Value, QueryReason.AfterOtherType, q2.Identity);
            }
        }
    }

    /// <summary>
    /// res_send.c, send_vc: a TCP connection, both queries written together (length-prefixed), both
    /// answers read back whatever their rcode. The reads have no timeout: a server that never answers
    /// hangs the lookup. A connection reset while reading (ECONNRESET) connects to the same server
    /// once more ("connreset": goto same_ns); a second reset, or a refused connect, returns 0 at
    /// once and the caller moves to the next server (next_ns) — no waiting.
    /// </summary>
    private SendResult SendVc(string fqdn, Query q1, Query? q2, int ns, State state, Simulation sim, QueryReason reason, SendResult result)
    {
        var server = state.Servers[ns];
        var connreset = false;
    same_ns:
        var sock = sim.Open();
        var queries = q2 is null ? new[] { q1 } : new[] { q1, q2 };
        foreach (var q in queries) sim.Send(state.Now, fqdn, q.Type, server, DnsTransport.Tcp, sock, reason, q.Identity);
        result.Slot1 = null;
        result.Slot2 = null;
        result.Resplen2 = false;
        result.Truncated = false;
        var pending = queries.Select(q => q.Identity).ToHashSet();
        while (pending.Count > 0)
        {
            var reply = sim.Next(sock, state.Now, Horizon);
            if (reply is null)
            {
                state.Hung = true;
                sim.Notes.Add("glibc send_vc reads without a timeout: a TCP query the server never answers blocks the lookup.");
                return result;
            }
            state.Now = reply.At;
            if (reply.Kind is ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused)
            {
                sim.Close(sock, state.Now);
                // A refused connect returns 0 at once ("if (connect(...) < 0) ... return (0)"); only a reset read retries.
                if (reply.Kind == ServerResponseKind.Reset && !connreset)
                {
                    reply.Handle("connection reset: send_vc connects to the same server once more");
                    connreset = true;
                    reason = QueryReason.RetryAfterError;
                    goto same_ns;
                }
                reply.Handle(reply.Kind == ServerResponseKind.Reset ? "connection reset again: send_vc returns 0, next server" : "connection refused: send_vc returns 0, next server");
                result.N = 0;
                result.Resplen2 = false;
                result.Slot1 = null;
                result.Slot2 = null;
                return result;
            }
            if (!pending.Remove(reply.Identity)) { reply.Handle("ignored"); continue; }
            var answer = new Answer(reply.Kind, queries.First(q => q.Identity == reply.Identity).Type);
            if (result.Slot1 is null) { result.Slot1 = answer; result.FirstSlotRcode = reply.Kind; }
            else { result.Slot2 = answer; result.Resplen2 = true; }
            reply.Handle("accepted");
        }
        sim.Close(sock, state.Now);
        result.N = 2;
        return result;
    }
}
