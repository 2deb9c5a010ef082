using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Inspection;
using DnsTools.Core.Probe;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.Core.Json;

/// <summary>
/// The one JSON writer every front end uses (cmdlet -Format Json, dnstools-lint, dnstools-probe --format json|jsonl):
/// camelCase names, enums as names, durations as …Ms numbers, '+' and other non-HTML-safe characters as they are (not
/// \u002B). Source-generated (no reflection), so Core stays trimming- and AOT-clean and the NativeAOT probe writes
/// exactly what the cmdlets write. <see cref="DnsTools.Core.Probe.ProbeJson"/> only reads it back.
/// </summary>
public static class DnsJson
{
    /// <summary>The options of <see cref="DnsJsonContext"/> with an encoder that escapes only what JSON requires.</summary>
    private static readonly DnsJsonContext Context = new(new JsonSerializerOptions(DnsJsonContext.Default.Options)
    {
        // The default encoder escapes '+', '<', '&', non-ASCII... for HTML embedding; these reports are not embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>The same shapes on one line each (JSON lines: dnstools-probe --format jsonl, Import-DnsProbeResult).</summary>
    private static readonly DnsJsonContext LineContext = new(new JsonSerializerOptions(DnsJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    });

    /// <summary>The JSON writer options the report writers share (indented, relaxed escaping).</summary>
    public static JsonSerializerOptions Options => Context.Options;

    /// <summary>
    /// One line of JSON (no line breaks inside) for a lookup, a summary, a query plan, a verification or a server
    /// behaviour: the same fields as the element of the array <see cref="Serialize(IReadOnlyList{QueryPlan})"/> and
    /// its siblings write.
    /// </summary>
    public static string SerializeLine(object result) => result switch
    {
        ObservedLookup l => JsonSerializer.Serialize(l, LineContext.ObservedLookup),
        DnsProbeSummary s => JsonSerializer.Serialize(s, LineContext.DnsProbeSummary),
        QueryPlan p => JsonSerializer.Serialize(p, LineContext.QueryPlan),
        BehaviorVerification v => JsonSerializer.Serialize(v, LineContext.BehaviorVerification),
        DnsServerBehavior b => JsonSerializer.Serialize(b, LineContext.DnsServerBehavior),
        null => throw new ArgumentNullException(nameof(result)),
        _ => throw new ArgumentException($"{result.GetType().Name} has no JSON form here (lookups, summaries, query plans, verifications and server behaviours have)", nameof(result)),
    };

    public static string Serialize(QueryPlan plan) => JsonSerializer.Serialize(plan, Context.QueryPlan);

    public static string Serialize(IReadOnlyList<QueryPlan> plans) => JsonSerializer.Serialize(plans, Context.IReadOnlyListQueryPlan);

    public static string Serialize(IReadOnlyList<ObservedLookup> lookups) => JsonSerializer.Serialize(lookups, Context.IReadOnlyListObservedLookup);

    public static string Serialize(DnsProbeSummary summary) => JsonSerializer.Serialize(summary, Context.DnsProbeSummary);

    public static string Serialize(IReadOnlyList<DnsProbeSummary> summaries) => JsonSerializer.Serialize(summaries, Context.IReadOnlyListDnsProbeSummary);

    public static string Serialize(IReadOnlyList<BehaviorVerification> verifications) => JsonSerializer.Serialize(verifications, Context.IReadOnlyListBehaviorVerification);

    public static string Serialize(DnsServerBehavior behavior) => JsonSerializer.Serialize(behavior, Context.DnsServerBehavior);

    public static string Serialize(IReadOnlyList<DnsServerBehavior> behaviors) => JsonSerializer.Serialize(behaviors, Context.IReadOnlyListDnsServerBehavior);

    internal static string Serialize(ImageDnsJsonReport report) => JsonSerializer.Serialize(report, Context.ImageDnsJsonReport);
}

/// <summary>An address as text ("10.96.0.10", "fe80::1"): IPAddress's own properties (ScopeId...) throw for IPv4.</summary>
internal sealed class IPAddressJsonConverter : JsonConverter<System.Net.IPAddress>
{
    public override System.Net.IPAddress? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        System.Net.IPAddress.Parse(reader.GetString() ?? throw new JsonException("An IP address is a string."));

    public override void Write(Utf8JsonWriter writer, System.Net.IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true,
    Converters = new[] { typeof(IPAddressJsonConverter) })]
[JsonSerializable(typeof(QueryPlan))]
[JsonSerializable(typeof(ObservedLookup))]
[JsonSerializable(typeof(BehaviorVerification))]
[JsonSerializable(typeof(IReadOnlyList<QueryPlan>))]
[JsonSerializable(typeof(IReadOnlyList<ObservedLookup>))]
[JsonSerializable(typeof(DnsProbeSummary))]
[JsonSerializable(typeof(IReadOnlyList<DnsProbeSummary>))]
[JsonSerializable(typeof(IReadOnlyList<BehaviorVerification>))]
[JsonSerializable(typeof(DnsServerBehavior))]
[JsonSerializable(typeof(IReadOnlyList<DnsServerBehavior>))]
[JsonSerializable(typeof(ImageDnsJsonReport))]
internal sealed partial class DnsJsonContext : JsonSerializerContext;
