using DnsTools.Core.Dns;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// musl's resolver (src/network/lookup_name.c, res_msend.c). Version differences, each proven on a
/// real build (tests/Pester/Conformance, real-build cells: musl 1.1.12 and 1.2.1 built from the tags,
/// Alpine 3.8–3.20's musl 1.1.19–1.2.5):
/// before 1.1.3 every reply accepted whatever its rcode (source only: no older build here);
/// 1.1.3 on SERVFAIL re-sent at once; before 1.1.13 no search list and "no records" is EAI_FAIL;
/// 1.1.13 on the search list and EAI_NONAME for "no records"; before 1.2.1 an A-only rcode check
/// (A answered + AAAA failed = success); 1.2.1 on a per-query rcode check (either query failing fails
/// the candidate); 1.2.4 on TCP after a truncated UDP answer and EAI_NODATA for "no data".
/// </summary>
public sealed class MuslResolverModel : ResolverModel
{
    public MuslResolverModel(ResolverSpec spec) : base(spec) { }

    private static readonly Version V1_1_3 = new(1, 1, 3), V1_1_13 = new(1, 1, 13), V1_2_1 = new(1, 2, 1), V1_2_4 = new(1, 2, 4);

    /// <summary>
    /// Search list and ndots (lookup_name.c, name_from_dns_search) arrived in 1.1.13; before, __lookup_name
    /// sent the bare name only (bminor/musl @01dc3f4f). Real builds: 1.1.12 queries the bare name only,
    /// 1.1.19 walks the search list. With the same rework name_from_dns maps rcode 0 without records to
    /// EAI_NONAME; 1.1.12's returns EAI_FAIL for it (rcode 3 gives EAI_NONAME, anything else
    /// EAI_FAIL), which the real 1.1.12 does (A and AAAA NOERROR without records: rc -4).
    /// </summary>
    public bool HasSearch => Spec.Version >= V1_1_13;

    /// <summary>
    /// res_msend.c (__res_msend_rc): only rcode 0 and 3 are accepted, SERVFAIL is re-sent at once
    /// (budget servfail_retry = 2 × queries per retry window), other rcodes ignored. Since 1.1.3 (musl
    /// WHATSNEW 1.1.3: "treat dns rcode=2 as temporary failure, not negative result"); the real 1.1.12
    /// re-sends AAAA after SERVFAIL four times per retry window, as 1.1.24 does. Releases before 1.1.3
    /// (no build here) accept every reply.
    /// </summary>
    public bool RetriesServfail => Spec.Version >= V1_1_3;

    /// <summary>
    /// lookup_name.c (name_from_dns): from 1.2.1 every answer's rcode is checked in order A, AAAA; a
    /// missing or SERVFAIL one gives EAI_AGAIN even when the other has addresses (musl commit 5cf1ac24,
    /// "fix handling of errors resolving one of paired A/AAAA query", first released in 1.2.1). Real
    /// builds: 1.2.1 (from the tag) returns EAI_AGAIN for A answered + AAAA SERVFAIL, 1.1.24 (Alpine
    /// 3.12) returns the A address. Before, addresses from either answer won.
    /// </summary>
    public bool ChecksEveryRcode => Spec.Version >= V1_2_1;

    /// <summary>
    /// A candidate __res_mkquery refuses (an empty or 64+ byte label, over 253 bytes: res_mkquery.c): from 1.2.4
    /// name_from_dns returns 0 and the search goes on to the next candidate; before, it returns EAI_NONAME and the
    /// whole lookup fails at once (lookup_name.c). Measured with the real musl of Alpine 3.13 (1.2.2) and 3.17
    /// (1.2.3): -2 with no query; 3.18 (1.2.4): the next candidates are queried.
    /// </summary>
    public bool SkipsUnencodableCandidate => Spec.Version >= V1_2_4;

    /// <summary>res_msend.c (start_tcp) 1.2.4+: a TC=1 UDP answer is retried over TCP for that query.</summary>
    public bool TcpFallback => Spec.Version >= V1_2_4;

    /// <summary>
    /// Before 1.1.13 there was no __get_resolv_conf: res_msend.c read /etc/resolv.conf itself in a loop
    /// that ends at the third nameserver ("for (nns=0; nns&lt;3 &amp;&amp; fgets(...);)"), so an options line after
    /// three nameservers is never read. The real 1.1.12 keeps 5 s and 2 attempts for "nameserver ×3, then
    /// options timeout:2 attempts:1" (three-nameservers-silent); 1.1.19 reads it.
    /// </summary>
    public override ResolverSettings SettingsFor(DnsTools.Core.ResolvConf.ResolvConf conf)
    {
        if (HasSearch) return conf.Musl;
        var lines = new List<string>();
        var nameservers = 0;
        foreach (var line in conf.Lines)
        {
            if (nameservers >= ResolvConfParser.MaxNameservers) break;
            lines.Add(line.Text);
            var fields = ResolvConfParser.SplitFields(line.Text);
            if (line.Text.StartsWith("nameserver", StringComparison.Ordinal) && fields.Length > 1 && fields[0] == "nameserver"
                && ResolvConfParser.TryParseNameserver(fields[1], out _, out _, out _))
                nameservers++;
        }
        return lines.Count == conf.Lines.Count ? conf.Musl : ResolvConfParser.Parse(string.Join('\n', lines) + "\n").Musl;
    }

    internal override IReadOnlyList<string> Candidates(string name, ResolverSettings settings)
    {
        // lookup_name.c, name_from_dns_search: dots counted over the whole name (a trailing dot
        // included); dots >= ndots or a trailing dot empties the search list; the bare name is last.
        var l = name.Length;
        var dots = CountDots(name);
        var list = new List<string>();
        if (name.EndsWith('.')) l--;
        if (l == 0 || name[l - 1] == '.') return list; // several trailing dots: EAI_NONAME, no query
        if (HasSearch && dots < settings.Ndots && !name.EndsWith('.'))
        {
            foreach (var domain in settings.Search)
            {
                // A candidate that does not fit the 256-byte canon buffer is skipped.
                if (domain.Length < 256 - l - 1) list.Add(name + "." + domain);
            }
        }
        list.Add(name);
        return list;
    }

    internal override Outcome Run(string name, ResolverSettings settings, Simulation sim)
    {
        if (!ChecksEveryRcode) sim.Notes.Add($"musl {Spec.Version}: addresses from either answer win (A-only rcode check, before 1.2.1).");
        if (!HasSearch) sim.Notes.Add($"musl {Spec.Version}: before 1.1.13 there is no search list; only the name as given is queried.");
        if (settings.IgnoredOptions.Count > 0) sim.Notes.Add($"musl ignores: {string.Join(' ', settings.IgnoredOptions)}.");
        var candidates = Candidates(name, settings);
        var now = TimeSpan.Zero;
        if (candidates.Count == 0) return new Outcome(now, LookupResult.NoName, Array.Empty<DnsQueryType>(), null);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!DnsWire.CanEncodeName(candidates[i]))
            {
                if (SkipsUnencodableCandidate)
                {
                    sim.Notes.Add($"'{Fqdn(candidates[i])}' cannot be put in a query (a label empty or over 63 bytes, or over 253 bytes): res_mkquery fails and musl {Spec.Version} moves on to the next candidate.");
                    continue;
                }
                sim.Notes.Add($"'{Fqdn(candidates[i])}' cannot be put in a query (a label empty or over 63 bytes, or over 253 bytes): res_mkquery fails and musl {Spec.Version} fails the whole lookup with EAI_NONAME (1.2.4 skips the candidate instead).");
                return new Outcome(now, LookupResult.NoName, Array.Empty<DnsQueryType>(), null);
            }
            sim.NewCandidate();
            var (end, result, addresses) = NameFromDns(Fqdn(candidates[i]), settings, sim, now, FirstReason(i));
            now = end;
            // name_from_dns_search: only 0 (NXDOMAIN on the checked answer) moves on to the next domain.
            if (result is null) continue;
            return new Outcome(now, result.Value, addresses, result == LookupResult.Success ? Fqdn(candidates[i]) : null);
        }
        return new Outcome(now, LookupResult.NoName, Array.Empty<DnsQueryType>(), null);
    }

    private sealed class Query
    {
        public required DnsQueryType Type { get; init; }
        public required int Identity { get; init; }
        public ServerResponseKind? Accepted { get; set; }
        public bool OverTcp { get; set; }
    }

    /// <summary>One candidate: name_from_dns + __res_msend_rc. Returns null for "not found here, go on".</summary>
    private (TimeSpan End, LookupResult? Result, IReadOnlyList<DnsQueryType> Addresses) NameFromDns(
        string fqdn, ResolverSettings settings, Simulation sim, TimeSpan start, QueryReason firstReason)
    {
        // name_from_dns: A then AAAA, built with __res_mkquery, sent as one batch.
        var queries = new[]
        {
            new Query { Type = DnsQueryType.A, Identity = sim.NewIdentity() },
            new Query { Type = DnsQueryType.AAAA, Identity = sim.NewIdentity() },
        };
        var servers = settings.Nameservers.Select(Server).ToArray();

        // __res_msend_rc: one UDP socket bound to port 0 for the whole batch; timeout in ms,
        // retry_interval = timeout / attempts (integer division); t1 starts one interval back so the
        // first pass goes out at t0.
        var timeout = TimeSpan.FromMilliseconds(1000L * settings.TimeoutSeconds);
        var attempts = Math.Max(1, settings.Attempts);
        var retry = TimeSpan.FromMilliseconds(Math.Max(1, 1000L * settings.TimeoutSeconds / attempts));
        var udp = sim.Open();
        var sockets = new List<int> { udp };
        var t0 = start;
        var t2 = start;
        var t1 = t2 - retry;
        var servfailRetry = 0;
        var firstPass = true;
        var finished = false;

        while (!finished && t2 - t0 < timeout)
        {
            if (t2 - t1 >= retry)
            {
                // "Query all configured nameservers in parallel": every unanswered query to every server.
                foreach (var q in queries.Where(q => q.Accepted is null && !q.OverTcp))
                    foreach (var s in servers)
                        sim.Send(t2, fqdn, q.Type, s, DnsTransport.Udp, udp, firstPass ? firstReason : QueryReason.RetryAfterTimeout, q.Identity);
                firstPass = false;
                t1 = t2;
                if (RetriesServfail) servfailRetry = 2 * queries.Length;
            }
            // poll until the next retry point, then drain every datagram that has arrived.
            var pollEnd = t1 + retry;
            var reply = sim.Next(sockets, t2, pollEnd);
            if (reply is null)
            {
                t2 = pollEnd;
                continue;
            }
            t2 = reply.At;
            while (reply is not null && !finished)
            {
                finished = Receive(reply, queries, fqdn, sim, sockets, t2, ref servfailRetry);
                reply = finished ? null : sim.Next(sockets, t2, t2 + TimeSpan.FromTicks(1));
            }
        }
        foreach (var s in sockets) sim.Close(s, t2);

        return (t2, Evaluate(queries, out var addresses), addresses);
    }

    /// <summary>One datagram (or TCP answer) read in __res_msend_rc's receive loop. True when the batch ends.</summary>
    private bool Receive(SimReply reply, Query[] queries, string fqdn, Simulation sim, List<int> sockets, TimeSpan now, ref int servfailRetry)
    {
        // Matched by the 16-bit ID only; an answer to an already answered query is dropped.
        var q = queries.FirstOrDefault(x => x.Identity == reply.Identity);
        if (q is null || q.Accepted is not null)
        {
            reply.Handle("ignored: that query is already answered");
            return false;
        }
        if (reply.Query.Transport == DnsTransport.Tcp)
        {
            // 1.2.4+: a TCP answer counts only with rcode 0 or 3; anything else ends the batch.
            if (reply.Kind is ServerResponseKind.Answer or ServerResponseKind.NxDomain or ServerResponseKind.NoData)
            {
                q.Accepted = reply.Kind;
                reply.Handle("accepted");
                return queries.All(x => x.Accepted is not null);
            }
            reply.Handle($"TCP answer with {reply.Kind}: the batch ends");
            return true;
        }
        if (!RetriesServfail)
        {
            // Before 1.1.3: the first reply with a matching ID is stored, whatever its rcode.
            q.Accepted = reply.Kind;
            reply.Handle("accepted (rcode not checked)");
            return queries.All(x => x.Accepted is not null);
        }
        switch (reply.Kind)
        {
            case ServerResponseKind.Answer or ServerResponseKind.NxDomain or ServerResponseKind.NoData:
                q.Accepted = reply.Kind;
                reply.Handle("accepted");
                break;
            case ServerResponseKind.Truncated when TcpFallback:
                // res_msend.c 1.2.4+ (start_tcp): TC=1 starts a TCP exchange with the server that answered.
                q.OverTcp = true;
                var tcp = sim.Open();
                sockets.Add(tcp);
                sim.Send(now, fqdn, q.Type, reply.Server, DnsTransport.Tcp, tcp, QueryReason.TcpAfterTruncation, q.Identity);
                reply.Handle("TC=1: retried over TCP");
                return false;
            case ServerResponseKind.Truncated:
                // 1.2.3 and earlier: no TC check; NOERROR is accepted as it is (an empty answer here).
                q.Accepted = ServerResponseKind.NoData;
                reply.Handle("accepted as it is (no TCP before 1.2.4): no records");
                break;
            case ServerResponseKind.ServFail:
                if (servfailRetry > 0)
                {
                    servfailRetry--;
                    sim.Send(now, fqdn, q.Type, reply.Server, DnsTransport.Udp, reply.Socket, QueryReason.ResendAfterServfail, q.Identity);
                    reply.Handle("SERVFAIL not accepted: re-sent at once");
                }
                else reply.Handle("SERVFAIL not accepted: re-send budget of this window used");
                return false;
            default:
                reply.Handle($"{reply.Kind} ignored: keeps waiting");
                return false;
        }
        return queries.All(x => x.Accepted is not null);
    }

    /// <summary>name_from_dns after the batch: null = NXDOMAIN, search goes on.</summary>
    private LookupResult? Evaluate(Query[] queries, out IReadOnlyList<DnsQueryType> addresses)
    {
        var withData = queries.Where(q => q.Accepted == ServerResponseKind.Answer).Select(q => q.Type).ToArray();
        addresses = Array.Empty<DnsQueryType>();
        if (ChecksEveryRcode)
        {
            // In order A, AAAA: no answer or SERVFAIL -> EAI_AGAIN; NXDOMAIN -> 0; other rcode -> EAI_FAIL.
            foreach (var q in queries)
            {
                if (q.Accepted is null or ServerResponseKind.ServFail) return LookupResult.TryAgain;
                if (q.Accepted == ServerResponseKind.NxDomain) return null;
                if (q.Accepted == ServerResponseKind.Refused) return LookupResult.Fail;
            }
            if (withData.Length > 0) { addresses = withData; return LookupResult.Success; }
            return TcpFallback ? LookupResult.NoData : LookupResult.NoName;
        }
        // Older name_from_dns: any address wins; otherwise only the A answer's rcode decides
        // (rcode 0 without records: EAI_NONAME from 1.1.13, EAI_FAIL before).
        if (withData.Length > 0) { addresses = withData; return LookupResult.Success; }
        return queries[0].Accepted switch
        {
            null or ServerResponseKind.ServFail => LookupResult.TryAgain,
            ServerResponseKind.NoData or ServerResponseKind.Answer or ServerResponseKind.Truncated => HasSearch ? LookupResult.NoName : LookupResult.Fail,
            ServerResponseKind.NxDomain => null,
            _ => LookupResult.Fail,
        };
    }
}
