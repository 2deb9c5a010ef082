using System.Globalization;
using DnsTools.Core.Resolvers;
using Conf = DnsTools.Core.ResolvConf.ResolvConf;

namespace DnsTools.Core.ServerDiscovery;

/// <summary>One learned rule and the observations it stands for.</summary>
public sealed class LearnedServerRule
{
    public required string Rule { get; init; }
    public required IReadOnlyList<DnsServerObservation> Observations { get; init; }
    /// <summary>One line per observation the rule decides.</summary>
    public IReadOnlyList<string> Evidence => Observations.Select(o => o.Evidence).ToArray();
    public override string ToString() => Rule;
}

/// <summary>
/// Turns observations into rules of the <see cref="ServerRule"/> grammar, fewest first: a rule for
/// every server (<c>* -&gt; …</c>) or type (<c>AAAA * -&gt; …</c>) when all its names agree, a
/// search-domain rule (<c>*.cluster.local -&gt; NXDOMAIN</c>) when every candidate under it agrees, an
/// exact name (with <c>@SERVER</c> where servers disagree) for the rest; then every rule whose removal
/// changes no observation's outcome is dropped. The result reproduces every A/AAAA observation
/// (checked through <see cref="ServerBehavior.Respond"/>).
/// </summary>
public static class ServerRuleLearner
{
    public sealed record Result(IReadOnlyList<LearnedServerRule> Rules, IReadOnlyList<string> Notes);

    private sealed record Item(DnsServerObservation Observation, string Server, string Name, DnsQueryType Type, ServerResponseKind Kind, TimeSpan Delay, bool Cached, ServerResponseKind? TcpKind);

    public static Result Learn(IReadOnlyList<DnsServerObservation> observations, Conf? conf, TimeSpan minDelay)
    {
        var notes = new List<string>();
        var items = new List<Item>();
        foreach (var o in observations)
        {
            if (!Enum.TryParse<DnsQueryType>(o.Type, ignoreCase: true, out var type) || !Enum.IsDefined(type))
            {
                notes.Add($"{o.Evidence} — not a rule: the grammar covers A and AAAA only.");
                continue;
            }
            var kind = o.Outcome;
            var cached = SlowFirstThenCached(o, minDelay);
            var typical = cached ? o.Samples[0].Latency : o.P50;
            var delay = kind == ServerResponseKind.NoAnswer || typical < minDelay ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Round(typical.TotalMilliseconds));
            // Truncated over UDP and TCP failing: "truncated, TCP refused / reset / no answer".
            ServerResponseKind? tcpKind = kind == ServerResponseKind.Truncated && o.Tcp is { Outcome: ServerResponseKind.NoAnswer or ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused } tcp
                ? tcp.Outcome : null;
            items.Add(new Item(o, o.ServerAddress, o.Name.TrimEnd('.'), type, kind, delay, cached, tcpKind));
            Describe(o, cached, notes);
        }
        var rules = Generate(items, conf);
        rules = Minimise(rules, items);
        var final = rules.Select(ServerRule.Parse).ToList();
        var behavior = new ServerBehavior(final);
        foreach (var item in items)
        {
            var response = behavior.Respond(item.Name, item.Type, item.Server, DnsTransport.Udp, parallelOnSocket: false);
            item.Observation.Rule = response.Rule?.Text;
            if (!Reproduces(behavior, item)) notes.Add($"{item.Observation.Evidence} — the rules give {response.Kind} after {response.Delay.TotalMilliseconds:0} ms.");
        }
        var learned = final.Select(r => new LearnedServerRule
        {
            Rule = r.Text,
            Observations = items.Where(i => i.Observation.Rule == r.Text).Select(i => i.Observation).ToArray(),
        }).ToArray();
        return new Result(learned, notes);
    }

    /// <summary>
    /// A caching resolver in front of a slow upstream: the first sample waits (the server asks its upstream),
    /// every later one is answered from its cache, same outcome, in less than half the time (50 ms of
    /// scheduling noise allowed).
    /// </summary>
    private static bool SlowFirstThenCached(DnsServerObservation o, TimeSpan minDelay)
    {
        if (o.Samples.Count < 2 || !o.Consistent || o.Outcome == ServerResponseKind.NoAnswer) return false;
        var first = o.Samples[0].Latency;
        var laterMax = o.Samples.Skip(1).Max(s => s.Latency);
        return first >= minDelay && first > laterMax * 2 + TimeSpan.FromMilliseconds(50);
    }

    private static void Describe(DnsServerObservation o, bool cached, List<string> notes)
    {
        if (!o.Consistent)
            notes.Add($"{o.Evidence} — not the same every time: the rule takes the most frequent ({o.Outcome}).");
        else if (cached)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{o.Evidence} — the first reply took {o.Samples[0].Latency.TotalMilliseconds:0} ms, the {o.Samples.Count - 1} later ones at most {o.Samples.Skip(1).Max(s => s.Latency).TotalMilliseconds:0} ms: a cache in the server, learned as 'then cached' (how long it keeps the reply is not measured; add a DURATION, e.g. 'then cached 5s', if known)."));
        else if (o.Samples.Count > 1 && o.Outcome != ServerResponseKind.NoAnswer && o.Max > o.P50 * 2 + TimeSpan.FromMilliseconds(50))
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{o.Evidence} — the latency varies (first {o.Samples[0].Latency.TotalMilliseconds:0} ms; a cache in the server?): the rule takes the median."));
        if (o.EdnsDiffers)
            notes.Add($"{o.Evidence} — with EDNS0 (Go; glibc with options edns0) the answer is {o.Edns!.Rcode ?? o.Edns.Outcome.ToString()}{(o.Edns.Error is null ? "" : " (" + o.Edns.Error + ")")}: the rules describe queries without EDNS (musl, glibc by default).");
        if (o.Tcp is { } tcp && o.Truncated && tcp.Outcome == ServerResponseKind.Truncated)
            notes.Add($"{o.Evidence} — truncated over UDP and over TCP too ({tcp.Rcode}): the grammar's 'truncated' assumes TCP answers.");
        else if (o.Tcp is { } failed && o.Truncated && o.Outcome == ServerResponseKind.Truncated && failed.Outcome is ServerResponseKind.NoAnswer or ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused)
            notes.Add($"{o.Evidence} — truncated over UDP and TCP fails ({failed.Error ?? failed.Outcome.ToString()}): learned as 'truncated, TCP {TcpWords(failed.Outcome)}'.");
        if (o.Samples.FirstOrDefault(s => s.Rcode is "FORMERR" or "NOTIMP") is { } odd)
            notes.Add($"{o.Evidence} — {odd.Rcode} is learned as REFUSED (the grammar has no {odd.Rcode}; the libcs treat them alike).");
        if (o.Samples.FirstOrDefault(s => s.Outcome == ServerResponseKind.NoAnswer && s.Error is { } e && !e.StartsWith("no reply", StringComparison.Ordinal)) is { } bad)
            notes.Add($"{o.Evidence} — unusable reply ({bad.Error}): a libc drops it and waits, learned as no answer.");
    }

    /// <summary>Delays closer than this (or 10 %) are one delay: a busy client or server adds tens of milliseconds to single samples.</summary>
    public static readonly TimeSpan DelayTolerance = TimeSpan.FromMilliseconds(30);

    private static string TcpWords(ServerResponseKind kind) => kind switch
    {
        ServerResponseKind.Reset => "reset",
        ServerResponseKind.ConnectionRefused => "refused",
        _ => "no answer",
    };

    private static bool Same(ServerResponseKind kind, TimeSpan delay, bool cached, ServerResponseKind? tcpKind, Item b)
        => kind == b.Kind && cached == b.Cached && tcpKind == b.TcpKind && Math.Abs((delay - b.Delay).TotalMilliseconds) <= Math.Max(DelayTolerance.TotalMilliseconds, 0.1 * Math.Max(delay.TotalMilliseconds, b.Delay.TotalMilliseconds));

    private static bool AllSame(IReadOnlyList<Item> group) => group.Count > 0 && group.All(i => Same(group[0].Kind, group[0].Delay, group[0].Cached, group[0].TcpKind, i));

    private static TimeSpan Median(IEnumerable<Item> group)
    {
        var d = group.Select(i => i.Delay).OrderBy(t => t).ToList();
        return d[(d.Count - 1) / 2];
    }

    private static string Rule(string? server, DnsQueryType? type, string pattern, ServerResponseKind kind, TimeSpan delay, bool cached, ServerResponseKind? tcpKind = null)
    {
        var outcome = kind switch
        {
            ServerResponseKind.Answer => "answer",
            ServerResponseKind.NxDomain => "NXDOMAIN",
            ServerResponseKind.NoData => "NODATA",
            ServerResponseKind.ServFail => "SERVFAIL",
            ServerResponseKind.Refused => "REFUSED",
            ServerResponseKind.Truncated => tcpKind is { } tcp ? "truncated, TCP " + TcpWords(tcp) : "truncated",
            _ => "no answer",
        };
        var text = (server is null ? "" : "@" + server + " ") + (type is null ? "" : type + " ") + pattern + " -> " + outcome;
        if (delay > TimeSpan.Zero && kind != ServerResponseKind.NoAnswer) text += string.Create(CultureInfo.InvariantCulture, $" after {delay.TotalMilliseconds:0}ms");
        if (cached && delay > TimeSpan.Zero && kind != ServerResponseKind.NoAnswer) text += " then cached";
        return text;
    }

    private static List<string> Generate(List<Item> items, Conf? conf)
    {
        var rules = new List<string>();
        var servers = items.Select(i => i.Server).Distinct().ToList();
        // Server-wide and type-wide rules need at least two names to stand on.
        var names = items.Select(i => i.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count();
        if (names >= 2)
        {
            if (AllSame(items)) rules.Add(Rule(null, null, "*", items[0].Kind, Median(items), items[0].Cached, items[0].TcpKind));
            else
            {
                foreach (var type in new[] { DnsQueryType.A, DnsQueryType.AAAA })
                {
                    var ofType = items.Where(i => i.Type == type).ToList();
                    if (AllSame(ofType)) rules.Add(Rule(null, type, "*", ofType[0].Kind, Median(ofType), ofType[0].Cached, ofType[0].TcpKind));
                }
                if (servers.Count > 1)
                    foreach (var server in servers)
                    {
                        var ofServer = items.Where(i => i.Server == server).ToList();
                        if (AllSame(ofServer)) rules.Add(Rule(server, null, "*", ofServer[0].Kind, Median(ofServer), ofServer[0].Cached, ofServer[0].TcpKind));
                    }
            }
        }
        // Search domains, shortest first (cluster.local before svc.cluster.local).
        var domains = conf is null ? new List<string>()
            : conf.Glibc.Search.Concat(conf.Musl.Search).Concat(conf.Go.Search).Select(d => d.Trim('.')).Where(d => d.Length > 0)
                .Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(d => d.Count(c => c == '.')).ThenBy(d => d.Length).ToList();
        foreach (var domain in domains)
        {
            var under = items.Where(i => i.Name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase)).ToList();
            if (AllSame(under)) rules.Add(Rule(null, null, "*." + domain, under[0].Kind, Median(under), under[0].Cached, under[0].TcpKind));
            else
                foreach (var type in new[] { DnsQueryType.A, DnsQueryType.AAAA })
                {
                    var ofType = under.Where(i => i.Type == type).ToList();
                    if (AllSame(ofType)) rules.Add(Rule(null, type, "*." + domain, ofType[0].Kind, Median(ofType), ofType[0].Cached, ofType[0].TcpKind));
                }
        }
        // Exact names: what every server does alike, else per server.
        foreach (var group in items.GroupBy(i => (Name: i.Name.ToLowerInvariant(), i.Type)))
        {
            var list = group.ToList();
            if (AllSame(list)) rules.Add(Rule(null, group.Key.Type, list[0].Name, list[0].Kind, Median(list), list[0].Cached, list[0].TcpKind));
            else foreach (var i in list) rules.Add(Rule(i.Server, i.Type, i.Name, i.Kind, i.Delay, i.Cached, i.TcpKind));
        }
        // A and AAAA alike for a name: one rule.
        foreach (var group in items.GroupBy(i => i.Name.ToLowerInvariant()))
        {
            var list = group.ToList();
            if (list.Select(i => i.Type).Distinct().Count() == 2 && AllSame(list))
            {
                rules.RemoveAll(r => r == Rule(null, DnsQueryType.A, list[0].Name, list[0].Kind, Median(list.Where(i => i.Type == DnsQueryType.A)), list[0].Cached, list[0].TcpKind)
                    || r == Rule(null, DnsQueryType.AAAA, list[0].Name, list[0].Kind, Median(list.Where(i => i.Type == DnsQueryType.AAAA)), list[0].Cached, list[0].TcpKind));
                rules.Add(Rule(null, null, list[0].Name, list[0].Kind, Median(list), list[0].Cached, list[0].TcpKind));
            }
        }
        return rules.Distinct().ToList();
    }

    private static bool Reproduces(ServerBehavior behavior, Item item)
    {
        var r = behavior.Respond(item.Name, item.Type, item.Server, DnsTransport.Udp, parallelOnSocket: false);
        return Same(r.Kind, r.Kind == ServerResponseKind.NoAnswer ? TimeSpan.Zero : r.Delay, r.Rule is { Cached: true } && r.Delay > TimeSpan.Zero, r.Kind == ServerResponseKind.Truncated ? r.Rule?.TcpKind : null, item);
    }

    private static bool ReproducesAll(IEnumerable<string> rules, List<Item> items)
    {
        var behavior = new ServerBehavior(rules.Select(ServerRule.Parse));
        return items.All(i => Reproduces(behavior, i));
    }

    /// <summary>Adds an exact per-server rule for anything not reproduced, then drops every rule not needed.</summary>
    private static List<string> Minimise(List<string> rules, List<Item> items)
    {
        var behavior = new ServerBehavior(rules.Select(ServerRule.Parse));
        foreach (var item in items.Where(i => !Reproduces(behavior, i)))
            rules.Add(Rule(item.Server, item.Type, item.Name, item.Kind, item.Delay, item.Cached, item.TcpKind));
        // Most specific first, so an exact rule a wildcard already implies goes before the wildcard is
        // tried; a wildcard that only restates the default (answer at once) goes too.
        foreach (var rule in rules.OrderByDescending(r => ServerRule.Parse(r).Specificity).ToList())
        {
            var without = rules.Where(r => r != rule).ToList();
            if (ReproducesAll(without, items)) rules = without;
        }
        // Exact rules before wildcards reads best; the order does not change the outcome (most specific wins).
        return rules.OrderBy(r => ServerRule.Parse(r).Pattern.Contains('*') ? 1 : 0).ThenBy(r => ServerRule.Parse(r).Server is null ? 0 : 1).ToList();
    }
}
