namespace DnsTools.Core.Resolvers;

/// <summary>Thrown when a plan reaches <see cref="Simulation.MaxQueries"/>.</summary>
internal sealed class PlanLimitException : Exception
{
    public PlanLimitException(TimeSpan at) : base($"stopped after {Simulation.MaxQueries} queries") => At = at;
    public TimeSpan At { get; }
}

/// <summary>A reply on its way to a socket.</summary>
internal sealed class SimReply
{
    public required PlannedQuery Query { get; init; }
    public required TimeSpan At { get; init; }
    public required ServerResponseKind Kind { get; init; }
    public required int Socket { get; init; }
    public int Identity => Query.Identity;
    public string Server => Query.Server;
    public bool Consumed { get; set; }
    public long Sequence => Query.Sequence;

    public void Handle(string what)
    {
        Consumed = true;
        Query.Handling = what;
    }
}

/// <summary>
/// The deterministic discrete-event world a model runs in: sockets, queries sent to the
/// server-behaviour rules, and the replies they produce, in virtual time. The probe derives
/// <see cref="DnsTools.Core.Probe.LiveNetwork"/> from it, so the same model drives real sockets.
/// </summary>
internal class Simulation
{
    private readonly ServerBehavior _server;
    // "then cached" replies: a plan is one lookup, which starts on the server's cold cache.
    private readonly ServerCache _cache = new();
    private readonly List<PlannedQuery> _queries = new();
    private readonly List<SimReply> _replies = new();
    private readonly Dictionary<int, TimeSpan?> _closedAt = new();
    private readonly Dictionary<(string, DnsQueryType, string), int> _attempts = new();
    private int _nextSocket, _nextIdentity;
    private long _sequence;

    public Simulation(ServerBehavior server) => _server = server;

    public List<string> Notes { get; } = new();

    public int NewIdentity() => Interlocked.Increment(ref _nextIdentity);

    public virtual int Open()
    {
        var s = ++_nextSocket;
        _closedAt[s] = null;
        return s;
    }

    public virtual void Close(int socket, TimeSpan at)
    {
        if (_closedAt.TryGetValue(socket, out var closed) && closed is null) _closedAt[socket] = at;
    }

    public bool IsOpen(int socket) => _closedAt.TryGetValue(socket, out var closed) && closed is null;

    /// <summary>A new candidate name: attempt counters start again.</summary>
    public void NewCandidate() => _attempts.Clear();

    /// <summary>A plan stops here: Go's attempts have no cap, so a resolv.conf can ask for millions of queries.</summary>
    public const int MaxQueries = 5000;

    // step: for concurrent lanes (Go's goroutines), how many sends this lane made before this one.
    // Queries leaving at the same instant are ordered by it, so the lanes' first sends come before
    // their follow-ups.
    public virtual SimReply? Send(TimeSpan at, string fqdn, DnsQueryType type, string server, DnsTransport transport, int socket, QueryReason reason, int identity, int step = 0)
    {
        if (_queries.Count >= MaxQueries) throw new PlanLimitException(at);
        // "Parallel": an earlier query left this socket for the same server at the same instant and
        // its reply has not been read yet (sendmmsg, or musl's batch), unlike single-request's second query.
        var parallel = _queries.Any(q => q.RawSocket == socket && q.Server == server && q.SendTime == at
            && _replies.FirstOrDefault(r => r.Query == q) is not { Consumed: true });
        var response = _server.Respond(fqdn, type, server, transport, parallel, _cache, at);
        var key = (fqdn, type, server);
        _attempts[key] = _attempts.TryGetValue(key, out var n) ? n + 1 : 1;
        TimeSpan? arrives = response.Kind == ServerResponseKind.NoAnswer ? null : at + response.Delay;
        var q = new PlannedQuery
        {
            SendTime = at,
            Name = fqdn,
            Type = type,
            Server = server,
            Transport = transport,
            RawSocket = socket,
            Attempt = _attempts[key],
            Reason = reason,
            Response = response.Kind,
            ResponseTime = arrives,
            Rule = response.Rule?.Text,
            Identity = identity,
            Step = step,
            Sequence = ++_sequence,
            Handling = response.Rule is { OnlyIfParallel: true } ? "no reply: lost as the second parallel query on the socket"
                : response.Kind == ServerResponseKind.NoAnswer ? "no reply" : "",
        };
        _queries.Add(q);
        if (arrives is null) return null;
        var reply = new SimReply { Query = q, At = arrives.Value, Kind = response.Kind, Socket = socket };
        _replies.Add(reply);
        return reply;
    }

    /// <summary>The earliest unread reply on one of the sockets arriving in [from, until).</summary>
    public virtual SimReply? Next(IEnumerable<int> sockets, TimeSpan from, TimeSpan until)
    {
        var set = sockets as ICollection<int> ?? sockets.ToArray();
        SimReply? best = null;
        foreach (var r in _replies)
        {
            if (r.Consumed || !set.Contains(r.Socket) || !IsOpen(r.Socket) || r.At < from || r.At >= until) continue;
            if (best is null || r.At < best.At || (r.At == best.At && r.Sequence < best.Sequence)) best = r;
        }
        return best;
    }

    public SimReply? Next(int socket, TimeSpan from, TimeSpan until) => Next(new[] { socket }, from, until);

    /// <summary>Sorts the queries into send order, numbers them and their sockets, and says what became of unread replies.</summary>
    public virtual IReadOnlyList<PlannedQuery> Finish()
    {
        var ordered = _queries.OrderBy(q => q.SendTime).ThenBy(q => q.Step).ThenBy(q => q.Sequence).ToList();
        var socketNumbers = new Dictionary<int, int>();
        for (var i = 0; i < ordered.Count; i++)
        {
            var q = ordered[i];
            q.Index = i + 1;
            if (!socketNumbers.TryGetValue(q.RawSocket, out var number)) socketNumbers[q.RawSocket] = number = socketNumbers.Count + 1;
            q.Socket = number;
        }
        foreach (var r in _replies.Where(r => !r.Consumed))
        {
            var closed = _closedAt.TryGetValue(r.Socket, out var c) ? c : null;
            r.Query.Handling = closed is { } at && at <= r.At ? "arrives after the socket closed" : "not read: the lookup ended first";
            r.Query.ReplyUnread = true;
        }
        return ordered;
    }
}
