using System.Net;

namespace DnsTools.Core.ResolvConf;

/// <summary>
/// A resolv.conf as written: every line kept verbatim, plus what the lines say.
/// What a particular libc makes of it (caps, defaults, ignored options) is in
/// <see cref="Musl"/>, <see cref="Glibc"/> and <see cref="Go"/>.
/// Immutable: edits produce a new object (see <see cref="ResolvConfBuilder"/>).
/// </summary>
public sealed class ResolvConf
{
    internal ResolvConf(
        string source,
        IReadOnlyList<ResolvConfLine> lines,
        IReadOnlyList<ResolvConfNameserver> nameservers,
        IReadOnlyList<string> search,
        string? domain,
        IReadOnlyList<ResolvConfOption> options,
        IReadOnlyList<ResolvConfWarning> warnings)
    {
        Source = source;
        Lines = lines;
        Nameservers = nameservers;
        Search = search;
        Domain = domain;
        Options = options;
        Warnings = warnings;
    }

    /// <summary>Where the text came from: a path, "pipeline", or "generated".</summary>
    public string Source { get; }

    /// <summary>Every line of the input, verbatim, numbered from 1.</summary>
    public IReadOnlyList<ResolvConfLine> Lines { get; }

    /// <summary>Every nameserver line with a usable address, in file order (libcs use at most 3).</summary>
    public IReadOnlyList<ResolvConfNameserver> Nameservers { get; }

    /// <summary>
    /// The search list in effect: the last <c>search</c> or <c>domain</c> line wins
    /// (glibc resolv/res_init.c, musl src/network/resolvconf.c both overwrite on each line).
    /// </summary>
    public IReadOnlyList<string> Search { get; }

    /// <summary>The last <c>domain</c> line's value, if any.</summary>
    public string? Domain { get; }

    /// <summary>Every word of every <c>options</c> line, in order, unknown ones included.</summary>
    public IReadOnlyList<ResolvConfOption> Options { get; }

    /// <summary>Problems found while parsing, each naming its line.</summary>
    public IReadOnlyList<ResolvConfWarning> Warnings { get; }

    /// <summary>What musl makes of this file.</summary>
    public ResolverSettings Musl => ResolverSettings.ForMusl(this);

    /// <summary>What glibc (2.36) makes of this file.</summary>
    public ResolverSettings Glibc => ResolverSettings.ForGlibc(this);

    /// <summary>What Go's pure resolver makes of this file.</summary>
    public ResolverSettings Go => ResolverSettings.ForGo(this);

    /// <summary>What uClibc-ng's resolver makes of this file.</summary>
    public ResolverSettings UClibcNg => ResolverSettings.ForUClibcNg(this);

    /// <summary>The last value given for an option, or null when the option is absent.</summary>
    public ResolvConfOption? GetOption(string name)
        => Options.LastOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal));

    /// <summary>The text of the file: the original lines, unchanged, each ending with a newline.</summary>
    public string ToText()
    {
        if (Lines.Count == 0) return string.Empty;
        return string.Concat(Lines.Select(l => l.Text + "\n"));
    }

    public override string ToString() => ToText();

    /// <summary>A builder holding this file's content, for derived files (mitigations, merges).</summary>
    public ResolvConfBuilder ToBuilder() => ResolvConfBuilder.From(this);
}

/// <summary>One line of a resolv.conf as written.</summary>
public sealed record ResolvConfLine(int LineNumber, string Text, ResolvConfLineKind Kind)
{
    public override string ToString() => Text;
}

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ResolvConfLineKind
{
    Blank,
    Comment,
    Nameserver,
    Search,
    Domain,
    Options,
    Sortlist,
    Unknown,
    Invalid,
}

/// <summary>A nameserver address as a libc accepts it: IPv4, or IPv6 with an optional %scope.</summary>
public sealed record ResolvConfNameserver(IPAddress Address, string? ScopeId, int LineNumber)
{
    /// <summary>The standard DNS port; no libc reads a port from resolv.conf.</summary>
    public int Port => 53;

    public override string ToString()
        => ScopeId is null ? Address.ToString() : $"{StripScope(Address)}%{ScopeId}";

    private static string StripScope(IPAddress a)
    {
        var s = a.ToString();
        var i = s.IndexOf('%');
        return i < 0 ? s : s[..i];
    }
}

/// <summary>One word of an <c>options</c> line: <c>name</c> or <c>name:value</c>.</summary>
public sealed record ResolvConfOption(string Name, string? Value, int LineNumber)
{
    /// <summary>True when glibc, musl or Go knows this option.</summary>
    public bool IsKnown => ResolvConfOptionNames.All.Contains(Name);

    public override string ToString() => Value is null ? Name : $"{Name}:{Value}";

    /// <summary>Parses "name" or "name:value" (the value may be empty).</summary>
    public static ResolvConfOption Parse(string word, int lineNumber = 0)
    {
        var i = word.IndexOf(':');
        return i < 0 ? new ResolvConfOption(word, null, lineNumber) : new ResolvConfOption(word[..i], word[(i + 1)..], lineNumber);
    }
}

/// <summary>A parse problem, with the line it is on.</summary>
public sealed record ResolvConfWarning(string Source, int LineNumber, string Message)
{
    public override string ToString() => $"{Source}:{LineNumber}: {Message}";
}

/// <summary>The option names the three resolvers know about.</summary>
public static class ResolvConfOptionNames
{
    public const string Ndots = "ndots";
    public const string Timeout = "timeout";
    public const string Attempts = "attempts";
    public const string Rotate = "rotate";
    public const string SingleRequest = "single-request";
    public const string SingleRequestReopen = "single-request-reopen";
    public const string UseVc = "use-vc";
    public const string Edns0 = "edns0";
    public const string TrustAd = "trust-ad";
    public const string NoAaaa = "no-aaaa";
    public const string NoTldQuery = "no-tld-query";
    public const string NoReload = "no-reload";

    /// <summary>Options that take a numeric value.</summary>
    public static readonly IReadOnlySet<string> Numeric = new HashSet<string>(StringComparer.Ordinal) { Ndots, Timeout, Attempts };

    /// <summary>Every option any of the modelled resolvers reads (glibc 2.36 res_init.c's table, Go's dnsconfig_unix.go spellings).</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Ndots, Timeout, Attempts, Rotate, SingleRequest, SingleRequestReopen, UseVc, Edns0, TrustAd, NoAaaa,
        NoTldQuery, "no_tld_query", NoReload, "debug", "inet6", "usevc", "tcp",
    };
}
