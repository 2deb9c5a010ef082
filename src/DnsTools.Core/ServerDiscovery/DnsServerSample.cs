using System.Globalization;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>How one discovery query was sent.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DiscoveryTransport
{
    /// <summary>UDP without an EDNS OPT record, as musl and glibc (without "options edns0") send.</summary>
    Udp,
    /// <summary>UDP with an EDNS0 OPT record (Go, glibc with "options edns0"); some middleboxes drop these.</summary>
    UdpEdns,
    /// <summary>TCP, asked once when a UDP answer was truncated (or always with CheckTcp).</summary>
    Tcp,
}

/// <summary>One query sent to one server and what came back.</summary>
public sealed class DnsServerSample
{
    /// <summary>The server as address:port.</summary>
    public required string Server { get; init; }
    /// <summary>The name asked, fully qualified with a trailing dot.</summary>
    public required string Name { get; init; }
    /// <summary>The query type (A, AAAA, or one the user added).</summary>
    public required string Type { get; init; }
    public required DiscoveryTransport Transport { get; init; }
    /// <summary>What a libc makes of the reply (an unusable reply counts as no answer: the libc drops it and waits).</summary>
    public required ServerResponseKind Outcome { get; init; }
    /// <summary>The reply's rcode (NoError, NXDomain, ...), or null without a usable reply.</summary>
    public string? Rcode { get; init; }
    /// <summary>Records of the asked type in the answer section.</summary>
    public int AnswerCount { get; init; }
    /// <summary>TC was set.</summary>
    public bool Truncated { get; init; }
    // Durations are public as …Ms numbers and internal as TimeSpans (one JSON shape at any ConvertTo-Json -Depth);
    // PowerShell gets the TimeSpans as hidden CodeProperties (DnsTools.Types.ps1xml, DurationProperties), as for ObservedQuery.
    /// <summary>From the send to the reply (or to the end of the wait when none came).</summary>
    internal TimeSpan Latency { get; init; }
    /// <summary>Why there was no usable reply (timeout, wrong id, malformed, TCP refused), or null.</summary>
    public string? Error { get; init; }

    public double LatencyMs => Math.Round(Latency.TotalMilliseconds, 3);

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Server} {Transport} {Type} {Name} -> {Rcode ?? Outcome.ToString()}{(Truncated ? " TC" : "")} an={AnswerCount} {Latency.TotalMilliseconds:0.#} ms{(Error is null ? "" : " (" + Error + ")")}");
}
