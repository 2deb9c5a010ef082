using DnsTools.Core.Resolvers;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>
/// What Get-DnsServerBehavior learned: every observation (server × candidate × type) and the rules
/// that reproduce them, each with its evidence. Usable wherever server-behaviour rules are taken
/// (Get-ResolverQueryPlan -ServerBehavior, Start-DnsLabServer -Behavior, Test-PodDnsLatency -Verify).
/// </summary>
public sealed class DnsServerBehavior
{
    /// <summary>The servers asked, as address:port.</summary>
    public required IReadOnlyList<string> Servers { get; init; }
    /// <summary>The names as given.</summary>
    public required IReadOnlyList<string> Names { get; init; }
    /// <summary>Every candidate name asked (the search list applied), fully qualified.</summary>
    public required IReadOnlyList<string> Candidates { get; init; }
    public required IReadOnlyList<string> Types { get; init; }
    /// <summary>UDP queries per server, name and type.</summary>
    public required int Count { get; init; }
    public required IReadOnlyList<DnsServerObservation> Observations { get; init; }
    /// <summary>The learned rules with the observations each stands for.</summary>
    public required IReadOnlyList<LearnedServerRule> LearnedRules { get; init; }
    /// <summary>What the rules cannot say (EDNS differences, inconsistent answers, TCP failing after TC, replies from elsewhere).</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    public required int QueriesSent { get; init; }
    // Durations are public as …Ms numbers and internal as TimeSpans (one JSON shape at any ConvertTo-Json -Depth);
    // PowerShell gets the TimeSpans as hidden CodeProperties (DnsTools.Types.ps1xml, DurationProperties), as for ObservedQuery.
    internal TimeSpan Duration { get; init; }
    public double DurationMs => Math.Round(Duration.TotalMilliseconds, 1);

    /// <summary>The rules as strings, in the grammar -ServerBehavior takes.</summary>
    public IReadOnlyList<string> Rules => LearnedRules.Select(r => r.Rule).ToArray();

    /// <summary>The rules as the plans and the lab server take them.</summary>
    public ServerBehavior ToServerBehavior() => ServerBehavior.Parse(Rules);

    public override string ToString() => Rules.Count == 0 ? "every query answered at once" : string.Join("; ", Rules);
}
