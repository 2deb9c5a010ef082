using System.Globalization;

namespace DnsTools.Core.Diagnosis;

/// <summary>One finding about a lookup: a stable code, plain words, the evidence and what would help.</summary>
public sealed record DnsDiagnosis(string Code, string Title, string Explanation, IReadOnlyList<string> Evidence, IReadOnlyList<string> Mitigations)
{
    public override string ToString() => $"{Code} {Title}: {Explanation}";
}

/// <summary>The resolver behind a lookup, as far as it matters for advice.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ObservedResolver
{
    Unknown,
    Musl,
    Glibc,
    Go,
    /// <summary>uClibc-ng: one query at a time, each from its own port, AAAA before A.</summary>
    UClibcNg,
}

/// <summary>One getaddrinfo-like lookup: its queries in order, how it ended, and the diagnosis.</summary>
public sealed class ObservedLookup
{
    public required string Name { get; init; }
    public required string Client { get; init; }
    public ObservedResolver Resolver { get; init; }
    /// <summary>How the resolver was known: "replayed" (the probe) or the evidence it was inferred from.</summary>
    public string ResolverEvidence { get; init; } = string.Empty;
    internal TimeSpan Start { get; init; }
    internal TimeSpan Duration { get; init; }
    public double StartMs => Start.TotalMilliseconds;
    public double DurationMs => Duration.TotalMilliseconds;
    public required string Outcome { get; init; }
    public string? AnsweredName { get; init; }
    public required IReadOnlyList<ObservedQuery> Queries { get; init; }
    public IReadOnlyList<DnsDiagnosis> Diagnoses { get; set; } = Array.Empty<DnsDiagnosis>();

    /// <summary>What the wire alone cannot show (e.g. a wait with no traffic), in words.</summary>
    public string? Note { get; init; }

    /// <summary>The replayed resolver and version (the probe), e.g. "musl-1.2.3"; null for a capture.</summary>
    public string? ResolverSpec { get; init; }

    /// <summary>The mitigation applied for this run (the probe's -Mitigation), or null.</summary>
    public string? Mitigation { get; init; }

    /// <summary>Whether the resolver returned addresses (the probe knows; a capture cannot tell).</summary>
    public bool? Succeeded { get; init; }

    /// <summary>
    /// How the probe's replay thread was scheduled: Realtime (SCHED_FIFO for the replay, when permitted) or Normal;
    /// null for a capture.
    /// </summary>
    public DnsTools.Core.Probe.ProbeScheduling? Scheduling { get; init; }

    /// <summary>Why the replay ran at normal scheduling (said with -Verbose / on the probe's stderr); not written to JSON.</summary>
    internal string? NormalSchedulingReason { get; init; }

    public override string ToString() => $"{Name} ({Resolver}) {Outcome} in {Duration.TotalMilliseconds:F0} ms, {Queries.Count} queries";
}

/// <summary>
/// Explains a lookup from its queries. Each rule looks for one signature; the advice depends on the
/// resolver, because the same mitigation helps one libc and not another (single-request-reopen is
/// read by glibc only: musl's resolvconf.c reads ndots, timeout and attempts and nothing else).
/// </summary>
public static class LookupDiagnoser
{
    public const string SearchAmplification = "DNS001";
    public const string AaaaServfailResend = "DNS002";
    public const string ServfailWait = "DNS003";
    public const string LostParallelQuery = "DNS004";
    public const string SlowUpstream = "DNS005";
    public const string TruncatedWithoutTcp = "DNS006";
    public const string AllServersFailed = "DNS007";

    /// <summary>An answer slower than this (without SERVFAIL) counts as upstream slowness.</summary>
    public static readonly TimeSpan SlowAnswer = TimeSpan.FromMilliseconds(500);

    /// <summary>Two queries from one socket closer than this are a parallel pair (libcs send them microseconds apart).</summary>
    public static readonly TimeSpan PairWindow = TimeSpan.FromMilliseconds(10);

    /// <summary>Index of the first query sent at or after <paramref name="at"/> in a list in send order.</summary>
    private static int FirstSentAtOrAfter(List<ObservedQuery> inOrder, TimeSpan at)
    {
        int low = 0, high = inOrder.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (inOrder[mid].SentAt < at) low = mid + 1; else high = mid;
        }
        return low;
    }

    public static IReadOnlyList<DnsDiagnosis> Diagnose(ObservedLookup lookup)
    {
        var result = new List<DnsDiagnosis>();
        var q = lookup.Queries;
        if (q.Count == 0) return result;
        var resolver = lookup.Resolver;

        // DNS001: candidates that ended in NXDOMAIN before the name that answered.
        var answeredName = lookup.AnsweredName ?? q.LastOrDefault(x => x.Rcode == "NoError" && x.AnswerCount > 0)?.Name;
        var wasted = q.Where(x => x.Name != answeredName && x.Rcode == "NxDomain").ToList();
        if (wasted.Count > 0 && answeredName is not null)
        {
            var candidates = wasted.Select(x => x.Name).Distinct().ToList();
            var spent = wasted.Max(x => x.AnsweredAt ?? x.SentAt) - q[0].SentAt;
            var dots = answeredName.TrimEnd('.').Count(c => c == '.');
            result.Add(new DnsDiagnosis(SearchAmplification, "Search-list amplification",
                $"{wasted.Count} queries went to {candidates.Count} search candidate{(candidates.Count == 1 ? "" : "s")} that do not exist before '{answeredName}' was asked ({Ms(spent)} spent). The name has {dots} dot{(dots == 1 ? "" : "s")}, fewer than ndots, so the search list is tried first.",
                wasted.Select(x => $"#{x.Index} id {x.Id} {x.Type}? {x.Name} -> NXDOMAIN at {Ms(x.AnsweredAt ?? x.SentAt)}").ToList(),
                new[]
                {
                    $"Ask for the fully qualified name with a trailing dot ('{answeredName}'): no search candidates at all.",
                    $"Lower ndots in the pod's dnsConfig to {Math.Max(1, dots)} or less (options: name ndots, value \"{Math.Max(1, dots)}\"): names with {Math.Max(1, dots)}+ dots are tried as they are first.",
                    "NodeLocal DNSCache answers the NXDOMAIN candidates from a node-local cache.",
                }));
        }

        // DNS002 / DNS003: SERVFAIL answers, re-sent at once (musl) or waited for (glibc, Go).
        var servfails = q.Where(x => x.Rcode == "ServFail").ToList();
        var resends = q.Where(x => x.Reason == QuerySendReason.ResendAfterServfail).ToList();
        if (resends.Count > 0)
        {
            // The SERVFAIL itself may belong to the lookup before (a capture that closed it, found by fuzzing): then the
            // first re-send, sent right after it, dates it.
            var first = servfails.Count > 0 ? servfails.Min(x => x.AnsweredAt!.Value) : resends.Min(x => x.SentAt);
            result.Add(new DnsDiagnosis(AaaaServfailResend, $"{string.Join('/', resends.Select(x => x.Type).Distinct())} SERVFAIL re-send storm",
                $"The server answered SERVFAIL (first at {Ms(first)}) and the resolver re-sent the same query {resends.Count} times with the same id and source port; the lookup still waited for its timeout. This is musl's behaviour (src/network/res_msend.c re-sends on SERVFAIL and only accepts NOERROR or NXDOMAIN), and musl fails the whole lookup when either A or AAAA fails.",
                servfails.Take(3).Concat(resends.Take(5)).Distinct().OrderBy(x => x.SentAt).Select(x => $"#{x.Index} id {x.Id} {x.Type}? {x.Name} {x.Reason} sent {Ms(x.SentAt)} -> {x.Outcome}").ToList(),
                Mitigations(resolver, servfail: true)));
        }
        else if (servfails.Count > 0)
        {
            var worst = servfails.OrderByDescending(x => x.Latency).First();
            result.Add(new DnsDiagnosis(ServfailWait, $"{worst.Type} answered SERVFAIL after {Ms(worst.Latency!.Value)}",
                $"The lookup waited {Ms(worst.Latency!.Value)} for a SERVFAIL to {worst.Type}? {worst.Name}; an upstream server fails this type for this name. A resolver that asks A and AAAA together waits for the slower one.",
                servfails.Select(x => $"#{x.Index} id {x.Id} {x.Type}? {x.Name} -> SERVFAIL after {Ms(x.Latency!.Value)}").ToList(),
                Mitigations(resolver, servfail: true)));
        }

        // DNS004: one of a same-socket pair never answered while its partner was: the conntrack race signature.
        // Indexed by socket and by question, each in send order, so a lookup of thousands of unanswered
        // queries (a hostile capture) is diagnosed in n log n, not n squared.
        var lost = new List<string>();
        var bySocket = q.GroupBy(x => (x.Client, x.SourcePort)).ToDictionary(g => g.Key, g => g.OrderBy(x => x.SentAt).ToList());
        var byQuestion = q.GroupBy(x => (x.Name, x.Type)).ToDictionary(g => g.Key, g => g.OrderBy(x => x.SentAt).ToList());
        foreach (var x in q.Where(x => !x.Answered && x.Transport == "UDP"))
        {
            var socket = bySocket[(x.Client, x.SourcePort)];
            ObservedQuery? partner = null;
            for (var i = FirstSentAtOrAfter(socket, x.SentAt - PairWindow); i < socket.Count && socket[i].SentAt <= x.SentAt + PairWindow; i++)
            {
                var p = socket[i];
                if (p != x && p.Answered && p.Id != x.Id) { partner = p; break; }
            }
            if (partner is null) continue;
            var asked = byQuestion[(x.Name, x.Type)];
            var next = FirstSentAtOrAfter(asked, x.SentAt + TimeSpan.FromTicks(1));
            var retry = next < asked.Count ? asked[next] : null;
            lost.Add($"#{x.Index} id {x.Id} {x.Type}? {x.Name} from port {x.SourcePort} at {Ms(x.SentAt)}: no answer; its pair #{partner.Index} {partner.Type} answered in {Ms(partner.Latency!.Value)}"
                + (retry is null ? "" : $"; asked again at {Ms(retry.SentAt)} (waited {Ms(retry.SentAt - x.SentAt)})"));
        }
        if (lost.Count > 0)
        {
            result.Add(new DnsDiagnosis(LostParallelQuery, "Lost query of a same-socket parallel pair",
                $"{lost.Count} quer{(lost.Count == 1 ? "y" : "ies")} sent together with another from the same source port got no answer while the other did. Behind a DNAT'ed Service address this is the conntrack insertion race of parallel UDP queries; the lookup then waits for the resolver's retry interval (often 5 s).",
                lost, Mitigations(resolver, lostPair: true)));
        }

        // DNS005: slow answers that are not SERVFAIL.
        var slow = q.Where(x => x.Answered && x.Rcode != "ServFail" && x.Latency > SlowAnswer).ToList();
        if (slow.Count > 0)
        {
            result.Add(new DnsDiagnosis(SlowUpstream, "Slow answers",
                $"{slow.Count} answer{(slow.Count == 1 ? "" : "s")} took longer than {Ms(SlowAnswer)} (slowest {Ms(slow.Max(x => x.Latency!.Value))}): the server or its upstream is slow.",
                slow.Select(x => $"#{x.Index} {x.Type}? {x.Name} -> {x.Outcome}").ToList(),
                new[] { "Check the DNS server's upstream and load (CoreDNS metrics); NodeLocal DNSCache keeps answers close to the pod." }));
        }

        // DNS006: truncated over UDP and never asked over TCP.
        var truncated = q.Where(x => x.Truncated && x.Transport == "UDP"
            && !q.Any(t => t.Transport == "TCP" && t.Name == x.Name && t.Type == x.Type)).ToList();
        if (truncated.Count > 0)
        {
            result.Add(new DnsDiagnosis(TruncatedWithoutTcp, "Truncated answer without TCP fallback",
                $"{truncated.Count} answer{(truncated.Count == 1 ? " was" : "s were")} truncated (TC) and the resolver did not retry over TCP, so it used an empty or partial answer. musl before 1.2.4 has no TCP fallback (src/network/res_msend.c).",
                truncated.Select(x => $"#{x.Index} {x.Type}? {x.Name} -> {x.Outcome}").ToList(),
                resolver == ObservedResolver.Musl
                    ? new[] { "Use musl 1.2.4 or later (Alpine 3.18+), which retries truncated answers over TCP.", "Keep answers under 512 bytes (fewer records per name)." }
                    : new[] { "Keep answers under 512 bytes, or enable EDNS0 (glibc: options edns0)." }));
        }

        // DNS007: nothing useful came back at all.
        if (!q.Any(x => x.Rcode is "NoError" or "NxDomain"))
        {
            var servers = q.Select(x => x.Server).Distinct().ToList();
            result.Add(new DnsDiagnosis(AllServersFailed, "No server gave a usable answer",
                $"None of the {q.Count} queries to {string.Join(", ", servers)} got NOERROR or NXDOMAIN: {q.Count(x => !x.Answered)} unanswered, {servfails.Count} SERVFAIL, {q.Count(x => x.Rcode == "Refused")} REFUSED.",
                servers.Select(s => $"{s}: {q.Count(x => x.Server == s)} queries, {q.Count(x => x.Server == s && x.Answered)} answered").ToList(),
                new[] { "Check that the nameserver address is reachable from the pod (kube-dns Service, NetworkPolicy) and that the DNS pods are running." }));
        }
        return result;
    }

    private static IReadOnlyList<string> Mitigations(ObservedResolver resolver, bool servfail = false, bool lostPair = false)
    {
        var list = new List<string>();
        if (servfail) list.Add("Fix the upstream: the DNS server should answer AAAA for this name with NODATA, not SERVFAIL (CoreDNS: check the forwarder; a 'template' or 'rewrite' can answer AAAA locally).");
        switch (resolver)
        {
            case ObservedResolver.Musl:
                if (lostPair) list.Add("musl ignores single-request and single-request-reopen (src/network/resolvconf.c reads only ndots, timeout, attempts): no resolv.conf option separates its A and AAAA queries.");
                list.Add("NodeLocal DNSCache: queries go to a node-local address without DNAT, so there is no conntrack race, and the cache absorbs re-sends.");
                list.Add("A glibc-based image (Debian/Ubuntu/distroless base) for this workload.");
                list.Add("Where the application allows, ask for IPv4 only (AF_INET), so no AAAA query is sent.");
                break;
            case ObservedResolver.Glibc:
                if (lostPair) list.Add("options single-request-reopen in the pod's dnsConfig: glibc sends A and AAAA from different sockets, which avoids the conntrack race.");
                if (servfail) list.Add("glibc 2.36+: options no-aaaa stops AAAA queries entirely.");
                list.Add("NodeLocal DNSCache: no DNAT between pod and cache.");
                break;
            case ObservedResolver.UClibcNg:
                list.Add("uClibc-ng reads only the first word of an options line, and only timeout: or attempts: (libc/inet/resolv.c): put 'options timeout:N' on its own line; ndots does not exist, a name with a dot is tried as given first.");
                list.Add("uClibc-ng sends one query at a time from a new socket each, so the same-socket race does not apply; NodeLocal DNSCache helps with slow or failing upstreams.");
                break;
            case ObservedResolver.Go:
                list.Add("Go sends A and AAAA from separate sockets, so the same-socket race does not apply; NodeLocal DNSCache still helps with slow or failing upstreams.");
                if (servfail) list.Add("Go accepts the A answer while AAAA fails: check GODEBUG=netdns to see which resolver the binary uses.");
                break;
            default:
                list.Add("NodeLocal DNSCache: no DNAT between pod and cache, and a local cache.");
                if (lostPair) list.Add("glibc only: options single-request-reopen (musl ignores it).");
                break;
        }
        return list;
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds >= 1000
        ? (t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s")
        : (t.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms");
}
