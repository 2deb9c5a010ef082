using System.Management.Automation;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Probe;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.PowerShell;

/// <summary>
/// The TimeSpan of each duration, for PowerShell (hidden CodeProperties in DnsTools.Types.ps1xml). Core keeps them
/// internal and public as …Ms numbers, because ConvertTo-Json writes a TimeSpan as an object, or as a string past
/// -Depth: hidden members are left out of JSON, so a result has one JSON shape at any depth.
/// </summary>
public static class DurationProperties
{
    private static T Base<T>(PSObject o) => (T)o.BaseObject;

    public static TimeSpan SentAt(PSObject o) => Base<ObservedQuery>(o).SentAt;
    public static TimeSpan? AnsweredAt(PSObject o) => Base<ObservedQuery>(o).AnsweredAt;
    public static TimeSpan? Latency(PSObject o) => Base<ObservedQuery>(o).Latency;
    public static TimeSpan Start(PSObject o) => Base<ObservedLookup>(o).Start;
    public static TimeSpan Duration(PSObject o) => Base<ObservedLookup>(o).Duration;
    public static TimeSpan P50(PSObject o) => Base<DnsProbeSummary>(o).P50;
    public static TimeSpan P95(PSObject o) => Base<DnsProbeSummary>(o).P95;
    public static TimeSpan P99(PSObject o) => Base<DnsProbeSummary>(o).P99;
    public static TimeSpan Max(PSObject o) => Base<DnsProbeSummary>(o).Max;
    public static TimeSpan TotalTime(PSObject o) => Base<QueryPlan>(o).TotalTime;
    public static TimeSpan SendTime(PSObject o) => Base<PlannedQuery>(o).SendTime;
    public static TimeSpan? ResponseTime(PSObject o) => Base<PlannedQuery>(o).ResponseTime;
    public static TimeSpan Delay(PSObject o) => Base<ServerRule>(o).Delay;
    // One method per type and property: a CodeProperty names its method without a signature.
    public static TimeSpan SampleLatency(PSObject o) => Base<DnsServerSample>(o).Latency;
    public static TimeSpan ObservationP50(PSObject o) => Base<DnsServerObservation>(o).P50;
    public static TimeSpan ObservationMax(PSObject o) => Base<DnsServerObservation>(o).Max;
    public static TimeSpan ObservationMin(PSObject o) => Base<DnsServerObservation>(o).Min;
    public static TimeSpan BehaviorDuration(PSObject o) => Base<DnsServerBehavior>(o).Duration;
    public static TimeSpan PlanTime(PSObject o) => Base<BehaviorVerification>(o).PlanTime;
    public static TimeSpan ReplayTime(PSObject o) => Base<BehaviorVerification>(o).ReplayTime;
}
