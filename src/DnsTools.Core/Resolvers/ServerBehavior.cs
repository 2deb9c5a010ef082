using System.Globalization;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Resolvers;

/// <summary>The query types an AF_UNSPEC getaddrinfo sends.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsQueryType
{
    A = 1,
    AAAA = 28,
}

/// <summary>UDP, or TCP (use-vc, or a retry after a truncated UDP answer).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsTransport
{
    Udp,
    Tcp,
}

/// <summary>What the server does with one query.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ServerResponseKind
{
    /// <summary>NOERROR with one address record of the asked type.</summary>
    Answer,
    /// <summary>rcode 3: the name does not exist.</summary>
    NxDomain,
    /// <summary>NOERROR with an empty answer section (the name exists, not this type).</summary>
    NoData,
    /// <summary>rcode 2.</summary>
    ServFail,
    /// <summary>rcode 5.</summary>
    Refused,
    /// <summary>No reply at all (lost, or the server never answers).</summary>
    NoAnswer,
    /// <summary>NOERROR, TC=1, empty answer section, over UDP; over TCP the query gets <see cref="Answer"/>.</summary>
    Truncated,
    /// <summary>Over TCP the server resets the connection (RST) once it has read the query, without an answer; over UDP no answer.</summary>
    Reset,
    /// <summary>Over TCP the connection is refused (RST to the SYN: nothing listens); over UDP no answer.</summary>
    ConnectionRefused,
}

/// <summary>
/// One server-behaviour rule: <c>[@SERVER] [A|AAAA] PATTERN -&gt; OUTCOME [after DELAY [then cached [DURATION]]]</c>, for example
/// <c>AAAA * -&gt; SERVFAIL after 1700ms</c>, <c>AAAA elink.spic.com.cn -&gt; SERVFAIL after 1700ms then cached 5s</c>, <c>*.cluster.local -&gt; NXDOMAIN</c>,
/// <c>@127.0.0.1 * -&gt; no answer</c>, <c>AAAA * -&gt; drop if parallel</c>.
/// PATTERN is a name with <c>*</c> wildcards (matching any characters, dots included), compared
/// case-insensitively without the trailing dot. OUTCOME is answer, NXDOMAIN, NODATA, SERVFAIL,
/// REFUSED, no answer (or drop, timeout), truncated (TC=1 over UDP, answered over TCP; <c>truncated, TCP reset</c>,
/// <c>truncated, TCP refused</c> and <c>truncated, TCP no answer</c> for a server whose TCP fails), reset (over TCP the
/// connection is reset once the query is read) or connection refused (over TCP; both: no answer over UDP). The
/// delay applies to every reply, per query, counted from the query's arrival; with <c>then cached</c> only the
/// first query of a name and type at a server waits for it (a caching resolver asking its upstream), a
/// query arriving while that one waits gets its reply with it, and later ones are answered at once for
/// DURATION after the first reply (for as long as the plan or lab server runs without DURATION; unbound
/// keeps a SERVFAIL 5 s, NORR_TTL in util/data/msgparse.h).
/// <c>drop if parallel</c> drops a query sent on a socket at the same instant as an earlier query on
/// that socket to the same server (the conntrack insertion race of parallel A/AAAA); otherwise the
/// next matching rule decides.
/// </summary>
public sealed class ServerRule
{
    /// <summary>The OUTCOME words <see cref="Parse"/> takes, in the spelling help shows (completion offers these).</summary>
    public static IReadOnlyList<string> Outcomes { get; } = new[] { "answer", "NXDOMAIN", "NODATA", "SERVFAIL", "REFUSED", "no answer", "truncated", "truncated, TCP reset", "truncated, TCP refused", "truncated, TCP no answer", "reset", "connection refused", "drop if parallel" };

    /// <summary>Whole rules that show the grammar, [@SERVER] [A|AAAA] NAME-PATTERN -&gt; OUTCOME [after DELAY] (each parses).</summary>
    public static IReadOnlyList<string> Examples { get; } = new[]
    {
        "AAAA * -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN", "* -> answer after 20ms", "AAAA * -> drop if parallel",
        "AAAA * -> no answer", "* -> truncated", "@127.0.0.1 * -> REFUSED", "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached 5s", "A big.example -> truncated, TCP refused",
    };

    private static readonly Regex Syntax = new(
        @"^\s*(?:@(?<server>\S+)\s+)?(?:(?<type>A|AAAA|ANY)\s+)?(?<pattern>[^\s>]+)\s*->\s*(?<outcome>.+?)(?:\s+after\s+(?<delay>\d+(?:\.\d+)?)\s*(?<unit>ms|s)?)?(?<cached>\s+then\s+cached(?:\s+(?:for\s+)?(?<ttl>\d+(?:\.\d+)?)\s*(?<ttlunit>ms|s)\b)?)?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private readonly Regex _name;

    private ServerRule(string text, string? server, DnsQueryType? type, string pattern, ServerResponseKind kind, TimeSpan delay, bool onlyIfParallel, bool cached, TimeSpan? cachedFor, ServerResponseKind? tcpKind)
    {
        TcpKind = tcpKind;
        Cached = cached;
        CachedFor = cachedFor;
        Text = text;
        Server = server;
        Type = type;
        Pattern = pattern;
        Kind = kind;
        Delay = delay;
        OnlyIfParallel = onlyIfParallel;
        _name = new Regex("^" + Regex.Escape(pattern.TrimEnd('.')).Replace("\\*", ".*") + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    /// <summary>The rule as written.</summary>
    public string Text { get; }
    /// <summary>The server address the rule is limited to, or null for every server.</summary>
    public string? Server { get; }
    /// <summary>The query type the rule is limited to, or null for both.</summary>
    public DnsQueryType? Type { get; }
    public string Pattern { get; }
    public ServerResponseKind Kind { get; }
    internal TimeSpan Delay { get; }
    public double DelayMs => Delay.TotalMilliseconds;
    /// <summary>True for "drop if parallel": the rule only applies to the second of two queries sent together on one socket.</summary>
    public bool OnlyIfParallel { get; }
    /// <summary>For "truncated, TCP …": what the server does with the query over TCP (reset, connection refused, no answer); null: it answers.</summary>
    public ServerResponseKind? TcpKind { get; }
    /// <summary>True for "then cached": only the first query of a name and type waits <see cref="DelayMs"/>; later ones are answered at once.</summary>
    public bool Cached { get; }
    /// <summary>How long a "then cached" reply is kept after the first reply; null: for as long as the plan or lab server runs.</summary>
    internal TimeSpan? CachedFor { get; }
    public double? CachedForMs => CachedFor?.TotalMilliseconds;

    /// <summary>
    /// How specific the rule is: the literal characters of the name pattern first (an exact name
    /// beats <c>*.cluster.local</c>, which beats <c>*</c>), then a server, then a type.
    /// </summary>
    public int Specificity => (Pattern.Contains('*') ? 0 : 100_000) + Pattern.Replace("*", "").Length * 100 + (Server is null ? 0 : 10) + (Type is null ? 0 : 1);

    public bool Matches(string name, DnsQueryType type, string server)
        => (Type is null || Type == type) && (Server is null || string.Equals(Server, server, StringComparison.OrdinalIgnoreCase)) && _name.IsMatch(name.TrimEnd('.'));

    public override string ToString() => Text;

    public static ServerRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Syntax.Match(text);
        if (!m.Success)
            throw new FormatException($"Cannot read server behaviour '{text}': write [@SERVER] [A|AAAA] NAME-PATTERN -> OUTCOME [after DELAY [then cached [DURATION]]], e.g. 'AAAA * -> SERVFAIL after 1700ms' or '*.cluster.local -> NXDOMAIN'.");
        var outcome = Regex.Replace(m.Groups["outcome"].Value.Trim().ToLowerInvariant(), @"[\s_,-]+", " ");
        var onlyIfParallel = false;
        ServerResponseKind? tcpKind = null;
        if (Regex.Match(outcome, @"^(?:truncated|tc) (?:then )?(?:over )?tcp (?<tcp>.+)$") is { Success: true } truncatedThen)
        {
            tcpKind = truncatedThen.Groups["tcp"].Value switch
            {
                "reset" or "rst" or "connection reset" => ServerResponseKind.Reset,
                "refused" or "connection refused" => ServerResponseKind.ConnectionRefused,
                "no answer" or "noanswer" or "timeout" or "drop" or "dropped" => ServerResponseKind.NoAnswer,
                _ => throw new FormatException($"Unknown TCP outcome '{truncatedThen.Groups["tcp"].Value}' in '{text}': write 'truncated, TCP reset', 'truncated, TCP refused' or 'truncated, TCP no answer'."),
            };
            outcome = "truncated";
        }
        ServerResponseKind kind = outcome switch
        {
            "answer" or "answered" or "noerror" or "address" or "ok" => ServerResponseKind.Answer,
            "nxdomain" => ServerResponseKind.NxDomain,
            "nodata" or "no data" => ServerResponseKind.NoData,
            "servfail" => ServerResponseKind.ServFail,
            "refused" => ServerResponseKind.Refused,
            "no answer" or "noanswer" or "drop" or "dropped" or "timeout" or "none" => ServerResponseKind.NoAnswer,
            "truncated" or "tc" => ServerResponseKind.Truncated,
            "reset" or "connection reset" or "rst" => ServerResponseKind.Reset,
            "connection refused" or "refuse connection" or "refuse tcp" => ServerResponseKind.ConnectionRefused,
            "drop if parallel" or "race" or "conntrack race" => ServerResponseKind.NoAnswer,
            _ => throw new FormatException($"Unknown outcome '{m.Groups["outcome"].Value.Trim()}' in '{text}': use answer, NXDOMAIN, NODATA, SERVFAIL, REFUSED, no answer, truncated (or truncated, TCP reset / refused / no answer), reset, connection refused or drop if parallel."),
        };
        if (outcome is "drop if parallel" or "race" or "conntrack race") onlyIfParallel = true;
        var delay = TimeSpan.Zero;
        if (m.Groups["delay"].Success)
        {
            var value = double.Parse(m.Groups["delay"].Value, CultureInfo.InvariantCulture);
            var seconds = m.Groups["unit"].Success && m.Groups["unit"].Value.Equals("s", StringComparison.OrdinalIgnoreCase);
            delay = seconds ? TimeSpan.FromSeconds(value) : TimeSpan.FromMilliseconds(value);
        }
        var cached = m.Groups["cached"].Success;
        TimeSpan? cachedFor = null;
        if (cached)
        {
            if (delay == TimeSpan.Zero)
                throw new FormatException($"'then cached' in '{text}' needs a first reply that waits: write 'OUTCOME after DELAY then cached [DURATION]', e.g. 'AAAA * -> SERVFAIL after 1700ms then cached 5s'.");
            if (kind is ServerResponseKind.NoAnswer or ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused)
                throw new FormatException($"'then cached' in '{text}' needs a reply to cache: use it with answer, NXDOMAIN, NODATA, SERVFAIL, REFUSED or truncated.");
            if (m.Groups["ttl"].Success)
            {
                var value = double.Parse(m.Groups["ttl"].Value, CultureInfo.InvariantCulture);
                cachedFor = m.Groups["ttlunit"].Value.Equals("s", StringComparison.OrdinalIgnoreCase) ? TimeSpan.FromSeconds(value) : TimeSpan.FromMilliseconds(value);
            }
        }
        DnsQueryType? type = m.Groups["type"].Success && !m.Groups["type"].Value.Equals("ANY", StringComparison.OrdinalIgnoreCase)
            ? Enum.Parse<DnsQueryType>(m.Groups["type"].Value, ignoreCase: true)
            : null;
        var server = m.Groups["server"].Success ? m.Groups["server"].Value : null;
        return new ServerRule(text.Trim(), server, type, m.Groups["pattern"].Value, kind, delay, onlyIfParallel, cached, cachedFor, tcpKind);
    }
}

/// <summary>What the server answers, and when.</summary>
public readonly record struct ServerResponse(ServerResponseKind Kind, TimeSpan Delay, ServerRule? Rule);

/// <summary>
/// The behaviour of the nameservers a plan runs against: rules, the most specific matching one
/// deciding (ties: the first listed). A query no rule matches is answered at once.
/// </summary>
public sealed class ServerBehavior
{
    public ServerBehavior(IEnumerable<ServerRule> rules) => Rules = rules.ToArray();

    public IReadOnlyList<ServerRule> Rules { get; }

    /// <summary>Every server answers every query at once.</summary>
    public static ServerBehavior AlwaysAnswer { get; } = new(Array.Empty<ServerRule>());

    /// <summary>Parses rules; each string may hold several rules separated by ';' or new lines.</summary>
    public static ServerBehavior Parse(IEnumerable<string>? rules)
        => new((rules ?? Array.Empty<string>())
            .SelectMany(r => r.Split(new[] { ';', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(ServerRule.Parse));

    /// <summary>
    /// The reply to one query. <paramref name="parallelOnSocket"/> says the query left a socket at the
    /// same instant as an earlier query to the same server (what "drop if parallel" rules look at).
    /// Over TCP a truncated answer becomes a full answer.
    /// </summary>
    /// <paramref name="cache"/> and <paramref name="now"/> are the server's memory of "then cached" replies
    /// and the query's arrival on its clock; without a cache every reply is a first one.
    public ServerResponse Respond(string name, DnsQueryType type, string server, DnsTransport transport, bool parallelOnSocket, ServerCache? cache = null, TimeSpan now = default)
    {
        // A "drop if parallel" rule is a modifier: when it applies it wins over every other rule.
        if (parallelOnSocket && transport == DnsTransport.Udp
            && Rules.FirstOrDefault(r => r.OnlyIfParallel && r.Matches(name, type, server)) is { } race)
            return new ServerResponse(ServerResponseKind.NoAnswer, TimeSpan.Zero, race);
        ServerRule? best = null;
        foreach (var rule in Rules)
        {
            if (rule.OnlyIfParallel || !rule.Matches(name, type, server)) continue;
            if (best is null || rule.Specificity > best.Specificity) best = rule;
        }
        if (best is null) return new ServerResponse(ServerResponseKind.Answer, TimeSpan.Zero, null);
        var kind = best.Kind switch
        {
            ServerResponseKind.Truncated when transport == DnsTransport.Tcp => best.TcpKind ?? ServerResponseKind.Answer,
            ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused when transport == DnsTransport.Udp => ServerResponseKind.NoAnswer,
            _ => best.Kind,
        };
        var delay = best.Cached && cache is not null && kind != ServerResponseKind.NoAnswer
            ? cache.Delay(name, type, server, best, now)
            : best.Delay;
        return new ServerResponse(kind, delay, best);
    }

    public override string ToString() => Rules.Count == 0 ? "every query answered at once" : string.Join("; ", Rules);
}

/// <summary>
/// What a caching server remembers for "then cached" rules: per server, name and type, when the first
/// reply leaves and until when it is kept. One per plan (a lookup starts on a cold cache) or per lab server.
/// </summary>
public sealed class ServerCache
{
    private readonly Dictionary<(string Server, string Name, DnsQueryType Type), (TimeSpan ReadyAt, TimeSpan? ExpiresAt)> _entries = new();
    private readonly object _gate = new();

    /// <summary>The delay of a query arriving at <paramref name="now"/>: the rule's delay on a miss, what is left of the first query's wait while it is pending, else none.</summary>
    internal TimeSpan Delay(string name, DnsQueryType type, string server, ServerRule rule, TimeSpan now)
    {
        var key = (server.ToLowerInvariant(), name.TrimEnd('.').ToLowerInvariant(), type);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && (entry.ExpiresAt is null || now < entry.ExpiresAt))
                return entry.ReadyAt > now ? entry.ReadyAt - now : TimeSpan.Zero;
            var readyAt = now + rule.Delay;
            _entries[key] = (readyAt, rule.CachedFor is { } keep ? readyAt + keep : null);
            return rule.Delay;
        }
    }
}
