using System.Globalization;
using System.Net;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.Probe;

/// <summary>A change to the lookup or the resolv.conf, compared side by side with the unchanged one.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsMitigation
{
    None,
    /// <summary>options ndots:1 (dnsConfig): names with a dot are tried as they are first.</summary>
    Ndots1,
    /// <summary>The name asked with a trailing dot: no search list at all.</summary>
    TrailingDot,
    /// <summary>options single-request-reopen (glibc only; musl ignores it).</summary>
    SingleRequestReopen,
    /// <summary>options single-request (glibc and Go; musl ignores it).</summary>
    SingleRequest,
    /// <summary>options no-aaaa (glibc 2.36+ only).</summary>
    NoAaaa,
    /// <summary>options use-vc: TCP (glibc and Go; musl ignores it).</summary>
    UseVc,
}

public sealed class DnsProbeOptions
{
    /// <summary>Servers to send to instead of the resolv.conf's nameservers (address and port).</summary>
    public IReadOnlyList<IPEndPoint>? Servers { get; init; }

    /// <summary>The longest one lookup may take before the probe stops it.</summary>
    public TimeSpan MaxLookupTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Run the replay's thread at real-time priority (SCHED_FIFO 1) while it replays, when the process may
    /// (CAP_SYS_NICE); false leaves it as it is. See <see cref="ProbeScheduling"/>.
    /// </summary>
    public bool Realtime { get; init; } = true;
}

/// <summary>
/// Test-PodDnsLatency's engine: runs a resolver model against the real network (see
/// <see cref="LiveNetwork"/>), so the queries, sockets, retry clock and reactions are the modelled
/// libc's, while every answer and every time is real.
/// </summary>
public static class DnsProbe
{
    public static ObservedLookup Run(string name, Conf conf, ResolverSpec resolver, DnsProbeOptions? options = null,
        DnsMitigation mitigation = DnsMitigation.None, CancellationToken cancellation = default)
    {
        // The warm-up runs this same method (so the first lookup finds every step of it compiled), with every query
        // sent to its own loopback responder whatever the servers are (see RunRedirected).
        var everyServerTo = _everyServerTo;
        ArgumentNullException.ThrowIfNull(conf);
        ArgumentNullException.ThrowIfNull(resolver);
        options ??= new DnsProbeOptions();
        // Real-time for the replay only: from its start to its end, except a warm-up (CPU-bound, normal), and not while
        // the results are built.
        var replayScheduling = ReplayScheduling.Enter(options.Realtime);
        LiveNetwork world;
        QueryPlan plan;
        ProbeScheduling scheduling;
        string? normalBecause;
        string askedName;
        Conf effectiveConf;
        try
        {
            (askedName, effectiveConf) = Apply(mitigation, name, conf);
            var ports = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            if (options.Servers is { Count: > 0 } servers)
            {
                // Replace the nameservers; keep every other line as written.
                var b = effectiveConf.ToBuilder();
                b.Nameservers.Clear();
                // By index: an enumerator is a type of its own per collection type (array, list), loaded on first use.
                for (var i = 0; i < servers.Count && i < ResolvConfParser.MaxNameservers; i++)
                {
                    var ep = servers[i];
                    b.Nameservers.Add(ep.Address.ToString());
                    ports[ep.Address.ToString()] = ep.Port;
                }
                effectiveConf = b.Build(effectiveConf.Source);
            }

            // Native code (the NativeAOT dnstools-probe) has nothing to compile: no warm-up before the first query.
            // (Asked in the warm-up's replays too, where it is always false, so that this step is compiled as well.)
            if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled && ProbeWarmUp.Needed(askedName, effectiveConf, resolver) && everyServerTo is null)
            {
                replayScheduling.Pause();
                ProbeWarmUp.Ensure(askedName, effectiveConf, resolver);
                replayScheduling.Resume();
            }
            var model = ResolverModel.For(resolver);
            var settings = model.SettingsFor(effectiveConf);
            // Each server's endpoint worked out once per lookup, not at every query.
            var endpoints = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
            IPEndPoint EndpointOf(string server)
            {
                if (!endpoints.TryGetValue(server, out var endpoint)) endpoints[server] = endpoint = Endpoint(server, ports);
                return everyServerTo ?? endpoint;
            }
            world = new LiveNetwork(EndpointOf, WireFormat.For(resolver.Family, settings), options.MaxLookupTime, cancellation)
            {
                RealtimeLanes = replayScheduling.Scheduling == ProbeScheduling.Realtime,
            };
            plan = model.Execute(askedName, effectiveConf, world, ServerBehavior.AlwaysAnswer);
            scheduling = replayScheduling.Scheduling;
            normalBecause = replayScheduling.NormalBecause;
        }
        finally
        {
            replayScheduling.Dispose();
        }
        var queries = world.Observed;
        var family = resolver.Family switch
        {
            ResolverFamily.Musl => ObservedResolver.Musl,
            ResolverFamily.Glibc => ObservedResolver.Glibc,
            ResolverFamily.UClibcNg => ObservedResolver.UClibcNg,
            _ => ObservedResolver.Go,
        };
        var lookup = new ObservedLookup
        {
            Name = askedName,
            Client = queries.FirstOrDefault()?.Client ?? string.Empty,
            Resolver = family,
            ResolverEvidence = $"replayed as {resolver}",
            ResolverSpec = resolver.ToString(),
            Mitigation = mitigation.ToString(),
            Start = TimeSpan.Zero,
            // Measured: from the start to when the model returned (a timeout ends when the wait really ended).
            Duration = world.EndedAt ?? plan.TotalTime,
            Outcome = plan.ResultCode,
            Succeeded = plan.Result == LookupResult.Success,
            Scheduling = scheduling,
            NormalSchedulingReason = normalBecause,
            AnsweredName = plan.AnsweredName,
            Queries = queries,
            Note = world.Now >= options.MaxLookupTime ? $"stopped after {options.MaxLookupTime.TotalSeconds:0.#} s (-Timeout)" : null,
        };
        lookup.Diagnoses = LookupDiagnoser.Diagnose(lookup);
        return lookup;
    }

    [ThreadStatic] private static IPEndPoint? _everyServerTo;

    /// <summary>
    /// <see cref="Run"/> with every query sent to <paramref name="everyServerTo"/>, whatever the servers and the
    /// resolv.conf name: the warm-up's own loopback responder (<see cref="ProbeWarmUp"/>).
    /// </summary>
    internal static ObservedLookup RunRedirected(string name, Conf conf, ResolverSpec resolver, DnsProbeOptions? options,
        DnsMitigation mitigation, CancellationToken cancellation, IPEndPoint everyServerTo)
    {
        var outer = _everyServerTo;
        _everyServerTo = everyServerTo;
        try { return Run(name, conf, resolver, options, mitigation, cancellation); }
        finally { _everyServerTo = outer; }
    }

    /// <summary>The name and resolv.conf a mitigation gives.</summary>
    public static (string Name, Conf Conf) Apply(DnsMitigation mitigation, string name, Conf conf)
    {
        switch (mitigation)
        {
            case DnsMitigation.None: return (name, conf);
            case DnsMitigation.TrailingDot: return (name.EndsWith('.') ? name : name + ".", conf);
        }
        var b = conf.ToBuilder();
        switch (mitigation)
        {
            case DnsMitigation.Ndots1: b.SetOption(ResolvConfOptionNames.Ndots, "1"); break;
            case DnsMitigation.SingleRequestReopen: b.SetOption(ResolvConfOptionNames.SingleRequestReopen); break;
            case DnsMitigation.SingleRequest: b.SetOption(ResolvConfOptionNames.SingleRequest); break;
            case DnsMitigation.NoAaaa: b.SetOption(ResolvConfOptionNames.NoAaaa); break;
            case DnsMitigation.UseVc: b.SetOption(ResolvConfOptionNames.UseVc); break;
        }
        return (name, b.Build($"{conf.Source} + {mitigation}"));
    }

    internal static IPEndPoint Endpoint(string server, IReadOnlyDictionary<string, int> ports)
    {
        var address = server;
        var percent = server.IndexOf('%');
        if (percent >= 0) address = server[..percent];
        var ip = IPAddress.Parse(address);
        return new IPEndPoint(ip, ports.TryGetValue(ip.ToString(), out var port) ? port : 53);
    }

    /// <summary>Parses "host", "host:port", "[v6]:port" or "v6" into an endpoint (port 53 by default). Names are not resolved.</summary>
    public static IPEndPoint ParseServer(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        text = text.Trim();
        if (IPEndPoint.TryParse(text, out var ep) && (text.Contains('.') || text.StartsWith('[') || text.Count(c => c == ':') > 1))
        {
            if (ep.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal)) ep.Port = 53;
            return ep;
        }
        throw new FormatException($"'{text}' is not an IP address with an optional port (10.96.0.10, 127.0.0.1:5353, [::1]:5353)");
    }
}

/// <summary>Latency figures for repeated lookups of one resolver (and mitigation).</summary>
public sealed class DnsProbeSummary
{
    public required string Resolver { get; init; }
    public required string Mitigation { get; init; }
    public required string Name { get; init; }
    public int Count { get; init; }
    public int Succeeded { get; init; }
    internal TimeSpan P50 { get; init; }
    internal TimeSpan P95 { get; init; }
    internal TimeSpan P99 { get; init; }
    internal TimeSpan Max { get; init; }
    public double P50Ms => P50.TotalMilliseconds;
    public double P95Ms => P95.TotalMilliseconds;
    public double P99Ms => P99.TotalMilliseconds;
    public double MaxMs => Max.TotalMilliseconds;
    /// <summary>Share of lookups in which at least one query got no answer.</summary>
    public double TimeoutRate { get; init; }
    /// <summary>Share of lookups that took 5 s or more (the resolver's default timeout bucket).</summary>
    public double FiveSecondRate { get; init; }
    /// <summary>Diagnosis codes seen, with how many lookups had each.</summary>
    public IReadOnlyDictionary<string, int> Diagnoses { get; init; } = new Dictionary<string, int>();
    public required IReadOnlyList<ObservedLookup> Lookups { get; init; }

    public static DnsProbeSummary From(IReadOnlyList<ObservedLookup> lookups)
    {
        var first = lookups[0];
        var sorted = lookups.Select(l => l.Duration).OrderBy(d => d).ToList();
        TimeSpan Percentile(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        return new DnsProbeSummary
        {
            Resolver = first.ResolverSpec ?? first.Resolver.ToString(),
            Mitigation = first.Mitigation ?? "None",
            Name = first.Name,
            Count = lookups.Count,
            Succeeded = lookups.Count(l => l.Succeeded == true),
            P50 = Percentile(0.50),
            P95 = Percentile(0.95),
            P99 = Percentile(0.99),
            Max = sorted[^1],
            TimeoutRate = lookups.Count(l => l.Queries.Any(q => q.TimedOut)) / (double)lookups.Count,
            FiveSecondRate = lookups.Count(l => l.Duration >= TimeSpan.FromSeconds(4.9)) / (double)lookups.Count,
            Diagnoses = lookups.SelectMany(l => l.Diagnoses.Select(d => d.Code).Distinct()).GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count()),
            Lookups = lookups,
        };
    }

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Resolver} {Mitigation}: {Count} lookups, p50 {P50.TotalMilliseconds:0.#} ms, p99 {P99.TotalMilliseconds:0.#} ms, max {Max.TotalMilliseconds:0.#} ms");
}
