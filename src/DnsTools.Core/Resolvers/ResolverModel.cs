using System.Net;
using DnsTools.Core.ResolvConf;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// A model of one libc's stub resolver: given a name, a resolv.conf and the servers' behaviour, the
/// queries getaddrinfo(name, AF_UNSPEC) (Go: LookupIPAddr) puts on the wire, when, and the result.
/// Deterministic: the same input gives the same plan.
/// </summary>
public abstract class ResolverModel
{
    protected ResolverModel(ResolverSpec spec) => Spec = spec;

    public ResolverSpec Spec { get; }

    /// <summary>How far a plan is simulated at most.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromMinutes(10);

    public static ResolverModel For(string spec) => For(ResolverSpec.Parse(spec));

    public static ResolverModel For(ResolverSpec spec) => spec.Family switch
    {
        ResolverFamily.Musl => new MuslResolverModel(spec),
        ResolverFamily.Glibc => new GlibcResolverModel(spec),
        ResolverFamily.UClibcNg => new UClibcNgResolverModel(spec),
        _ => new GoResolverModel(spec),
    };

    /// <summary>What this resolver makes of the file (rc.Musl, rc.Glibc, rc.Go or rc.UClibcNg).</summary>
    public virtual ResolverSettings SettingsFor(Conf conf) => Spec.Family switch
    {
        ResolverFamily.Musl => conf.Musl,
        ResolverFamily.Glibc => conf.Glibc,
        ResolverFamily.UClibcNg => conf.UClibcNg,
        _ => conf.Go,
    };

    public QueryPlan Plan(string name, Conf conf, ServerBehavior? server = null)
    {
        ArgumentNullException.ThrowIfNull(conf);
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("The name is empty.", nameof(name));
        server ??= ServerBehavior.AlwaysAnswer;
        return Execute(name, conf, new Simulation(server), server);
    }

    /// <summary>Runs the model in a world: the simulation (a plan) or the real network (the probe).</summary>
    internal QueryPlan Execute(string name, Conf conf, Simulation sim, ServerBehavior server)
    {
        name = name.Trim();
        var settings = SettingsFor(conf);
        sim.Notes.Add("Assumes getaddrinfo(name, AF_UNSPEC) with ai_flags 0 (no AI_ADDRCONFIG narrowing) and a name that is not in /etc/hosts; server round trips take 0 ms unless a rule adds a delay.");
        Outcome outcome;
        IReadOnlyList<string> candidates;
        if (IPAddress.TryParse(name.TrimEnd('.'), out _) && name.Any(c => c is ':' or '.') && !name.EndsWith('.'))
        {
            candidates = Array.Empty<string>();
            outcome = new Outcome(TimeSpan.Zero, LookupResult.Success, new[] { name.Contains(':') ? DnsQueryType.AAAA : DnsQueryType.A }, null);
            sim.Notes.Add("A numeric address: returned without any DNS query.");
        }
        else
        {
            candidates = Candidates(name, settings);
            try
            {
                outcome = Run(name, settings, sim);
            }
            catch (PlanLimitException e)
            {
                sim.Notes.Add($"The plan was cut off after {Simulation.MaxQueries} queries (at {e.At.TotalSeconds:0.###} s): the lookup does not finish within that.");
                outcome = new Outcome(e.At, LookupResult.Hang, Array.Empty<DnsQueryType>(), null);
            }
        }
        var queries = sim.Finish();
        return new QueryPlan(name, Spec, settings, server, candidates.Select(Fqdn).ToArray(), queries, outcome.End, outcome.Result,
            outcome.Addresses, outcome.AnsweredName, sim.Notes.ToArray());
    }

    /// <summary>The candidate names in the order this resolver tries them (without trailing dots, except a rooted name).</summary>
    internal abstract IReadOnlyList<string> Candidates(string name, ResolverSettings settings);

    internal abstract Outcome Run(string name, ResolverSettings settings, Simulation sim);

    internal sealed record Outcome(TimeSpan End, LookupResult Result, IReadOnlyList<DnsQueryType> Addresses, string? AnsweredName);

    /// <summary>The name with exactly one trailing dot.</summary>
    internal static string Fqdn(string name) => name.TrimEnd('.') + ".";

    internal static int CountDots(string name) => name.Count(c => c == '.');

    internal static QueryReason FirstReason(int candidateIndex) => candidateIndex == 0 ? QueryReason.FirstTry : QueryReason.NextCandidate;

    internal static string Server(ResolvConfNameserver ns) => ns.ToString();
}
