namespace DnsTools.Core.Capture;

/// <summary>
/// One DNS message seen in a capture, decoded far enough to pair and explain it. Addresses are kept
/// as text because tcpdump's text output may name hosts instead of printing addresses.
/// </summary>
public sealed record DnsPacket
{
    /// <summary>Capture time; for tcpdump text only the time of day is known (date 0001-01-01).</summary>
    public required DateTime Timestamp { get; init; }
    public required string SourceHost { get; init; }
    public required int SourcePort { get; init; }
    public required string DestinationHost { get; init; }
    public required int DestinationPort { get; init; }
    public string Transport { get; init; } = "UDP";
    public required ushort Id { get; init; }
    public required bool IsResponse { get; init; }

    /// <summary>The question's name with its trailing dot; empty when the message has no question.</summary>
    public required string Name { get; init; }

    /// <summary>A, AAAA, PTR, ... as tcpdump names them.</summary>
    public required string Type { get; init; }

    /// <summary>For responses: NoError, NxDomain, ServFail, Refused, ...</summary>
    public string? Rcode { get; init; }
    public int AnswerCount { get; init; }
    public bool Truncated { get; init; }
    public int Size { get; init; }
    public string Flags { get; init; } = string.Empty;

    /// <summary>Where in the input: "file:packet 12" or "line 7".</summary>
    public required string Origin { get; init; }
}

/// <summary>Counts of what a reader skipped, so nothing is dropped silently.</summary>
public sealed class CaptureReadStatistics
{
    public long PacketsRead { get; internal set; }
    public long DnsMessages { get; internal set; }
    public long SkippedNotDns { get; internal set; }
    public long SkippedMalformed { get; internal set; }
    public long SkippedTruncated { get; internal set; }
    public long SkippedUnsupportedLinkType { get; internal set; }
    public long SkippedLines { get; internal set; }
    public long SkippedLongLines { get; internal set; }

    /// <summary>Human-readable warnings, at most one per kind, with counts.</summary>
    public IEnumerable<string> Warnings(string input)
    {
        if (SkippedMalformed > 0) yield return $"{input}: skipped {SkippedMalformed} malformed packet(s) or DNS message(s)";
        if (SkippedTruncated > 0) yield return $"{input}: skipped {SkippedTruncated} packet(s) cut short (snap length or a truncated file)";
        if (SkippedUnsupportedLinkType > 0) yield return $"{input}: skipped {SkippedUnsupportedLinkType} packet(s) of an unsupported link type";
        if (SkippedNotDns > 0) yield return $"{input}: skipped {SkippedNotDns} packet(s) on port 53 that are not DNS, or not UDP/TCP on port 53";
        if (SkippedLines > 0) yield return $"{input}: skipped {SkippedLines} line(s) that are not tcpdump DNS lines";
        if (SkippedLongLines > 0) yield return $"{input}: skipped {SkippedLongLines} line(s) longer than the line length limit (-MaxLineLength)";
    }
}
