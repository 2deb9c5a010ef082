namespace DnsTools.Core.Diagnosis;

/// <summary>Why a query was sent, as far as the observer can tell.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum QuerySendReason
{
    /// <summary>The first query for this name and type.</summary>
    FirstTry,
    /// <summary>The same query (same id, name, type, source port) sent again with no answer seen: a retry after a timeout.</summary>
    RetryAfterTimeout,
    /// <summary>The same query sent again right after a SERVFAIL answer (musl's res_msend.c re-send).</summary>
    ResendAfterServfail,
    /// <summary>Over TCP after a truncated UDP answer.</summary>
    TcpAfterTruncation,
    /// <summary>A new query id for a name and type asked before (glibc's and Go's next attempt or server).</summary>
    NextAttempt,
}

/// <summary>
/// One DNS query on the wire and what came back: the record both the probe (Test-PodDnsLatency)
/// and the capture reader (Read-DnsCapture) emit, so a production capture and a replay compare
/// line by line. Times are relative to the start of the lookup (or of the capture).
/// </summary>
public sealed class ObservedQuery
{
    public int Index { get; set; }
    // Durations are public as …Ms numbers: JSON (ConvertTo-Json at any -Depth, and DnsJson) gets one shape. The
    // TimeSpans are internal so ConvertTo-Json cannot see them; PowerShell gets them as hidden CodeProperties
    // (DnsTools.Types.ps1xml, DurationProperties), the same for every result type with durations.
    internal TimeSpan SentAt { get; set; }
    internal TimeSpan? AnsweredAt { get; set; }
    internal TimeSpan? Latency => AnsweredAt - SentAt;
    public double SentAtMs => SentAt.TotalMilliseconds;
    public double? AnsweredAtMs => AnsweredAt?.TotalMilliseconds;
    public double? LatencyMs => Latency?.TotalMilliseconds;

    /// <summary>The name asked, fully qualified with its trailing dot.</summary>
    public required string Name { get; init; }

    /// <summary>A, AAAA, PTR, ... (the number for types without a name here).</summary>
    public required string Type { get; init; }

    public required string Client { get; init; }
    public required int SourcePort { get; init; }
    public required string Server { get; init; }
    public required ushort Id { get; init; }
    public string Transport { get; init; } = "UDP";
    public int Attempt { get; set; } = 1;
    public QuerySendReason Reason { get; set; } = QuerySendReason.FirstTry;

    /// <summary>NoError, NxDomain, ServFail, ... or null when no answer was seen.</summary>
    public string? Rcode { get; set; }
    public int AnswerCount { get; set; }
    public bool Truncated { get; set; }

    /// <summary>True when no answer arrived (within the resolver's wait, for the probe; at all, for a capture).</summary>
    public bool TimedOut { get; set; }

    /// <summary>An answer arrived after the resolver had stopped waiting for it.</summary>
    public bool Late { get; set; }

    /// <summary>Bytes of the query on the wire (DNS message only).</summary>
    public int Size { get; set; }

    /// <summary>Query flags as tcpdump prints them: "+" for RD, "%" for AD, "[1au]" for one additional (EDNS) record.</summary>
    public string Flags { get; set; } = string.Empty;

    /// <summary>Where this came from: a capture file and packet number, or the probe.</summary>
    public string Source { get; set; } = string.Empty;

    public bool Answered => Rcode is not null;

    /// <summary>What happened, in words: "NxDomain in 0.3 ms", "no answer".</summary>
    public string Outcome => Rcode is null ? (TimedOut ? "no answer" : "pending")
        : $"{Rcode}{(Truncated ? " TC" : string.Empty)}{(AnswerCount > 0 ? $" {AnswerCount} answer{(AnswerCount == 1 ? "" : "s")}" : string.Empty)} in {Latency!.Value.TotalMilliseconds:F1} ms{(Late ? " (late)" : string.Empty)}";

    public override string ToString()
        => $"#{Index} {SentAt.TotalMilliseconds,9:F1} ms {Client}:{SourcePort} > {Server} id {Id} {Type}? {Name} {Reason}: {Outcome}";
}
