using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Probe;

/// <summary>
/// The JSON of probe results (dnstools-probe --format json|jsonl, Import-DnsProbeResult): one
/// place for it, source-generated (no reflection, so the NativeAOT probe can use it). Field names
/// are the objects' property names in camelCase, durations are numbers of milliseconds named
/// <c>…Ms</c>, enums are strings. A JSON line is one <see cref="ObservedLookup"/> (a lookup or a
/// capture's lookup), one <see cref="DnsProbeSummary"/> (repeated lookups) or one
/// <see cref="QueryPlan"/> (written only: a plan is recomputed, not imported).
/// </summary>
public static class ProbeJson
{
    // Names and free text stay readable: '+' (tcpdump's flags), '<', '>' and non-ASCII are written as
    // they are; JSON's own escapes (quotes, control characters) still apply.
    private static readonly ProbeJsonContext Context = new(new JsonSerializerOptions(ProbeJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>One line of JSON (no line breaks inside) for a lookup, a summary or a plan.</summary>
    public static string ToJsonLine(object result) => result switch
    {
        ObservedLookup l => JsonSerializer.Serialize(LookupJson.From(l), Context.LookupJson),
        DnsProbeSummary s => JsonSerializer.Serialize(SummaryJson.From(s), Context.SummaryJson),
        QueryPlan p => JsonSerializer.Serialize(PlanJson.From(p), Context.PlanJson),
        null => throw new ArgumentNullException(nameof(result)),
        _ => throw new ArgumentException($"{result.GetType().Name} has no probe JSON form (lookups, summaries and query plans have)", nameof(result)),
    };

    /// <summary>A JSON array of results, indented (--format json).</summary>
    public static string ToJsonArray(IEnumerable<object> results)
    {
        var text = new StringBuilder("[");
        var first = true;
        foreach (var r in results)
        {
            text.Append(first ? "\n  " : ",\n  ").Append(ToJsonLine(r));
            first = false;
        }
        return text.Append(first ? "]" : "\n]").ToString();
    }

    /// <summary>
    /// Reads one JSON object (a line of --format jsonl, or an element of --format json) back into
    /// the object the cmdlets produce: an <see cref="ObservedLookup"/> or a <see cref="DnsProbeSummary"/>.
    /// </summary>
    /// <exception cref="FormatException">Not JSON, or not a lookup or summary (the message says which).</exception>
    public static object FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return FromElement(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a probe result: {e.Message}", e);
        }
    }

    /// <summary>Every result in a JSON text: an object, or an array of them (--format json).</summary>
    public static IEnumerable<object> FromJsonDocument(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"not a probe result: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return new[] { FromElement(doc.RootElement) };
            return doc.RootElement.EnumerateArray().Select(FromElement).ToList();
        }
    }

    private static object FromElement(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"expected a JSON object, found {e.ValueKind}");
        try
        {
            if (e.TryGetProperty("lookups", out _))
                return (e.Deserialize(Context.SummaryJson) ?? throw new FormatException("null summary")).ToSummary();
            if (e.TryGetProperty("queries", out _) && e.TryGetProperty("outcome", out _))
                return (e.Deserialize(Context.LookupJson) ?? throw new FormatException("null lookup")).ToLookup();
            if (e.TryGetProperty("resultCode", out _))
                throw new FormatException("a query plan (dnstools-probe plan) is not imported: run Get-ResolverQueryPlan with the same arguments, it is computed, not measured");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not a probe result: {ex.Message}", ex);
        }
        throw new FormatException("not a probe result: expected a lookup (queries, outcome) or a summary (lookups)");
    }

    internal static double Ms(TimeSpan t) => t.Ticks / (double)TimeSpan.TicksPerMillisecond;

    internal static double? Ms(TimeSpan? t) => t is { } v ? Ms(v) : null;

    // Rounded to the tick: FromMilliseconds rounds to whole milliseconds on some runtimes.
    internal static TimeSpan Time(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    internal static TimeSpan? Time(double? ms) => ms is { } v ? Time(v) : null;
}

// The JSON shapes. Public so the source generator can see them; not meant for callers.

public sealed class QueryJson
{
    public int Index { get; init; }
    public double SentAtMs { get; init; }
    public double? AnsweredAtMs { get; init; }
    public double? LatencyMs { get; init; }
    public string Name { get; init; } = "";
    public string Type { get; init; } = "";
    public string Client { get; init; } = "";
    public int SourcePort { get; init; }
    public string Server { get; init; } = "";
    public ushort Id { get; init; }
    public string Transport { get; init; } = "UDP";
    public int Attempt { get; init; } = 1;
    public QuerySendReason Reason { get; init; }
    public string? Rcode { get; init; }
    public int AnswerCount { get; init; }
    public bool Truncated { get; init; }
    public bool TimedOut { get; init; }
    public bool Late { get; init; }
    public int Size { get; init; }
    public string Flags { get; init; } = "";
    public string Source { get; init; } = "";
    public string? Outcome { get; init; }

    internal static QueryJson From(ObservedQuery q) => new()
    {
        Index = q.Index, SentAtMs = ProbeJson.Ms(q.SentAt), AnsweredAtMs = ProbeJson.Ms(q.AnsweredAt), LatencyMs = ProbeJson.Ms(q.Latency),
        Name = q.Name, Type = q.Type, Client = q.Client, SourcePort = q.SourcePort, Server = q.Server, Id = q.Id,
        Transport = q.Transport, Attempt = q.Attempt, Reason = q.Reason, Rcode = q.Rcode, AnswerCount = q.AnswerCount,
        Truncated = q.Truncated, TimedOut = q.TimedOut, Late = q.Late, Size = q.Size, Flags = q.Flags, Source = q.Source, Outcome = q.Outcome,
    };

    internal ObservedQuery ToQuery() => new()
    {
        Index = Index, SentAt = ProbeJson.Time(SentAtMs), AnsweredAt = ProbeJson.Time(AnsweredAtMs),
        Name = Name, Type = Type, Client = Client, SourcePort = SourcePort, Server = Server, Id = Id,
        Transport = Transport, Attempt = Attempt, Reason = Reason, Rcode = Rcode, AnswerCount = AnswerCount,
        Truncated = Truncated, TimedOut = TimedOut, Late = Late, Size = Size, Flags = Flags, Source = Source,
    };
}

public sealed class DiagnosisJson
{
    public string Code { get; init; } = "";
    public string Title { get; init; } = "";
    public string Explanation { get; init; } = "";
    public List<string> Evidence { get; init; } = new();
    public List<string> Mitigations { get; init; } = new();

    internal static DiagnosisJson From(DnsDiagnosis d) => new()
    {
        Code = d.Code, Title = d.Title, Explanation = d.Explanation, Evidence = d.Evidence.ToList(), Mitigations = d.Mitigations.ToList(),
    };

    internal DnsDiagnosis ToDiagnosis() => new(Code, Title, Explanation, Evidence, Mitigations);
}

public sealed class LookupJson
{
    public string Name { get; init; } = "";
    public string Client { get; init; } = "";
    public ObservedResolver Resolver { get; init; }
    public string ResolverEvidence { get; init; } = "";
    public string? ResolverSpec { get; init; }
    public string? Mitigation { get; init; }
    public double StartMs { get; init; }
    public double DurationMs { get; init; }
    public string Outcome { get; init; } = "";
    public bool? Succeeded { get; init; }
    public string? AnsweredName { get; init; }
    public string? Note { get; init; }
    public List<QueryJson> Queries { get; init; } = new();
    public List<DiagnosisJson> Diagnoses { get; init; } = new();

    internal static LookupJson From(ObservedLookup l) => new()
    {
        Name = l.Name, Client = l.Client, Resolver = l.Resolver, ResolverEvidence = l.ResolverEvidence, ResolverSpec = l.ResolverSpec,
        Mitigation = l.Mitigation, StartMs = ProbeJson.Ms(l.Start), DurationMs = ProbeJson.Ms(l.Duration), Outcome = l.Outcome,
        Succeeded = l.Succeeded, AnsweredName = l.AnsweredName, Note = l.Note,
        Queries = l.Queries.Select(QueryJson.From).ToList(), Diagnoses = l.Diagnoses.Select(DiagnosisJson.From).ToList(),
    };

    internal ObservedLookup ToLookup() => new()
    {
        Name = Name, Client = Client, Resolver = Resolver, ResolverEvidence = ResolverEvidence, ResolverSpec = ResolverSpec,
        Mitigation = Mitigation, Start = ProbeJson.Time(StartMs), Duration = ProbeJson.Time(DurationMs), Outcome = Outcome,
        Succeeded = Succeeded, AnsweredName = AnsweredName, Note = Note,
        Queries = Queries.Select(q => q.ToQuery()).ToList(), Diagnoses = Diagnoses.Select(d => d.ToDiagnosis()).ToList(),
    };
}

public sealed class SummaryJson
{
    public string Resolver { get; init; } = "";
    public string Mitigation { get; init; } = "";
    public string Name { get; init; } = "";
    public int Count { get; init; }
    public int Succeeded { get; init; }
    public double P50Ms { get; init; }
    public double P95Ms { get; init; }
    public double P99Ms { get; init; }
    public double MaxMs { get; init; }
    public double TimeoutRate { get; init; }
    public double FiveSecondRate { get; init; }
    public Dictionary<string, int> Diagnoses { get; init; } = new();
    public List<LookupJson> Lookups { get; init; } = new();

    internal static SummaryJson From(DnsProbeSummary s) => new()
    {
        Resolver = s.Resolver, Mitigation = s.Mitigation, Name = s.Name, Count = s.Count, Succeeded = s.Succeeded,
        P50Ms = ProbeJson.Ms(s.P50), P95Ms = ProbeJson.Ms(s.P95), P99Ms = ProbeJson.Ms(s.P99), MaxMs = ProbeJson.Ms(s.Max),
        TimeoutRate = s.TimeoutRate, FiveSecondRate = s.FiveSecondRate, Diagnoses = new Dictionary<string, int>(s.Diagnoses),
        Lookups = s.Lookups.Select(LookupJson.From).ToList(),
    };

    internal DnsProbeSummary ToSummary() => new()
    {
        Resolver = Resolver, Mitigation = Mitigation, Name = Name, Count = Count, Succeeded = Succeeded,
        P50 = ProbeJson.Time(P50Ms), P95 = ProbeJson.Time(P95Ms), P99 = ProbeJson.Time(P99Ms), Max = ProbeJson.Time(MaxMs),
        TimeoutRate = TimeoutRate, FiveSecondRate = FiveSecondRate, Diagnoses = Diagnoses,
        Lookups = Lookups.Select(l => l.ToLookup()).ToList(),
    };
}

public sealed class PlannedQueryJson
{
    public int Index { get; init; }
    public double SendTimeMs { get; init; }
    public string Name { get; init; } = "";
    public DnsQueryType Type { get; init; }
    public string Server { get; init; } = "";
    public DnsTransport Transport { get; init; }
    public int Socket { get; init; }
    public int Attempt { get; init; }
    public QueryReason Reason { get; init; }
    public ServerResponseKind Response { get; init; }
    public double? ResponseTimeMs { get; init; }
    public string? Rule { get; init; }
    public string Handling { get; init; } = "";

    internal static PlannedQueryJson From(PlannedQuery q) => new()
    {
        Index = q.Index, SendTimeMs = ProbeJson.Ms(q.SendTime), Name = q.Name, Type = q.Type, Server = q.Server, Transport = q.Transport,
        Socket = q.Socket, Attempt = q.Attempt, Reason = q.Reason, Response = q.Response, ResponseTimeMs = ProbeJson.Ms(q.ResponseTime),
        Rule = q.Rule, Handling = q.Handling,
    };
}

public sealed class PlanJson
{
    public string Name { get; init; } = "";
    public string Resolver { get; init; } = "";
    public string ServerBehavior { get; init; } = "";
    public List<string> Candidates { get; init; } = new();
    public double TotalTimeMs { get; init; }
    public LookupResult Result { get; init; }
    public string ResultCode { get; init; } = "";
    public List<DnsQueryType> AddressTypes { get; init; } = new();
    public string? AnsweredName { get; init; }
    public int QueryCount { get; init; }
    public int SocketCount { get; init; }
    public List<string> Notes { get; init; } = new();
    public List<PlannedQueryJson> Queries { get; init; } = new();

    internal static PlanJson From(QueryPlan p) => new()
    {
        Name = p.Name, Resolver = p.Resolver.ToString(), ServerBehavior = p.ServerBehavior.ToString(), Candidates = p.Candidates.ToList(),
        TotalTimeMs = ProbeJson.Ms(p.TotalTime), Result = p.Result, ResultCode = p.ResultCode, AddressTypes = p.AddressTypes.ToList(),
        AnsweredName = p.AnsweredName, QueryCount = p.QueryCount, SocketCount = p.SocketCount, Notes = p.Notes.ToList(),
        Queries = p.Queries.Select(PlannedQueryJson.From).ToList(),
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LookupJson))]
[JsonSerializable(typeof(SummaryJson))]
[JsonSerializable(typeof(PlanJson))]
internal sealed partial class ProbeJsonContext : JsonSerializerContext
{
}
