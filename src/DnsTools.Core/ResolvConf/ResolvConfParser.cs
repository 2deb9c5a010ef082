using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DnsTools.Core.ResolvConf;

/// <summary>
/// Reads resolv.conf text into a <see cref="ResolvConf"/>. Never throws on content:
/// malformed lines become <see cref="ResolvConfWarning"/>s naming the line, and are kept verbatim.
/// The structured view follows glibc's reading (resolv/res_init.c); each libc's own reading,
/// where it differs, is in <see cref="ResolverSettings"/>.
/// </summary>
public static class ResolvConfParser
{
    /// <summary>glibc and musl keep at most this many nameservers (MAXNS in resolv.h / musl's lookup.h).</summary>
    public const int MaxNameservers = 3;

    /// <summary>musl reads lines into a 256-byte buffer and skips any line that does not fit (src/network/resolvconf.c).</summary>
    public const int MuslMaxLineLength = 254;

    public static ResolvConf Parse(string text, string source = "pipeline")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = SplitLines(text);
        var parsedLines = new List<ResolvConfLine>(lines.Count);
        var nameservers = new List<ResolvConfNameserver>();
        var options = new List<ResolvConfOption>();
        var warnings = new List<ResolvConfWarning>();
        IReadOnlyList<string> search = Array.Empty<string>();
        string? domain = null;

        for (var i = 0; i < lines.Count; i++)
        {
            var number = i + 1;
            var line = lines[i];
            void Warn(string message) => warnings.Add(new ResolvConfWarning(source, number, message));

            var kind = Classify(line);
            if (kind is ResolvConfLineKind.Blank or ResolvConfLineKind.Comment)
            {
                parsedLines.Add(new ResolvConfLine(number, line, kind));
                continue;
            }

            if (line.Length > MuslMaxLineLength)
                Warn($"line is {line.Length} characters long; musl skips lines longer than {MuslMaxLineLength}");
            if (char.IsWhiteSpace(line[0]))
                Warn("line starts with whitespace: musl and glibc ignore it (only Go reads it)");

            var fields = SplitFields(line);
            switch (kind)
            {
                case ResolvConfLineKind.Nameserver:
                    if (fields.Length < 2)
                    {
                        Warn("'nameserver' without an address");
                        kind = ResolvConfLineKind.Invalid;
                        break;
                    }
                    if (!TryParseNameserver(fields[1], out var address, out var scope, out var problem))
                    {
                        Warn($"nameserver '{fields[1]}' is not used: {problem}");
                        kind = ResolvConfLineKind.Invalid;
                        break;
                    }
                    if (nameservers.Count >= MaxNameservers)
                        Warn($"nameserver {fields[1]} is ignored: libcs use only the first {MaxNameservers} nameservers");
                    nameservers.Add(new ResolvConfNameserver(address!, scope, number));
                    if (fields.Length > 2)
                        Warn($"text after the nameserver address is ignored: '{string.Join(' ', fields.Skip(2))}'");
                    break;

                case ResolvConfLineKind.Search:
                    if (fields.Length < 2)
                    {
                        // glibc ignores an empty search line (res_init.c, res_vinit_1); musl clears its list.
                        Warn("'search' without domains: glibc keeps the previous search list, musl clears it");
                        break;
                    }
                    search = fields.Skip(1).ToArray();
                    break;

                case ResolvConfLineKind.Domain:
                    if (fields.Length < 2)
                    {
                        Warn("'domain' without a name");
                        kind = ResolvConfLineKind.Invalid;
                        break;
                    }
                    domain = fields[1];
                    search = new[] { fields[1] };
                    if (fields.Length > 2)
                        Warn($"'domain' takes one name; glibc and Go ignore '{string.Join(' ', fields.Skip(2))}'");
                    break;

                case ResolvConfLineKind.Options:
                    if (fields.Length < 2)
                        Warn("'options' without any option");
                    foreach (var word in fields.Skip(1))
                    {
                        var option = ResolvConfOption.Parse(word, number);
                        options.Add(option);
                        if (ResolvConfOptionNames.Numeric.Contains(option.Name))
                        {
                            if (string.IsNullOrEmpty(option.Value) || !option.Value.All(char.IsAsciiDigit))
                                Warn($"option '{word}' has no number: glibc reads it as 0, musl ignores it");
                        }
                        else if (option.Value is not null && option.IsKnown)
                        {
                            Warn($"option '{option.Name}' takes no value; ':{option.Value}' makes libcs ignore it");
                        }
                    }
                    break;

                case ResolvConfLineKind.Sortlist:
                    break;

                default:
                    Warn($"unknown keyword '{fields[0]}': every resolver ignores this line");
                    break;
            }
            parsedLines.Add(new ResolvConfLine(number, line, kind));
        }

        return new ResolvConf(source, parsedLines, nameservers, search, domain, options, warnings);
    }

    /// <summary>Reads a file. Missing or unreadable files raise <see cref="IOException"/>-derived errors naming the path.</summary>
    public static ResolvConf ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"resolv.conf not found: '{path}'", path);
        // kubelet reads at most 10 MiB of a resolv.conf (pkg/kubelet/network/dns/dns.go, maxResolvConfLength); so do we.
        const long maxBytes = 10 << 20;
        if (info.Length > maxBytes)
            throw new InvalidDataException($"'{path}' is {info.Length} bytes: larger than any resolv.conf ({maxBytes} bytes at most)");
        return Parse(File.ReadAllText(path), path);
    }

    internal static List<string> SplitLines(string text)
    {
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    internal static string[] SplitFields(string line)
        => line.Split(new[] { ' ', '\t', '\r', '\v', '\f' }, StringSplitOptions.RemoveEmptyEntries);

    private static ResolvConfLineKind Classify(string line)
    {
        var trimmed = line.TrimStart();
        if (trimmed.Length == 0) return ResolvConfLineKind.Blank;
        if (trimmed[0] is '#' or ';') return ResolvConfLineKind.Comment;
        var keyword = SplitFields(trimmed)[0];
        return keyword switch
        {
            "nameserver" => ResolvConfLineKind.Nameserver,
            "search" => ResolvConfLineKind.Search,
            "domain" => ResolvConfLineKind.Domain,
            "options" => ResolvConfLineKind.Options,
            "sortlist" => ResolvConfLineKind.Sortlist,
            _ => ResolvConfLineKind.Unknown,
        };
    }

    /// <summary>
    /// Accepts what both libcs accept: a dotted-quad IPv4 address, or an IPv6 address with an optional
    /// %scope (interface name or number). No libc reads a port here: "1.2.3.4:53", "[::1]:53" and
    /// "1.2.3.4#53" are rejected with a reason.
    /// </summary>
    public static bool TryParseNameserver(string text, out IPAddress? address, out string? scopeId, out string problem)
    {
        address = null;
        scopeId = null;
        problem = string.Empty;
        if (text.StartsWith('[') || text.Contains('#') || (text.Count(c => c == ':') == 1 && text.Contains('.')))
        {
            problem = "resolv.conf takes no port (musl, glibc and Go all ignore such a line)";
            return false;
        }
        var percent = text.IndexOf('%');
        var host = percent < 0 ? text : text[..percent];
        if (percent >= 0)
        {
            scopeId = text[(percent + 1)..];
            if (scopeId.Length == 0)
            {
                problem = "empty scope after '%'";
                return false;
            }
        }
        if (host.Contains(':'))
        {
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = "not an IPv6 address";
                return false;
            }
            if (scopeId is not null && uint.TryParse(scopeId, NumberStyles.None, CultureInfo.InvariantCulture, out var numericScope))
                v6.ScopeId = numericScope;
            address = v6;
            return true;
        }
        if (scopeId is not null)
        {
            problem = "a %scope is only valid on an IPv6 address";
            return false;
        }
        if (!IsDottedQuad(host) || !IPAddress.TryParse(host, out var v4))
        {
            problem = "not an IPv4 or IPv6 address";
            return false;
        }
        address = v4;
        return true;
    }

    private static bool IsDottedQuad(string s)
    {
        var parts = s.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }
}
