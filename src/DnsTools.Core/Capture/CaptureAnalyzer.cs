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
    /// (in send order, numbered) once it is older than <see cref="PairingWindow"/>, once more than
    /// <see cref="CaptureLimits.MaxPendingQueries"/> are waiting, or when the input ends, so memory holds
    /// one bounded window of traffic, not the whole capture, and every step costs O(1) amortised (a
    /// flood of unanswered queries or of unmatched answers is linear). Unmatched responses become
    /// queries marked "query not captured".
    /// </summary>
    public static IEnumerable<ObservedQuery> Pair(IEnumerable<DnsPacket> packets, CaptureLimits? limits = null)
    {
        limits ??= CaptureLimits.Default;
        var state = new PairingState();
        DateTime? origin = null;
        var index = 0;
        foreach (var p in packets)
        {
            origin ??= p.Timestamp;
            var at = p.Timestamp - origin.Value;
            // Settle what is older than the window (or beyond the pending limit), in send order.
            while (state.Pending > 0 && (at - state.Oldest.Query.SentAt > PairingWindow || state.Pending >= limits.MaxPendingQueries))
            {
                var settled = state.SettleOldest();
                settled.Index = ++index;
                yield return settled;
            }
            if (!p.IsResponse) AddQuery(p, at, state);
            else AddResponse(p, at, state);
        }
        while (state.Pending > 0)
        {
            var settled = state.SettleOldest();
            settled.Index = ++index;
            yield return settled;
        }
    }

    /// <summary>The pairing window and its indexes; every operation O(1) amortised (inserting a lost query: O(bounded scan)).</summary>
    private sealed class PairingState
    {
        /// <summary>An out-of-order insert (a lost query placed by its sibling's send time) looks back at most this far.</summary>
        private const int MaxInsertScan = 1024;

        private readonly List<(ObservedQuery Query, DnsPacket Packet)> _window = new();
        private int _head;
        public readonly Dictionary<(string, int, string, ushort), (ObservedQuery Query, DnsPacket Packet)> Open = new();
        // Per client, name and type: how many queries are in the window and when the last left.
        public readonly Dictionary<(string, string, string), (int Count, TimeSpan LastSentAt)> Recent = new();
        // Per client and source port: the latest query in the window (the sibling of a lost query).
        public readonly Dictionary<(string, int), ObservedQuery> LatestOnSocket = new();
        // Per name and type: how many queries in the window got a truncated answer (TCP after truncation).
        public readonly Dictionary<(string, string), int> TruncatedAnswers = new();

        public int Pending => _window.Count - _head;
        public (ObservedQuery Query, DnsPacket Packet) Oldest => _window[_head];

        public void Add(ObservedQuery query, DnsPacket packet)
        {
            var insertAt = _window.Count;
            var floor = Math.Max(_head, _window.Count - MaxInsertScan);
            while (insertAt > floor && _window[insertAt - 1].Query.SentAt > query.SentAt) insertAt--;
            _window.Insert(insertAt, (query, packet));
            var socket = (query.Client, query.SourcePort);
            if (!LatestOnSocket.TryGetValue(socket, out var latest) || latest.SentAt <= query.SentAt) LatestOnSocket[socket] = query;
        }

        public ObservedQuery SettleOldest()
        {
            var (settled, packet) = _window[_head];
            _window[_head] = default;
            _head++;
            if (_head > 4096 && _head * 2 > _window.Count) { _window.RemoveRange(0, _head); _head = 0; }
            if (_head == _window.Count) { _window.Clear(); _head = 0; }
            var key = (settled.Client, settled.SourcePort, packet.DestinationHost, settled.Id);
            if (Open.TryGetValue(key, out var o) && o.Query == settled) Open.Remove(key);
            var asked = (settled.Client, settled.Name, settled.Type);
            if (Recent.TryGetValue(asked, out var r)) { if (r.Count <= 1) Recent.Remove(asked); else Recent[asked] = (r.Count - 1, r.LastSentAt); }
            var socket = (settled.Client, settled.SourcePort);
            if (LatestOnSocket.TryGetValue(socket, out var latest) && latest == settled) LatestOnSocket.Remove(socket);
            if (settled.Truncated) Count(TruncatedAnswers, (settled.Name, settled.Type), -1);
            return settled;
        }

        public void Answer(ObservedQuery q, DnsPacket p, TimeSpan at)
        {
            CaptureAnalyzer.Answer(q, p, at);
            if (q.Truncated) Count(TruncatedAnswers, (q.Name, q.Type), +1);
        }

        private static void Count<TKey>(Dictionary<TKey, int> counts, TKey key, int delta) where TKey : notnull
        {
            var n = (counts.TryGetValue(key, out var c) ? c : 0) + delta;
            if (n <= 0) counts.Remove(key); else counts[key] = n;
        }
    }

    private static void AddQuery(DnsPacket p, TimeSpan at, PairingState state)
    {
        var key = (p.SourceHost, p.SourcePort, p.DestinationHost, p.Id);
        var reason = QuerySendReason.FirstTry;
        var attempt = 1;
        if (state.Open.TryGetValue(key, out var earlier) && earlier.Packet.Name == p.Name && earlier.Packet.Type == p.Type)
        {
            attempt = earlier.Query.Attempt + 1;
            // Right after a SERVFAIL it is musl's immediate re-send; later it is the retry timer
            // (res_msend.c re-sends every unanswered query each timeout/attempts interval).
            reason = earlier.Query.Rcode == "ServFail" && at - earlier.Query.AnsweredAt <= ImmediateResend
                ? QuerySendReason.ResendAfterServfail : QuerySendReason.RetryAfterTimeout;
        }
        else if (p.Transport == "TCP")
        {
            reason = state.TruncatedAnswers.ContainsKey((p.Name, p.Type)) ? QuerySendReason.TcpAfterTruncation : QuerySendReason.FirstTry;
        }
        else if (state.Recent.TryGetValue((p.SourceHost, p.Name, p.Type), out var asked) && at - asked.LastSentAt <= LookupGap + LookupGap)
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
        state.Add(query, p);
        state.Open[key] = (query, p);
        var k = (p.SourceHost, p.Name, p.Type);
        state.Recent[k] = (state.Recent.TryGetValue(k, out var c) ? c.Count + 1 : 1, at);
    }

    private static void AddResponse(DnsPacket p, TimeSpan at, PairingState state)
    {
        var key = (p.DestinationHost, p.DestinationPort, p.SourceHost, p.Id);
        if (state.Open.TryGetValue(key, out var match) && (p.Name.Length == 0 || (p.Name == match.Packet.Name && p.Type == match.Packet.Type)))
        {
            // An answer to an answered query is a duplicate: nothing new.
            if (!match.Query.Answered) state.Answer(match.Query, p, at);
            return;
        }
        // The query is not in the capture (tcpdump drops packets under load): keep what the answer says.
        var sibling = state.LatestOnSocket.TryGetValue((p.DestinationHost, p.DestinationPort), out var s) ? s : null;
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
        state.Answer(lost, p, at);
        state.Add(lost, p with { IsResponse = false, Name = lost.Name, Type = lost.Type });
    }

    internal static void Answer(ObservedQuery q, DnsPacket p, TimeSpan at)
    {
        q.AnsweredAt = at;
        q.Rcode = p.Rcode;
        q.AnswerCount = p.AnswerCount;
        q.Truncated = p.Truncated;
        q.TimedOut = false;
    }

    /// <summary>
    /// Groups paired queries (in send order) into lookups per client and diagnoses each. Streams: a
    /// lookup is emitted once its client moves on or has been quiet for longer than the lookup gap, once
    /// it holds <see cref="CaptureLimits.MaxQueriesPerLookup"/> queries, or (the quietest first) when more
    /// than <see cref="CaptureLimits.MaxRunningLookups"/> run at once; so time is linear in the queries
    /// and memory bounded, whatever the capture holds (40,000 unanswered queries of one name included).
    /// </summary>
    public static IEnumerable<ObservedLookup> Lookups(IEnumerable<ObservedQuery> queries, CaptureLimits? limits = null)
    {
        limits ??= CaptureLimits.Default;
        // Several lookups of one client may run at once (tcpdump's own PTR look-ups, threads). A query can
        // only join a lookup of its client with its first label (a repeat has the same name), so they are
        // indexed by that; the quietest is found with a heap (stale entries skipped), so no step scans them all.
        var byLabel = new Dictionary<(string Client, string FirstLabel), List<RunningLookup>>();
        var quietest = new PriorityQueue<RunningLookup, TimeSpan>();
        var runningCount = 0;
        long sequence = 0;
        var closed = new List<RunningLookup>();

        void Close(RunningLookup r)
        {
            r.Closed = true;
            runningCount--;
            var list = byLabel[r.Key];
            list.Remove(r);
            if (list.Count == 0) byLabel.Remove(r.Key);
            closed.Add(r);
        }

        bool TryQuietest(out RunningLookup r)
        {
            while (quietest.TryPeek(out r!, out var at))
            {
                if (!r.Closed && at == r.LastActivity) return true;
                quietest.Dequeue(); // closed, or moved on since this entry
            }
            return false;
        }

        foreach (var q in queries)
        {
            // Lookups quiet for longer than the gap are over; emitted in the order they began.
            while (TryQuietest(out var r) && q.SentAt - r.LastActivity > LookupGap) { quietest.Dequeue(); Close(r); }
            var key = (q.Client, FirstLabel(q.Name));
            var joined = byLabel.TryGetValue(key, out var candidates) ? candidates.Find(r => r.Accepts(q)) : null;
            if (joined is null)
            {
                if (runningCount >= limits.MaxRunningLookups && TryQuietest(out var r)) { quietest.Dequeue(); Close(r); }
                joined = new RunningLookup(q, ++sequence, key);
                if (candidates is null) byLabel[key] = candidates = new List<RunningLookup>();
                candidates.Add(joined);
                runningCount++;
            }
            else
            {
                joined.Add(q);
            }
            quietest.Enqueue(joined, joined.LastActivity);
            if (joined.Queries.Count >= limits.MaxQueriesPerLookup) Close(joined);
            if (closed.Count > 0)
            {
                closed.Sort((x, y) => x.Sequence.CompareTo(y.Sequence));
                foreach (var c in closed) yield return Build(c.Queries);
                closed.Clear();
            }
        }
        var rest = byLabel.Values.SelectMany(l => l).OrderBy(r => r.Sequence).ToList();
        foreach (var r in rest) yield return Build(r.Queries);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A lookup being gathered, with what <see cref="Accepts"/> needs kept as sets (O(1) per query).</summary>
    private sealed class RunningLookup
    {
        private readonly HashSet<(string Name, string Type)> _asked = new();
        private readonly string _firstLabel;
        private readonly bool _addressTypes;
        private bool _mixedTypes;

        public RunningLookup(ObservedQuery first, long sequence, (string, string) key)
        {
            Sequence = sequence;
            Key = key;
            _firstLabel = FirstLabel(first.Name);
            _addressTypes = IsAddress(first);
            Add(first);
        }

        public long Sequence { get; }
        public (string Client, string FirstLabel) Key { get; }
        public bool Closed { get; set; }
        public List<ObservedQuery> Queries { get; } = new();
        public TimeSpan LastActivity { get; private set; }

        public void Add(ObservedQuery q)
        {
            Queries.Add(q);
            _asked.Add((q.Name, q.Type));
            if (IsAddress(q) != _addressTypes) _mixedTypes = true;
            LastActivity = Max(LastActivity, q.AnsweredAt ?? q.SentAt);
        }

        /// <summary>
        /// A query belongs to the running lookup when it repeats one of its queries, or when its name and
        /// the lookup's names are candidates of one base name (a common first label: "x.ns.svc..." then
        /// "x."), and it is of the same family of types (PTR look-ups of tcpdump itself stay apart).
        /// </summary>
        public bool Accepts(ObservedQuery q)
        {
            if (_asked.Contains((q.Name, q.Type))) return true;
            if (_mixedTypes || IsAddress(q) != _addressTypes) return false;
            return _firstLabel.Length > 0 && _firstLabel == FirstLabel(q.Name);
        }

        private static bool IsAddress(ObservedQuery q) => q.Type is "A" or "AAAA";
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
        // First-try AAAA queries by name, so pairing each A is a look-up, not a scan (large lookups stay linear).
        var aaaaByName = queries.Where(q => q.Type == "AAAA" && q.Reason == QuerySendReason.FirstTry).ToLookup(q => q.Name);
        foreach (var a in queries.Where(q => q.Type == "A" && q.Reason == QuerySendReason.FirstTry))
        {
            var aaaa = aaaaByName[a.Name].FirstOrDefault(q => (q.SentAt - a.SentAt).Duration() <= LookupDiagnoser.PairWindow);
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
