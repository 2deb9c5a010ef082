using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>Why a query left the resolver.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum QueryReason
{
    /// <summary>The first send of a query for the first candidate name.</summary>
    FirstTry,
    /// <summary>The first send of a query for a later candidate (the previous one failed or was not found).</summary>
    NextCandidate,
    /// <summary>Sequential mode (single-request, or Go's single-request): sent once the other type's query finished.</summary>
    AfterOtherType,
    /// <summary>The same query again because the previous try timed out (musl: the retry interval passed).</summary>
    RetryAfterTimeout,
    /// <summary>The same query again because the previous try got an error reply (SERVFAIL, REFUSED).</summary>
    RetryAfterError,
    /// <summary>musl: re-sent at once because the server answered SERVFAIL.</summary>
    ResendAfterServfail,
    /// <summary>The same query to the next nameserver.</summary>
    NextServer,
    /// <summary>glibc: a timeout with one answer in hand switched to single-request and restarted the exchange.</summary>
    SingleRequestFallback,
    /// <summary>glibc: a second such timeout switched to single-request-reopen (new sockets) and restarted.</summary>
    ReopenFallback,
    /// <summary>The UDP answer was truncated (TC=1): the query is repeated over TCP.</summary>
    TcpAfterTruncation,
}

/// <summary>The result getaddrinfo (or Go's LookupIPAddr) returns.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum LookupResult
{
    /// <summary>At least one address.</summary>
    Success,
    /// <summary>EAI_NONAME (-2) / Go "no such host".</summary>
    NoName,
    /// <summary>EAI_NODATA (-5): the name exists without addresses.</summary>
    NoData,
    /// <summary>EAI_AGAIN (-3) / Go timeout or "server misbehaving" (SERVFAIL).</summary>
    TryAgain,
    /// <summary>EAI_FAIL (-4) / Go "server misbehaving" (REFUSED and other rcodes).</summary>
    Fail,
    /// <summary>The lookup does not finish within the simulated limits (glibc TCP reads have no timeout; plans stop at 5000 queries).</summary>
    Hang,
}

/// <summary>One query the resolver puts on the wire.</summary>
public sealed class PlannedQuery
{
    /// <summary>1-based position in the plan (send order).</summary>
    public int Index { get; internal set; }
    /// <summary>When the query leaves, from the start of the lookup.</summary>
    internal TimeSpan SendTime { get; set; }
    public double SendTimeMs => SendTime.TotalMilliseconds;
    /// <summary>The candidate name, fully qualified with a trailing dot.</summary>
    public string Name { get; internal init; } = "";
    public DnsQueryType Type { get; internal init; }
    /// <summary>The nameserver address.</summary>
    public string Server { get; internal init; } = "";
    public DnsTransport Transport { get; internal init; }
    /// <summary>The local socket, numbered from 1 in order of first use: queries with the same number share a source port.</summary>
    public int Socket { get; internal set; }
    /// <summary>How many times this name and type have been sent to this server for this candidate, this one included.</summary>
    public int Attempt { get; internal init; }
    public QueryReason Reason { get; internal init; }
    /// <summary>What the server does with it.</summary>
    public ServerResponseKind Response { get; internal init; }
    /// <summary>When the reply arrives (null: never).</summary>
    internal TimeSpan? ResponseTime { get; init; }
    public double? ResponseTimeMs => ResponseTime?.TotalMilliseconds;
    /// <summary>The rule that decided the reply, or null when none matched (answered at once).</summary>
    public string? Rule { get; internal init; }
    /// <summary>What the resolver did with the reply, in words.</summary>
    public string Handling { get; internal set; } = "";

    /// <summary>The reply comes but the resolver never reads it (the socket closed first, or the lookup ended).</summary>
    internal bool ReplyUnread { get; set; }
    internal int Identity { get; init; }
    internal int RawSocket { get; init; }
    internal int Step { get; init; }
    internal long Sequence { get; init; }

    public override string ToString()
        => $"{SendTime.TotalMilliseconds,8:0.#} ms  #{Socket} {Transport} {Server} {Type,-4} {Name} try {Attempt} ({Reason}) -> {Response}" + (ResponseTime is { } t ? $" at {t.TotalMilliseconds:0.#} ms" : "");
}

/// <summary>What one resolver sends for one name, in order, and what comes of it.</summary>
public sealed class QueryPlan
{
    internal QueryPlan(string name, ResolverSpec resolver, ResolverSettings settings, ServerBehavior server,
        IReadOnlyList<string> candidates, IReadOnlyList<PlannedQuery> queries, TimeSpan totalTime, LookupResult result,
        IReadOnlyList<DnsQueryType> addresses, string? answeredBy, IReadOnlyList<string> notes)
    {
        Name = name;
        Resolver = resolver;
        Settings = settings;
        ServerBehavior = server;
        Candidates = candidates;
        Queries = queries;
        TotalTime = totalTime;
        Result = result;
        AddressTypes = addresses;
        AnsweredName = answeredBy;
        Notes = notes;
    }

    /// <summary>The name as asked.</summary>
    public string Name { get; }
    public ResolverSpec Resolver { get; }
    /// <summary>What this resolver made of the resolv.conf.</summary>
    public ResolverSettings Settings { get; }
    public ServerBehavior ServerBehavior { get; }
    /// <summary>The candidate names in the order the resolver would try them (not all may be reached).</summary>
    public IReadOnlyList<string> Candidates { get; }
    /// <summary>Every query on the wire, in send order.</summary>
    public IReadOnlyList<PlannedQuery> Queries { get; }
    /// <summary>From the call to the return.</summary>
    internal TimeSpan TotalTime { get; }
    public double TotalTimeMs => TotalTime.TotalMilliseconds;
    public LookupResult Result { get; }
    /// <summary>The C error code (EAI_AGAIN, ...) or Go's error, or "ok".</summary>
    public string ResultCode => Resolver.Family == ResolverFamily.Go
        ? Result switch { LookupResult.Success => "ok", LookupResult.NoName or LookupResult.NoData => "no such host", LookupResult.TryAgain => "temporary error", LookupResult.Fail => "server misbehaving", _ => "hangs" }
        : Result switch { LookupResult.Success => "ok", LookupResult.NoName => "EAI_NONAME", LookupResult.NoData => "EAI_NODATA", LookupResult.TryAgain => "EAI_AGAIN", LookupResult.Fail => "EAI_FAIL", _ => "hangs" };
    /// <summary>The record types whose addresses the caller gets.</summary>
    public IReadOnlyList<DnsQueryType> AddressTypes { get; }
    /// <summary>The candidate whose answer was returned, if any.</summary>
    public string? AnsweredName { get; }
    /// <summary>Assumptions and version notes for this plan.</summary>
    public IReadOnlyList<string> Notes { get; }

    public int QueryCount => Queries.Count;
    public int SocketCount => Queries.Select(q => q.Socket).Distinct().Count();

    public override string ToString()
        => $"{Resolver}: {Name} -> {ResultCode} after {TotalTime.TotalMilliseconds:0.#} ms, {QueryCount} queries on {SocketCount} sockets";
}
