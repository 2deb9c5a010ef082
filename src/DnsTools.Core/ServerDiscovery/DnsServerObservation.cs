using System.Globalization;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>
/// What one server did with one candidate name and type over the repeated UDP queries (no EDNS, as
/// musl and glibc send), with the EDNS and TCP checks beside them.
/// </summary>
public sealed class DnsServerObservation
{
    /// <summary>The server as address:port.</summary>
    public required string Server { get; init; }
    /// <summary>The server address alone, as resolv.conf names it and rules' @SERVER match it.</summary>
    public required string ServerAddress { get; init; }
    public required string Name { get; init; }
    public required string Type { get; init; }
    /// <summary>The UDP queries without EDNS, in order.</summary>
    public required IReadOnlyList<DnsServerSample> Samples { get; init; }
    /// <summary>The UDP query with EDNS0, or null when not checked.</summary>
    public DnsServerSample? Edns { get; init; }
    /// <summary>The TCP query, or null when not checked (no truncation seen and no CheckTcp).</summary>
    public DnsServerSample? Tcp { get; init; }

    /// <summary>The most frequent outcome of <see cref="Samples"/> (ties: the first seen).</summary>
    public ServerResponseKind Outcome => Samples.GroupBy(s => s.Outcome).OrderByDescending(g => g.Count()).First().Key;
    /// <summary>Every sample had the same outcome.</summary>
    public bool Consistent => Samples.Select(s => s.Outcome).Distinct().Count() == 1;
    public string? Rcode => Samples.FirstOrDefault(s => s.Outcome == Outcome)?.Rcode;
    public int AnswerCount => Samples.FirstOrDefault(s => s.Outcome == Outcome)?.AnswerCount ?? 0;
    public bool Truncated => Samples.Any(s => s.Truncated);
    // Durations are public as …Ms numbers and internal as TimeSpans (one JSON shape at any ConvertTo-Json -Depth);
    // PowerShell gets the TimeSpans as hidden CodeProperties (DnsTools.Types.ps1xml, DurationProperties), as for ObservedQuery.
    internal TimeSpan P50 => Percentile(0.5);
    internal TimeSpan Max => Samples.Max(s => s.Latency);
    internal TimeSpan Min => Samples.Min(s => s.Latency);
    /// <summary>The outcome with EDNS0 differs from the one without (a middlebox or server that treats OPT differently).</summary>
    public bool EdnsDiffers => Edns is not null && Edns.Outcome != Outcome;
    /// <summary>"answer", "refused", "timeout" ... over TCP; empty when not checked.</summary>
    public string TcpResult => Tcp is null ? "" : Tcp.Error is not null ? Tcp.Error : Tcp.Rcode ?? Tcp.Outcome.ToString();
    /// <summary>The rule (of the learned set) that decides this name and type at this server.</summary>
    public string? Rule { get; internal set; }

    public double P50Ms => Math.Round(P50.TotalMilliseconds, 3);
    public double MaxMs => Math.Round(Max.TotalMilliseconds, 3);
    public double MinMs => Math.Round(Min.TotalMilliseconds, 3);

    private TimeSpan Percentile(double p)
    {
        var sorted = Samples.Select(s => s.Latency).OrderBy(t => t).ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>The evidence in one line: outcome counts, latency, EDNS and TCP.</summary>
    public string Evidence
    {
        get
        {
            var counts = string.Join(", ", Samples.GroupBy(s => s.Rcode ?? s.Outcome.ToString()).Select(g => $"{g.Key} {g.Count()}/{Samples.Count}"));
            var text = string.Create(CultureInfo.InvariantCulture, $"@{Server} {Type} {Name}: {counts}, p50 {P50.TotalMilliseconds:0.#} ms, max {Max.TotalMilliseconds:0.#} ms");
            if (Truncated) text += ", TC over UDP";
            if (Edns is not null) text += $", with EDNS {Edns.Rcode ?? Edns.Outcome.ToString()}";
            if (Tcp is not null) text += $", TCP {TcpResult}";
            return text;
        }
    }

    public override string ToString() => Evidence;
}
