using System.Globalization;
using System.Net;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>
/// A plan from server-behaviour rules set beside the live replay of the same lookup against the real
/// server: where they disagree, the server changed between discovery and replay, or the rules miss
/// something the grammar cannot say.
/// </summary>
public sealed class BehaviorVerification
{
    public required string Name { get; init; }
    public required string Resolver { get; init; }
    public required string Mitigation { get; init; }
    /// <summary>Same queries (name, type, transport, in order), same result, total time within tolerance.</summary>
    public bool Agrees => Differences.Count == 0;
    public required string PlanOutcome { get; init; }
    public required string ReplayOutcome { get; init; }
    // Durations are public as …Ms numbers and internal as TimeSpans (one JSON shape at any ConvertTo-Json -Depth);
    // PowerShell gets the TimeSpans as hidden CodeProperties (DnsTools.Types.ps1xml, DurationProperties), as for ObservedQuery.
    internal TimeSpan PlanTime { get; init; }
    internal TimeSpan ReplayTime { get; init; }
    public int PlanQueries => Plan.Queries.Count;
    public int ReplayQueries => Lookup.Queries.Count;
    public required IReadOnlyList<string> Differences { get; init; }
    public required IReadOnlyList<string> Rules { get; init; }
    public required QueryPlan Plan { get; init; }
    public required ObservedLookup Lookup { get; init; }

    public double PlanMs => Math.Round(PlanTime.TotalMilliseconds, 1);
    public double ReplayMs => Math.Round(ReplayTime.TotalMilliseconds, 1);

    /// <summary>Total times agree within the larger of this and <see cref="RelativeTolerance"/> of the plan.</summary>
    public static readonly TimeSpan TimeTolerance = TimeSpan.FromMilliseconds(150);
    public const double RelativeTolerance = 0.10;

    /// <summary>The plan for exactly what <see cref="DnsProbe.Run"/> replays: the mitigation applied and the servers put in place of the nameservers.</summary>
    public static QueryPlan PlanFor(string name, Conf conf, ResolverSpec resolver, ServerBehavior behavior, IReadOnlyList<IPEndPoint>? servers, DnsMitigation mitigation)
    {
        var (asked, effective) = DnsProbe.Apply(mitigation, name, conf);
        if (servers is { Count: > 0 })
        {
            var b = effective.ToBuilder();
            b.Nameservers.Clear();
            foreach (var ep in servers.Take(ResolvConfParser.MaxNameservers)) b.Nameservers.Add(ep.Address.ToString());
            effective = b.Build(effective.Source);
        }
        return ResolverModel.For(resolver).Plan(asked, effective, behavior);
    }

    public static BehaviorVerification Compare(QueryPlan plan, ObservedLookup lookup, string mitigation)
    {
        var differences = new List<string>();
        static string Key(string transport, string type, string name) => $"{transport.ToUpperInvariant()} {type.ToUpperInvariant()} {name.TrimEnd('.').ToLowerInvariant()}.";
        var planned = plan.Queries.Select(q => Key(q.Transport.ToString(), q.Type.ToString(), q.Name)).ToList();
        var replayed = lookup.Queries.Select(q => Key(q.Transport, q.Type, q.Name)).ToList();
        if (!planned.SequenceEqual(replayed))
        {
            var sameSet = planned.Order().SequenceEqual(replayed.Order());
            if (!(sameSet && plan.Resolver.Family == ResolverFamily.Go))
            {
                var at = Enumerable.Range(0, Math.Min(planned.Count, replayed.Count)).FirstOrDefault(i => planned[i] != replayed[i], Math.Min(planned.Count, replayed.Count));
                differences.Add(sameSet
                    ? $"same {planned.Count} queries in another order (first at #{at + 1}: plan {planned[at]}, replay {replayed[at]})"
                    : $"queries: plan {planned.Count}, replay {replayed.Count}; first difference at #{at + 1}: plan {(at < planned.Count ? planned[at] : "nothing")}, replay {(at < replayed.Count ? replayed[at] : "nothing")}");
            }
        }
        else
        {
            for (var i = 0; i < planned.Count; i++)
            {
                var p = plan.Queries[i];
                var o = lookup.Queries[i];
                var expected = p.Response switch
                {
                    ServerResponseKind.Answer => "NoError",
                    ServerResponseKind.NoData => "NoError",
                    ServerResponseKind.Truncated => "NoError",
                    ServerResponseKind.NxDomain => "NxDomain",
                    ServerResponseKind.ServFail => "ServFail",
                    ServerResponseKind.Refused => "Refused",
                    // Over TCP the replay names a failed connection as the probe saw it (LiveNetwork).
                    ServerResponseKind.Reset => "ConnectionReset",
                    ServerResponseKind.ConnectionRefused => "ConnectionRefused",
                    _ => null,
                };
                // A reply the plan says never comes may still come after the replay stopped waiting, and a
                // reply still on its way when the lookup ended (another server answered first) was never
                // read: only replies the replay waited for are compared.
                if (o.Rcode is null && (!o.TimedOut || p.ReplyUnread)) continue;
                if (expected is not null && !string.Equals(expected, o.Rcode, StringComparison.OrdinalIgnoreCase))
                    differences.Add($"#{i + 1} {planned[i]}: plan {p.Response}, replay {o.Outcome}");
                else if (expected is null && o.Rcode is not null && !o.Late)
                    differences.Add($"#{i + 1} {planned[i]}: plan no answer, replay {o.Rcode}");
            }
        }
        if (!string.Equals(plan.ResultCode, lookup.Outcome, StringComparison.Ordinal))
            differences.Add($"result: plan {plan.ResultCode}, replay {lookup.Outcome}");
        var tolerance = TimeSpan.FromTicks(Math.Max(TimeTolerance.Ticks, (long)(plan.TotalTime.Ticks * RelativeTolerance)));
        if ((plan.TotalTime - lookup.Duration).Duration() > tolerance)
            differences.Add(string.Create(CultureInfo.InvariantCulture, $"time: plan {plan.TotalTime.TotalMilliseconds:0} ms, replay {lookup.Duration.TotalMilliseconds:0} ms (tolerance {tolerance.TotalMilliseconds:0} ms)"));
        return new BehaviorVerification
        {
            Name = lookup.Name,
            Resolver = plan.Resolver.ToString(),
            Mitigation = mitigation,
            PlanOutcome = plan.ResultCode,
            ReplayOutcome = lookup.Outcome,
            PlanTime = plan.TotalTime,
            ReplayTime = lookup.Duration,
            Differences = differences,
            Rules = plan.ServerBehavior.Rules.Select(r => r.Text).ToArray(),
            Plan = plan,
            Lookup = lookup,
        };
    }

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Resolver} {Mitigation} {Name}: {(Agrees ? "agree" : "DISAGREE")} (plan {PlanOutcome} {PlanTime.TotalMilliseconds:0} ms, {PlanQueries} queries; replay {ReplayOutcome} {ReplayTime.TotalMilliseconds:0} ms, {ReplayQueries} queries){(Agrees ? "" : ": " + string.Join("; ", Differences))}");
}
