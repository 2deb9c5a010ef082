using DnsTools.Core.Diagnosis;

namespace DnsTools.Core.Capture;

/// <summary>
/// Turns captured DNS messages into the probe's query objects and lookups: queries are paired with
/// responses (client address and port, server, id, and the question when the capture has it); a query
/// sent again with the same id is a retransmission, not a new query; consecutive candidates of one
/// name from one client form a lookup; the resolver is inferred from the wire pattern.
/// </summary>
public static class CaptureAnalyzer
{
    /// <summary>Queries of one client further apart than this (with nothing pending) start a new lookup.</summary>
    public static readonly TimeSpan LookupGap = TimeSpan.FromSeconds(1);

    /// <summary>A re-send this soon after a SERVFAIL answers the SERVFAIL; later ones are timer retries.</summary>
    public static readonly TimeSpan ImmediateResend = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a query stays open for its answer, re-sends and duplicates; older ones are emitted and forgotten (bounded memory).</summary>
    public static readonly TimeSpan PairingWindow = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pairs queries and responses. Streams: packets are read in capture order and a query is emitted
    /// (in send order, numbered) once it is older than <see cref="PairingWindow"/> or the input ends,
    /// so memory holds one window of traffic, not the whole capture. Unmatched responses become
    /// queries marked "query not captured".
    /// </summary>
    public static IEnumerable<ObservedQuery> Pair(IEnumerable<DnsPacket> packets)
    {
        DateTime? origin = null;
        var window = new List<(ObservedQuery Query, DnsPacket Packet)>();
        var open = new Dictionary<(string, int, string, ushort), (ObservedQuery Query, DnsPacket Packet)>();
        // Per client, name and type: how many queries are in the window and when the last left (O(1) look-ups).
        var recent = new Dictionary<(string, string, string), (int Count, TimeSpan LastSentAt)>();
        var index = 0;
        foreach (var p in packets)
        {
            origin ??= p.Timestamp;
            var at = p.Timestamp - origin.Value;
            // Settle what is older than the window, in send order.
            var settledCount = 0;
            while (settledCount < window.Count && at - window[settledCount].Query.SentAt > PairingWindow)
            {
                var (settled, packet) = window[settledCount++];
                var key = (settled.Client, settled.SourcePort, packet.DestinationHost, settled.Id);
                if (open.TryGetValue(key, out var o) && o.Query == settled) open.Remove(key);
                var asked = (settled.Client, settled.Name, settled.Type);
                if (recent.TryGetValue(asked, out var r)) { if (r.Count <= 1) recent.Remove(asked); else recent[asked] = (r.Count - 1, r.LastSentAt); }
                settled.Index = ++index;
                yield return settled;
            }
            if (settledCount > 0) window.RemoveRange(0, settledCount);
            if (!p.IsResponse) AddQuery(p, at, window, open, recent);
            else AddResponse(p, at, window, open);
        }
        foreach (var (q, _) in window)
        {
            q.Index = ++index;
            yield return q;
        }
    }

    private static void AddQuery(DnsPacket p, TimeSpan at, List<(ObservedQuery Query, DnsPacket Packet)> window, Dictionary<(string, int, string, ushort), (ObservedQuery Query, DnsPacket Packet)> open,
        Dictionary<(string, string, string), (int Count, TimeSpan LastSentAt)> recent)
    {
        var key = (p.SourceHost, p.SourcePort, p.DestinationHost, p.Id);
        var reason = QuerySendReason.FirstTry;
        var attempt = 1;
        if (open.TryGetValue(key, out var earlier) && earlier.Packet.Name == p.Name && earlier.Packet.Type == p.Type)
        {
            attempt = earlier.Query.Attempt + 1;
            // Right after a SERVFAIL it is musl's immediate re-send; later it is the retry timer
            // (res_msend.c re-sends every unanswered query each timeout/attempts interval).
            reason = earlier.Query.Rcode == "ServFail" && at - earlier.Query.AnsweredAt <= ImmediateResend
                ? QuerySendReason.ResendAfterServfail : QuerySendReason.RetryAfterTimeout;
        }
        else if (p.Transport == "TCP")
        {
            reason = window.Any(w => w.Query.Name == p.Name && w.Query.Type == p.Type && w.Query.Truncated) ? QuerySendReason.TcpAfterTruncation : QuerySendReason.FirstTry;
        }
        else if (recent.TryGetValue((p.SourceHost, p.Name, p.Type), out var asked) && at - asked.LastSentAt <= LookupGap + LookupGap)
        {
            reason = QuerySendReason.NextAttempt;
            attempt = asked.Count + 1;
        }
        var query = new ObservedQuery
        {
            Name = p.Name,
            Type = p.Type,
            Client = p.SourceHost,
            SourcePort = p.SourcePort,
            Server = $"{p.DestinationHost}:{p.DestinationPort}",
            Id = p.Id,
            Transport = p.Transport,
            SentAt = at,
            Attempt = attempt,
            Reason = reason,
            Size = p.Size,
            Flags = p.Flags,
            Source = p.Origin,
            TimedOut = true,
        };
        window.Add((query, p));
        open[key] = (query, p);
        var k = (p.SourceHost, p.Name, p.Type);
        recent[k] = (recent.TryGetValue(k, out var c) ? c.Count + 1 : 1, at);
    }

    private static void AddResponse(DnsPacket p, TimeSpan at, List<(ObservedQuery Query, DnsPacket Packet)> window, Dictionary<(string, int, string, ushort), (ObservedQuery Query, DnsPacket Packet)> open)
    {
        var key = (p.DestinationHost, p.DestinationPort, p.SourceHost, p.Id);
        if (open.TryGetValue(key, out var match) && (p.Name.Length == 0 || (p.Name == match.Packet.Name && p.Type == match.Packet.Type)))
        {
            // An answer to an answered query is a duplicate: nothing new.
            if (!match.Query.Answered) Answer(match.Query, p, at);
            return;
        }
        // The query is not in the capture (tcpdump drops packets under load): keep what the answer says.
        var sibling = window.LastOrDefault(w => w.Query.Client == p.DestinationHost && w.Query.SourcePort == p.DestinationPort).Query;
        var lost = new ObservedQuery
        {
            Name = p.Name.Length > 0 ? p.Name : sibling?.Name ?? "?",
            // Without a question (tcpdump text), the missing query is the other half of the socket's A/AAAA pair.
            Type = p.Type.Length > 0 ? p.Type : sibling?.Type switch { "A" => "AAAA", "AAAA" => "A", _ => "?" },
            Client = p.DestinationHost,
            SourcePort = p.DestinationPort,
            Server = $"{p.SourceHost}:{p.SourcePort}",
            Id = p.Id,
            Transport = p.Transport,
            SentAt = sibling?.SentAt ?? at,
            Source = p.Origin + " (query not captured)",
        };
        Answer(lost, p, at);
        var insertAt = window.FindLastIndex(w => w.Query.SentAt <= lost.SentAt) + 1;
        window.Insert(insertAt, (lost, p with { IsResponse = false, Name = lost.Name, Type = lost.Type }));
    }

    private static void Answer(ObservedQuery q, DnsPacket p, TimeSpan at)
    {
        q.AnsweredAt = at;
        q.Rcode = p.Rcode;
        q.AnswerCount = p.AnswerCount;
        q.Truncated = p.Truncated;
        q.TimedOut = false;
    }

    /// <summary>
    /// Groups paired queries (in send order) into lookups per client and diagnoses each. Streams: a
    /// lookup is emitted once its client moves on or has been quiet for longer than the pairing window.
    /// </summary>
    public static IEnumerable<ObservedLookup> Lookups(IEnumerable<ObservedQuery> queries)
    {
        // Several lookups of one client may run at once (tcpdump's own PTR look-ups, threads).
        var running = new List<(List<ObservedQuery> Queries, TimeSpan LastActivity)>();
        foreach (var q in queries)
        {
            for (var i = 0; i < running.Count; i++)
            {
                if (q.SentAt - running[i].LastActivity <= LookupGap) continue;
                yield return Build(running[i].Queries);
                running.RemoveAt(i--);
            }
            var joined = running.FindIndex(r => r.Queries[0].Client == q.Client && SameLookup(r.Queries, q));
            if (joined >= 0)
            {
                running[joined].Queries.Add(q);
                running[joined] = (running[joined].Queries, Max(running[joined].LastActivity, q.AnsweredAt ?? q.SentAt));
            }
            else
            {
                running.Add((new List<ObservedQuery> { q }, q.AnsweredAt ?? q.SentAt));
            }
        }
        foreach (var r in running) yield return Build(r.Queries);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>
    /// A query belongs to the running lookup when it repeats one of its queries, or when its name and
    /// the lookup's names are candidates of one base name (a common first label: "x.ns.svc..." then
    /// "x."), and it is of the same family of types (PTR look-ups of tcpdump itself stay apart).
    /// </summary>
    private static bool SameLookup(List<ObservedQuery> current, ObservedQuery q)
    {
        if (current.Any(x => x.Name == q.Name && x.Type == q.Type)) return true;
        var isAddress = q.Type is "A" or "AAAA";
        if (!current.All(x => (x.Type is "A" or "AAAA") == isAddress)) return false;
        var first = FirstLabel(current[0].Name);
        return first.Length > 0 && first == FirstLabel(q.Name) && !current.Any(x => x.Name == q.Name && x.SentAt < q.SentAt && x.Reason == QuerySendReason.FirstTry && x.Type == q.Type);
    }

    private static string FirstLabel(string name)
    {
        var dot = name.IndexOf('.');
        return dot < 0 ? name : name[..dot];
    }

    private static ObservedLookup Build(List<ObservedQuery> queries)
    {
        var start = queries.Min(q => q.SentAt);
        var end = queries.Max(q => q.AnsweredAt ?? q.SentAt);
        var names = queries.Select(q => q.Name).Distinct().ToList();
        var baseName = CommonLabelPrefix(names);
        var last = queries.Last(q => q.Reason == QuerySendReason.FirstTry || q == queries[^1]).Name;
        var finalQueries = queries.Where(q => q.Name == last).ToList();
        var (resolver, evidence) = InferResolver(queries);
        var answered = finalQueries.FirstOrDefault(q => q.Rcode == "NoError" && q.AnswerCount > 0);
        var outcome = string.Join("; ", finalQueries.GroupBy(q => q.Type).Select(g =>
        {
            var best = g.FirstOrDefault(q => q.Rcode == "NoError" && q.AnswerCount > 0) ?? g.LastOrDefault(q => q.Answered) ?? g.Last();
            return $"{g.Key} {(best.Answered ? best.Rcode + (best.AnswerCount > 0 ? $" ({best.AnswerCount})" : string.Empty) : "no answer")}";
        }));
        string? note = null;
        if (resolver == ObservedResolver.Musl && finalQueries.Any(q => q.Rcode is not ("NoError" or "NxDomain")))
        {
            // res_msend.c: a query that only ever got SERVFAIL (or nothing) keeps the batch open until the
            // timeout (5 s unless resolv.conf says otherwise), with no traffic after the last re-send.
            var batchStart = finalQueries.Min(q => q.SentAt);
            note = $"musl keeps waiting after the last packet: with the default timeout:5 this lookup ended at about {(batchStart + TimeSpan.FromSeconds(5) - start).TotalSeconds:0.00} s and failed (EAI_AGAIN) even though A was answered.";
        }
        var lookup = new ObservedLookup
        {
            Note = note,
            Name = baseName,
            Client = queries[0].Client,
            Resolver = resolver,
            ResolverEvidence = evidence,
            Start = start,
            Duration = end - start,
            Outcome = outcome,
            AnsweredName = answered?.Name,
            Queries = queries,
        };
        lookup.Diagnoses = LookupDiagnoser.Diagnose(lookup);
        return lookup;
    }

    /// <summary>The longest run of trailing... leading labels all names share ("elink.spic.com.cn." for its search candidates).</summary>
    private static string CommonLabelPrefix(List<string> names)
    {
        if (names.Count == 1) return names[0];
        var split = names.Select(n => n.TrimEnd('.').Split('.')).ToList();
        var shortest = split.Min(s => s.Length);
        var n = 0;
        while (n < shortest && split.All(s => s[n] == split[0][n])) n++;
        return n == 0 ? names[0] : string.Join('.', split[0].Take(n)) + ".";
    }

    /// <summary>
    /// Which resolver sent these queries, from what only it does:
    /// musl re-sends a query with the same id and port right after SERVFAIL (res_msend.c);
    /// musl and glibc send A and AAAA together from one socket (musl's batch; glibc's send_dg with
    /// sendmmsg), glibc does not re-send on SERVFAIL;
    /// Go sends A and AAAA from separate sockets (dnsclient_unix.go, one exchange per type);
    /// uClibc-ng sends AAAA first, then A, one at a time, each from its own socket.
    /// </summary>
    public static (ObservedResolver Resolver, string Evidence) InferResolver(IReadOnlyList<ObservedQuery> queries)
    {
        var resends = queries.Count(q => q.Reason == QuerySendReason.ResendAfterServfail);
        if (resends > 0) return (ObservedResolver.Musl, $"{resends} immediate re-send(s) of a query after SERVFAIL with the same id and port");
        var pairs = 0;
        var splitPairs = 0;
        foreach (var a in queries.Where(q => q.Type == "A" && q.Reason == QuerySendReason.FirstTry))
        {
            var aaaa = queries.FirstOrDefault(q => q.Type == "AAAA" && q.Name == a.Name && q.Reason == QuerySendReason.FirstTry && (q.SentAt - a.SentAt).Duration() <= LookupDiagnoser.PairWindow);
            if (aaaa is null) continue;
            if (aaaa.SourcePort == a.SourcePort) pairs++; else splitPairs++;
        }
        if (splitPairs > 0 && pairs == 0) return (ObservedResolver.Go, $"{splitPairs} A/AAAA pair(s) sent together from different source ports");
        // uClibc-ng (libc/inet/resolv.c __dns_lookup, getaddrinfo.c gaih_inet): AAAA searched first, then A,
        // one query at a time, each from a new socket. Nobody else puts the AAAA search first: glibc's
        // single-request and Go's serial lookups send A first, and both reuse or pair their sockets.
        if (pairs == 0 && splitPairs == 0 && queries.Count >= 2 && queries[0].Type == "AAAA" && queries.Any(q => q.Type == "A")
            && queries.Select(q => q.SourcePort).Distinct().Count() == queries.Count)
            return (ObservedResolver.UClibcNg, $"AAAA queried before A, one query at a time, each of the {queries.Count} from its own source port");
        if (pairs > 0)
        {
            var servfailSeen = queries.Any(q => q.Rcode == "ServFail");
            if (servfailSeen) return (ObservedResolver.Glibc, $"{pairs} A/AAAA pair(s) from one source port, and no re-send after SERVFAIL");
            return (ObservedResolver.Unknown, $"{pairs} A/AAAA pair(s) from one source port: musl or glibc (no SERVFAIL to tell them apart)");
        }
        return (ObservedResolver.Unknown, "no A/AAAA pairs to go by");
    }
}
