using System.Globalization;

namespace DnsTools.Core.ResolvConf;

/// <summary>The resolver families whose resolv.conf reading is modelled.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ResolverFamily
{
    Musl,
    Glibc,
    Go,
    /// <summary>uClibc-ng (busybox:uclibc, buildroot/OpenWrt images).</summary>
    UClibcNg,
}

/// <summary>
/// What one resolver makes of a resolv.conf: each family re-reads the raw lines the way its own
/// source does, with its own defaults, caps and ignored options.
/// </summary>
public sealed class ResolverSettings
{
    private ResolverSettings(ResolverFamily family) => Family = family;

    public ResolverFamily Family { get; }
    public IReadOnlyList<ResolvConfNameserver> Nameservers { get; private set; } = Array.Empty<ResolvConfNameserver>();

    /// <summary>True when the file named no usable nameserver and the resolver's built-in default is used.</summary>
    public bool UsesDefaultNameserver { get; private set; }

    public IReadOnlyList<string> Search { get; private set; } = Array.Empty<string>();
    public int Ndots { get; private set; } = 1;
    public int TimeoutSeconds { get; private set; } = 5;
    public int Attempts { get; private set; } = 2;
    public bool Rotate { get; private set; }
    public bool SingleRequest { get; private set; }
    public bool SingleRequestReopen { get; private set; }
    public bool UseTcp { get; private set; }
    public bool Edns0 { get; private set; }
    public bool TrustAd { get; private set; }
    public bool NoAaaa { get; private set; }
    public bool NoTldQuery { get; private set; }

    /// <summary>Options present in the file that this resolver does not act on.</summary>
    public IReadOnlyList<string> IgnoredOptions { get; private set; } = Array.Empty<string>();

    public override string ToString()
        => $"{Family}: ndots:{Ndots} timeout:{TimeoutSeconds} attempts:{Attempts} nameservers:{string.Join(',', Nameservers)} search:{string.Join(' ', Search)}";

    // ---- musl -------------------------------------------------------------------------------

    /// <summary>musl 1.2.x caps (src/network/resolvconf.c, __get_resolv_conf).</summary>
    public const int MuslMaxNdots = 15, MuslMaxAttempts = 10, MuslMaxTimeout = 60;

    /// <summary>
    /// musl's reading (src/network/resolvconf.c, __get_resolv_conf): keywords only at the start of a
    /// line; lines that do not fit its 256-byte buffer skipped; on an "options" line only the first
    /// "ndots:", "attempts:" and "timeout:" substrings followed by a digit are read (strstr), capped at
    /// 15, 10 and 60; everything else in "options" is ignored; "domain" and "search" both replace the
    /// search list with the rest of the line; at most 3 nameservers, 127.0.0.1 when there is none.
    /// </summary>
    public static ResolverSettings ForMusl(ResolvConf conf)
    {
        var s = new ResolverSettings(ResolverFamily.Musl);
        var nameservers = new List<ResolvConfNameserver>();
        var ignored = new List<string>();
        IReadOnlyList<string> search = Array.Empty<string>();
        foreach (var line in conf.Lines)
        {
            var text = line.Text;
            if (text.Length > ResolvConfParser.MuslMaxLineLength) continue;
            if (StartsWithKeyword(text, "options"))
            {
                if (ReadMuslNumber(text, "ndots:") is { } ndots) s.Ndots = (int)Math.Min(ndots, MuslMaxNdots);
                if (ReadMuslNumber(text, "attempts:") is { } attempts) s.Attempts = (int)Math.Min(attempts, MuslMaxAttempts);
                if (ReadMuslNumber(text, "timeout:") is { } timeout) s.TimeoutSeconds = (int)Math.Min(timeout, MuslMaxTimeout);
                foreach (var word in ResolvConfParser.SplitFields(text).Skip(1))
                {
                    var name = ResolvConfOption.Parse(word).Name;
                    if (name is not (ResolvConfOptionNames.Ndots or ResolvConfOptionNames.Attempts or ResolvConfOptionNames.Timeout))
                        ignored.Add(word);
                }
            }
            else if (StartsWithKeyword(text, "nameserver"))
            {
                if (nameservers.Count >= ResolvConfParser.MaxNameservers) continue;
                var fields = ResolvConfParser.SplitFields(text);
                if (fields.Length > 1 && ResolvConfParser.TryParseNameserver(fields[1], out var address, out var scope, out _))
                    nameservers.Add(new ResolvConfNameserver(address!, scope, line.LineNumber));
            }
            // fgets keeps the newline, so a bare "search" line matches (isspace('\n')) and clears the list.
            else if (text is "domain" or "search" || StartsWithKeyword(text, "domain") || StartsWithKeyword(text, "search"))
            {
                search = ResolvConfParser.SplitFields(text).Skip(1).ToArray();
            }
        }
        s.Search = search;
        s.IgnoredOptions = ignored;
        s.SetNameservers(nameservers, "127.0.0.1");
        return s;
    }

    private static ulong? ReadMuslNumber(string line, string key)
    {
        var at = line.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        var start = at + key.Length;
        var end = start;
        while (end < line.Length && char.IsAsciiDigit(line[end])) end++;
        if (end == start) return null;
        return ulong.TryParse(line.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : ulong.MaxValue;
    }

    // ---- glibc ------------------------------------------------------------------------------

    /// <summary>glibc caps (resolv/resolv.h: RES_MAXNDOTS, RES_MAXRETRANS, RES_MAXRETRY).</summary>
    public const int GlibcMaxNdots = 15, GlibcMaxTimeout = 30, GlibcMaxAttempts = 5;

    /// <summary>
    /// glibc 2.36's reading (resolv/res_init.c, res_vinit_1 and res_setoptions): lines starting with
    /// '#' or ';' are comments; a keyword counts only at the start of the line followed by a space or
    /// tab; "domain" and "search" replace the search list (last wins); nameservers beyond 3 are
    /// ignored; numeric options are read with atoi and capped at 15 / 30 / 5; the flag options of its
    /// table are read word by word, so the last one wins; "no-aaaa" exists from 2.36.
    /// </summary>
    public static ResolverSettings ForGlibc(ResolvConf conf)
    {
        var s = new ResolverSettings(ResolverFamily.Glibc);
        var nameservers = new List<ResolvConfNameserver>();
        var ignored = new List<string>();
        IReadOnlyList<string> search = Array.Empty<string>();
        foreach (var line in conf.Lines)
        {
            var text = line.Text;
            if (text.Length == 0 || text[0] is '#' or ';') continue;
            var fields = ResolvConfParser.SplitFields(text);
            // An empty "domain" or "search" line is ignored: the previous list stays.
            if (StartsWithKeyword(text, "domain"))
            {
                if (fields.Length > 1) search = new[] { fields[1] };
            }
            else if (StartsWithKeyword(text, "search"))
            {
                if (fields.Length > 1) search = fields.Skip(1).ToArray();
            }
            else if (StartsWithKeyword(text, "nameserver"))
            {
                if (nameservers.Count >= ResolvConfParser.MaxNameservers) continue;
                if (fields.Length > 1 && ResolvConfParser.TryParseNameserver(fields[1], out var address, out var scope, out _))
                    nameservers.Add(new ResolvConfNameserver(address!, scope, line.LineNumber));
            }
            else if (StartsWithKeyword(text, "options"))
            {
                foreach (var word in fields.Skip(1))
                {
                    if (word.StartsWith("ndots:", StringComparison.Ordinal)) s.Ndots = GlibcNdots(Atoi(word[6..]));
                    else if (word.StartsWith("timeout:", StringComparison.Ordinal)) s.TimeoutSeconds = Math.Clamp(Atoi(word[8..]), 0, GlibcMaxTimeout);
                    else if (word.StartsWith("attempts:", StringComparison.Ordinal)) s.Attempts = Math.Clamp(Atoi(word[9..]), 0, GlibcMaxAttempts);
                    else if (GlibcFlags.FirstOrDefault(f => word.StartsWith(f.Name, StringComparison.Ordinal)) is { Name: not null } flag)
                        flag.Set(s);
                    else
                        ignored.Add(word);
                }
            }
        }
        s.Search = search;
        s.IgnoredOptions = ignored;
        s.SetNameservers(nameservers, "127.0.0.1");
        return s;
    }

    /// <summary>
    /// glibc 2.36's option table (res_init.c, res_setoptions), in its order: a word matches the first
    /// entry it starts with (strncmp on the entry's length), so "single-request-reopen" comes first.
    /// inet6, debug, insecure1/2 and ip6-* are no longer in the table and are ignored.
    /// </summary>
    private static readonly (string Name, Action<ResolverSettings> Set)[] GlibcFlags =
    {
        (ResolvConfOptionNames.Rotate, s => s.Rotate = true),
        (ResolvConfOptionNames.Edns0, s => s.Edns0 = true),
        (ResolvConfOptionNames.SingleRequestReopen, s => s.SingleRequestReopen = true),
        (ResolvConfOptionNames.SingleRequest, s => s.SingleRequest = true),
        ("no_tld_query", s => s.NoTldQuery = true),
        (ResolvConfOptionNames.NoTldQuery, s => s.NoTldQuery = true),
        (ResolvConfOptionNames.NoReload, s => { }),
        (ResolvConfOptionNames.UseVc, s => s.UseTcp = true),
        (ResolvConfOptionNames.TrustAd, s => s.TrustAd = true),
        (ResolvConfOptionNames.NoAaaa, s => s.NoAaaa = true),
    };

    /// <summary>atoi, capped at 15, then stored in _res's 4-bit ndots field (resolv/bits/types/res_state.h): -1 reads as 15.</summary>
    private static int GlibcNdots(int value) => value > GlibcMaxNdots ? GlibcMaxNdots : value & 0xF;

    /// <summary>C atoi: optional whitespace and sign, then leading digits; 0 when there are none.</summary>
    private static int Atoi(string s)
    {
        var i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        var negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        long value = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && value < int.MaxValue) value = value * 10 + (s[i++] - '0');
        value = Math.Min(value, int.MaxValue);
        return (int)(negative ? -value : value);
    }

    // ---- Go ---------------------------------------------------------------------------------

    /// <summary>Go's cap on ndots (src/net/dnsconfig_unix.go).</summary>
    public const int GoMaxNdots = 15;

    /// <summary>
    /// Go's pure resolver (src/net/dnsconfig_unix.go, dnsReadConfig): fields split on whitespace
    /// (leading whitespace allowed); at most 3 nameservers; "domain" and "search" replace the search
    /// list; ndots capped at 15, timeout and attempts at least 1; single-request and
    /// single-request-reopen both mean sequential queries; use-vc, usevc and tcp mean TCP; edns0 is
    /// always on; defaults 127.0.0.1 and ::1 when no nameserver is named.
    /// </summary>
    public static ResolverSettings ForGo(ResolvConf conf)
    {
        var s = new ResolverSettings(ResolverFamily.Go) { Edns0 = true };
        var nameservers = new List<ResolvConfNameserver>();
        var ignored = new List<string>();
        IReadOnlyList<string> search = Array.Empty<string>();
        foreach (var line in conf.Lines)
        {
            var text = line.Text;
            if (text.Length > 0 && text[0] is '#' or ';') continue;
            var fields = ResolvConfParser.SplitFields(text);
            if (fields.Length == 0) continue;
            switch (fields[0])
            {
                case "nameserver":
                    if (fields.Length > 1 && nameservers.Count < ResolvConfParser.MaxNameservers
                        && ResolvConfParser.TryParseNameserver(fields[1], out var address, out var scope, out _))
                        nameservers.Add(new ResolvConfNameserver(address!, scope, line.LineNumber));
                    break;
                case "domain":
                    if (fields.Length > 1) search = new[] { fields[1] };
                    break;
                case "search":
                    search = fields.Skip(1).Where(f => f != ".").ToArray();
                    break;
                case "options":
                    foreach (var word in fields.Skip(1))
                    {
                        if (word.StartsWith("ndots:", StringComparison.Ordinal)) s.Ndots = Math.Clamp(GoDtoi(word[6..]), 0, GoMaxNdots);
                        else if (word.StartsWith("timeout:", StringComparison.Ordinal)) s.TimeoutSeconds = Math.Max(GoDtoi(word[8..]), 1);
                        else if (word.StartsWith("attempts:", StringComparison.Ordinal)) s.Attempts = Math.Max(GoDtoi(word[9..]), 1);
                        else switch (word)
                        {
                            case ResolvConfOptionNames.Rotate: s.Rotate = true; break;
                            case ResolvConfOptionNames.SingleRequest or ResolvConfOptionNames.SingleRequestReopen: s.SingleRequest = true; break;
                            case ResolvConfOptionNames.UseVc or "usevc" or "tcp": s.UseTcp = true; break;
                            case ResolvConfOptionNames.TrustAd: s.TrustAd = true; break;
                            case ResolvConfOptionNames.Edns0: break;
                            default: ignored.Add(word); break;
                        }
                    }
                    break;
            }
        }
        s.Search = search;
        s.IgnoredOptions = ignored;
        s.SetNameservers(nameservers, "127.0.0.1", "::1");
        return s;
    }

    /// <summary>Go's dtoi: leading decimal digits, 0 when there are none.</summary>
    private static int GoDtoi(string s)
    {
        long n = 0;
        var i = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
        {
            n = n * 10 + (s[i] - '0');
            if (n >= 0xFFFFFF) return 0xFFFFFF;
        }
        return (int)n;
    }

    // ---- uClibc-ng ---------------------------------------------------------------------------

    /// <summary>uClibc-ng's line buffer (libc/inet/resolv.c: szBuffer[MAXLEN_searchdomain], 128 bytes).</summary>
    public const int UClibcNgLineBuffer = 128;

    /// <summary>
    /// uClibc-ng's reading (libc/inet/resolv.c, __open_nameservers; kraj/uclibc-ng @ee245184): the line is
    /// read with fgets into a 128-byte buffer (a longer line goes on as the next "line"); the first word is
    /// the keyword; every "nameserver" is kept (no limit of 3); "domain" and "search" replace the list; on
    /// an "options" line only the FIRST word is looked at, and only "timeout:N" or "attempts:N" (atoi) —
    /// so "options ndots:5 timeout:1" changes nothing; there is no ndots (a name with a dot is tried
    /// as given first). Defaults: 5 s (RES_TIMEOUT) and 3 attempts — the real busybox:1.38.0-uclibc
    /// tries each nameserver 3 times per type in every silent cell (RES_DFLRETRY as built there; the
    /// header value could not be read here, glibc's is 2); without a nameserver the
    /// built-in one is 0.0.0.0:53 (the local host), shown as 127.0.0.1; without a search line the
    /// host name's domain is used (not modelled: the model sees no host name).
    /// </summary>
    public static ResolverSettings ForUClibcNg(ResolvConf conf)
    {
        var s = new ResolverSettings(ResolverFamily.UClibcNg) { Ndots = 1, Attempts = 3 };
        var nameservers = new List<ResolvConfNameserver>();
        var ignored = new List<string>();
        IReadOnlyList<string> search = Array.Empty<string>();
        foreach (var line in conf.Lines)
        {
            // fgets(szBuffer, 128): the rest of a long line is read as further "lines".
            var chunks = new List<string>();
            for (var at = 0; at < line.Text.Length || at == 0; at += UClibcNgLineBuffer - 1)
            {
                chunks.Add(line.Text.Substring(at, Math.Min(UClibcNgLineBuffer - 1, line.Text.Length - at)));
                if (line.Text.Length == 0) break;
            }
            foreach (var text in chunks)
            {
                var fields = ResolvConfParser.SplitFields(text);
                if (fields.Length == 0) continue;
                switch (fields[0])
                {
                    case "nameserver":
                        if (fields.Length > 1 && ResolvConfParser.TryParseNameserver(fields[1], out var address, out var scope, out _))
                            nameservers.Add(new ResolvConfNameserver(address!, scope, line.LineNumber));
                        break;
                    case "domain" or "search":
                        search = fields.Skip(1).ToArray();
                        break;
                    case "options":
                        if (fields.Length < 2) break;
                        var first = fields[1];
                        var colon = first.IndexOf(':');
                        if (colon > 0 && first[..colon] is "timeout" or "attempts")
                        {
                            // atoi into a uint8_t: leading digits, modulo 256.
                            var digits = new string(first[(colon + 1)..].TakeWhile(char.IsAsciiDigit).Take(9).ToArray());
                            var value = digits.Length == 0 ? 0 : int.Parse(digits, CultureInfo.InvariantCulture) & 0xFF;
                            if (first[..colon] == "timeout") s.TimeoutSeconds = value; else s.Attempts = value;
                            ignored.AddRange(fields.Skip(2));
                        }
                        else ignored.AddRange(fields.Skip(1));
                        break;
                }
            }
        }
        s.Search = search;
        s.IgnoredOptions = ignored;
        s.SetNameservers(nameservers, "127.0.0.1");
        return s;
    }

    // ---- shared -----------------------------------------------------------------------------

    private void SetNameservers(List<ResolvConfNameserver> nameservers, params string[] defaults)
    {
        if (nameservers.Count == 0)
        {
            UsesDefaultNameserver = true;
            foreach (var d in defaults)
                nameservers.Add(new ResolvConfNameserver(System.Net.IPAddress.Parse(d), null, 0));
        }
        Nameservers = nameservers;
    }

    /// <summary>C libcs match a keyword only at column 0 and only when a space or tab follows it.</summary>
    private static bool StartsWithKeyword(string line, string keyword)
        => line.Length > keyword.Length && line.StartsWith(keyword, StringComparison.Ordinal) && line[keyword.Length] is ' ' or '\t';
}
