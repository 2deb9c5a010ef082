using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Json;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Probe;

/// <summary>
/// Probe results as JSON lines and back (dnstools-probe --format json|jsonl, Import-DnsProbeResult). Written by
/// <see cref="DnsJson"/>, the one writer the cmdlets' -Format Json uses too, so the fields are the same; read here
/// into the objects the cmdlets produce. A JSON line is one <see cref="ObservedLookup"/> (a lookup or a capture's
/// lookup), one <see cref="DnsProbeSummary"/> (repeated lookups) or one <see cref="QueryPlan"/> (written only: a
/// plan is recomputed, not imported).
/// </summary>
public static class ProbeJson
{
    private static readonly ProbeJsonContext Context = ProbeJsonContext.Default;

    /// <summary>One line of JSON (no line breaks inside) for a lookup, a summary or a plan: <see cref="DnsJson.SerializeLine"/>.</summary>
    public static string ToJsonLine(object result) => DnsJson.SerializeLine(result);

    /// <summary>
    /// A JSON array of results (--format json): what the cmdlets' -Format Json writes for the same objects (all lookups,
    /// all summaries or all plans; a mix is written element by element in the same shapes).
    /// </summary>
    public static string ToJsonArray(IEnumerable<object> results)
    {
        var list = results.ToList();
        if (list.All(r => r is QueryPlan)) return DnsJson.Serialize(list.Cast<QueryPlan>().ToList());
        if (list.All(r => r is ObservedLookup)) return DnsJson.Serialize(list.Cast<ObservedLookup>().ToList());
        if (list.All(r => r is DnsProbeSummary)) return DnsJson.Serialize(list.Cast<DnsProbeSummary>().ToList());
        if (list.All(r => r is DnsTools.Core.ServerDiscovery.DnsServerBehavior)) return DnsJson.Serialize(list.Cast<DnsTools.Core.ServerDiscovery.DnsServerBehavior>().ToList());
        var text = new StringBuilder("[");
        for (var i = 0; i < list.Count; i++) text.Append(i == 0 ? "\n  " : ",\n  ").Append(ToJsonLine(list[i]));
        return text.Append(list.Count == 0 ? "]" : "\n]").ToString();
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

    // Rounded to the tick: FromMilliseconds rounds to whole milliseconds on some runtimes.
    internal static TimeSpan Time(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    internal static TimeSpan? Time(double? ms) => ms is { } v ? Time(v) : null;
}

// The shapes read back (DnsJson writes the objects themselves; their TimeSpans are internal, so reading needs these).
// Public so the source generator can see them; not meant for callers.

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
    public ProbeScheduling? Scheduling { get; init; }
    public string? AnsweredName { get; init; }
    public string? Note { get; init; }
    public List<QueryJson> Queries { get; init; } = new();
    public List<DiagnosisJson> Diagnoses { get; init; } = new();


    internal ObservedLookup ToLookup() => new()
    {
        Name = Name, Client = Client, Resolver = Resolver, ResolverEvidence = ResolverEvidence, ResolverSpec = ResolverSpec,
        Mitigation = Mitigation, Start = ProbeJson.Time(StartMs), Duration = ProbeJson.Time(DurationMs), Outcome = Outcome,
        Succeeded = Succeeded, Scheduling = Scheduling, AnsweredName = AnsweredName, Note = Note,
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


    internal DnsProbeSummary ToSummary() => new()
    {
        Resolver = Resolver, Mitigation = Mitigation, Name = Name, Count = Count, Succeeded = Succeeded,
        P50 = ProbeJson.Time(P50Ms), P95 = ProbeJson.Time(P95Ms), P99 = ProbeJson.Time(P99Ms), Max = ProbeJson.Time(MaxMs),
        TimeoutRate = TimeoutRate, FiveSecondRate = FiveSecondRate, Diagnoses = Diagnoses,
        Lookups = Lookups.Select(l => l.ToLookup()).ToList(),
    };
}

// Reading only: unknown fields (answered, outcome of a query...: what DnsJson writes and the objects compute) are skipped.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(LookupJson))]
[JsonSerializable(typeof(SummaryJson))]
internal sealed partial class ProbeJsonContext : JsonSerializerContext
{
}
