using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// uClibc-ng's resolver, from its source (libc/inet/resolv.c, __dns_lookup and __open_nameservers;
/// libc/inet/getaddrinfo.c, gaih_inet; read at kraj/uclibc-ng @ee245184) and proven against the real
/// static busybox:1.38.0-uclibc applets (tests/Pester/Conformance, the real-build cells).
/// The facts the model encodes (kept here so rule pages can be reconciled with them):
/// <list type="bullet">
/// <item>getaddrinfo(AF_UNSPEC) looks up AAAA first (gethostbyname2_r(AF_INET6)), then A
/// (gethostbyname_r), each a complete search of its own: never in parallel, never sharing a socket.</item>
/// <item>No ndots: a name containing a dot is tried as given first, then with each search domain;
/// a name without a dot tries the search domains first and itself last. A trailing dot stops the search.</item>
/// <item>Every query gets a new UDP socket (socket + connect per try), so its own source port.</item>
/// <item>NXDOMAIN or SERVFAIL moves on to the next search name at once; NXDOMAIN on the last one fails
/// that type; SERVFAIL on the last one, REFUSED or other rcodes, or no reply within the timeout
/// ("try_next_server") start the whole list again on the next nameserver, for nameservers × attempts
/// passes. NOERROR without records (NODATA) fails that type at once, without trying the search list.</item>
/// <item>resolv.conf: only the first word of an "options" line is read, and only timeout:N or
/// attempts:N (defaults 5 s and 3 tries per server, as the real build does) — "options ndots:5 timeout:1"
/// keeps the 5 s timeout.</item>
/// <item>No TCP: a truncated answer without records is NODATA. No EDNS, RD set, random IDs (dnsrand_next).</item>
/// <item>The nameserver index is static across lookups (last_ns_num): the A search starts on the server
/// the AAAA search ended on.</item>
/// <item>Any DNS failure is reported to gaih_inet as HOST_NOT_FOUND (gethostbyname2_r), so a lookup that finds
/// no address returns EAI_NONAME; the busybox applets only show success or failure, so the EAI code is
/// from the source, not observed.</item>
/// </list>
/// </summary>
public sealed class UClibcNgResolverModel : ResolverModel
{
    public UClibcNgResolverModel(ResolverSpec spec) : base(spec) { }

    internal override IReadOnlyList<string> Candidates(string name, ResolverSettings settings)
    {
        var list = new List<string>();
        var containsDot = name.Contains('.');
        var endsWithDot = name.EndsWith('.');
        var sdomains = settings.Search.Count;
        // __dns_lookup: act_variant = contains_dot ? variant : variant + 1, variant from -1 while the
        // answer is NXDOMAIN/SERVFAIL and variant < sdomains - 1 (never when the name ends with a dot).
        var variant = -1;
        while (true)
        {
            var act = containsDot ? variant : variant + 1;
            list.Add(act >= 0 && act < sdomains ? name + "." + settings.Search[act] : name);
            if (endsWithDot || variant >= sdomains - 1) break;
            variant++;
        }
        return list;
    }

    internal override Outcome Run(string name, ResolverSettings settings, Simulation sim)
    {
        sim.Notes.Add("uClibc-ng: AAAA for every candidate first, then A; one query at a time, each from a new socket; no TCP.");
        if (settings.IgnoredOptions.Count > 0) sim.Notes.Add($"uClibc-ng reads only the first word of an options line (timeout:/attempts:); ignored: {string.Join(' ', settings.IgnoredOptions)}.");
        var now = TimeSpan.Zero;
        var lastServer = 0;
        var addresses = new List<DnsQueryType>();
        string? answered = null;
        var first = true;
        foreach (var type in new[] { DnsQueryType.AAAA, DnsQueryType.A })
        {
            var (end, found, answeredName) = DnsLookup(name, type, settings, sim, now, ref lastServer, first);
            first = false;
            now = end;
            if (found)
            {
                addresses.Add(type);
                answered ??= answeredName;
            }
        }
        // getaddrinfo lists the AAAA addresses first; the plan lists A first like the other models.
        addresses.Sort();
        return addresses.Count > 0
            ? new Outcome(now, LookupResult.Success, addresses, answered)
            : new Outcome(now, LookupResult.NoName, Array.Empty<DnsQueryType>(), null);
    }

    /// <summary>One __dns_lookup: the whole candidate list for one type, sequentially.</summary>
    private (TimeSpan End, bool Found, string? Name) DnsLookup(string name, DnsQueryType type, ResolverSettings settings, Simulation sim, TimeSpan start, ref int lastServer, bool firstType)
    {
        sim.NewCandidate();
        var servers = settings.Nameservers.Select(Server).ToArray();
        var containsDot = name.Contains('.');
        var endsWithDot = name.EndsWith('.');
        var sdomains = settings.Search.Count;
        var timeout = TimeSpan.FromMilliseconds(1000L * settings.TimeoutSeconds);
        var retriesLeft = servers.Length * settings.Attempts;
        var serverIndex = lastServer;
        var variant = -1;
        var now = start;
        var reason = firstType ? QueryReason.FirstTry : QueryReason.AfterOtherType;
        while (true)
        {
            var act = containsDot ? variant : variant + 1;
            var lookup = act >= 0 && act < sdomains ? name + "." + settings.Search[act] : name;
            if (serverIndex >= servers.Length) serverIndex = 0;
            lastServer = serverIndex;
            var socket = sim.Open();
            sim.Send(now, Fqdn(lookup), type, servers[serverIndex], DnsTransport.Udp, socket, reason, sim.NewIdentity());
            var reply = sim.Next(socket, now, now + timeout);
            bool nextServer;
            if (reply is null)
            {
                now += timeout;
                sim.Close(socket, now);
                nextServer = true;
            }
            else
            {
                now = reply.At;
                sim.Close(socket, now);
                switch (reply.Kind)
                {
                    case ServerResponseKind.NxDomain or ServerResponseKind.ServFail when !endsWithDot && variant < sdomains - 1:
                        reply.Handle($"{reply.Kind}: next search name");
                        variant++;
                        reason = QueryReason.NextCandidate;
                        // A `continue` in __dns_lookup's do-while re-checks retries_left.
                        if (retriesLeft > 0) continue;
                        return (now, false, null);
                    case ServerResponseKind.NxDomain:
                        reply.Handle("NXDOMAIN on the last name: this type is not found");
                        return (now, false, null);
                    case ServerResponseKind.Answer:
                        reply.Handle("accepted");
                        return (now, true, Fqdn(lookup));
                    case ServerResponseKind.NoData or ServerResponseKind.Truncated:
                        reply.Handle("no records (NO_DATA): this type fails, the search list is not tried");
                        return (now, false, null);
                    default:
                        reply.Handle($"{reply.Kind}: the whole list again on the next nameserver");
                        nextServer = true;
                        break;
                }
            }
            if (nextServer)
            {
                // try_next_server: retries_left--, next nameserver, back to the first candidate.
                retriesLeft--;
                serverIndex++;
                variant = -1;
                reason = servers.Length > 1 ? QueryReason.NextServer : QueryReason.RetryAfterTimeout;
                if (reply is not null) reason = QueryReason.RetryAfterError;
                if (retriesLeft <= 0) return (now, false, null);
            }
        }
    }
}
