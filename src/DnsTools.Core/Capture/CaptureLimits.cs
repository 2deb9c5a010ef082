namespace DnsTools.Core.Capture;

/// <summary>
/// How much of a capture is held at once while pairing and grouping. Each bound keeps time linear and
/// memory bounded on hostile or huge captures; a real capture stays far below every one of them, and
/// a user with a busier one can raise them (Read-DnsCapture / Measure-DnsCapture -MaxPendingQueries).
/// </summary>
public sealed record CaptureLimits
{
    public static readonly CaptureLimits Default = new();

    /// <summary>Queries waiting for their answer (and for re-sends) at once; beyond it the oldest is settled as it stands.</summary>
    public int MaxPendingQueries { get; init; } = 100_000;

    /// <summary>
    /// Queries in one lookup: a real lookup sends at most a few hundred (7 search candidates × 2 types
    /// × 3 servers × 5 attempts, and re-sends); beyond it the lookup is closed and the next one starts.
    /// </summary>
    public int MaxQueriesPerLookup { get; init; } = 1_000;

    /// <summary>Lookups gathered at once (all clients); beyond it the quietest is closed.</summary>
    public int MaxRunningLookups { get; init; } = 1_000;

    /// <summary>Longest tcpdump text line read; longer lines are skipped and counted.</summary>
    public int MaxLineLength { get; init; } = TcpdumpTextReader.DefaultMaxLineLength;
}
