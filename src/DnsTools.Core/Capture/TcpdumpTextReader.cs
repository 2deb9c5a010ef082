using System.Globalization;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Capture;

/// <summary>
/// Reads tcpdump's default text output for DNS (print-domain.c): with or without -n (host names or
/// addresses, "domain" or 53), with or without "-i any"'s interface and direction columns, IPv4 and
/// IPv6. Lines that are not DNS are counted and skipped.
/// </summary>
public static class TcpdumpTextReader
{
    /// <summary>Lines longer than this are skipped (counted): tcpdump's DNS lines are far shorter, even with -vv.</summary>
    public const int DefaultMaxLineLength = 65536;

    /// <summary>tcpdump prints at most 255 bytes of name, each escaped as at most 4 characters ("\\123").</summary>
    private const int MaxNameLength = 1024;

    /// <summary>What a response line prints after the counts (its records, with -v): kept up to this many characters.</summary>
    private const int MaxRestLength = 256;

    // The patterns run on untrusted text: NonBacktracking makes each match linear in the line's length
    // (a backtracking engine took quadratic time on a line of spaces); digits are ASCII only ([0-9], not \d,
    // which also matches other scripts' digits that the number parsers reject).
    private const RegexOptions Untrusted = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    // 09:13:49.074130 [eth0 Out] IP src.port > dst.port: <dns>
    private static readonly Regex LineSyntax = new(@"^(?<time>[0-9]{1,2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,9})[ \t]+(?:[^ \t]+[ \t]+(?:In|Out|B|M|P)[ \t]+)?(?<proto>IP6?)[ \t]+(?<src>[^ \t]+)[ \t]+>[ \t]+(?<dst>[^ \t]+?):[ \t]+(?<dns>.+)$", Untrusted);

    // 47843+ [1au] A? name. (62)     query: id, flags (+ RD, % AD), optional [..] blocks, TYPE?, name, size
    private static readonly Regex QuerySyntax = new(@"^(?<id>[0-9]{1,5})(?<flags>[+%]*)[ \t]+(?:\[[^\]]*\][ \t]+)*(?:q:[ \t]+)?(?<type>[A-Za-z0-9]+)\?[ \t]+(?<name>[^ \t]+)[ \t]+\((?<size>[0-9]{1,6})\)", Untrusted);

    // 47843 NXDomain*- 0/1/0 (155)   response: id, flags, optional rcode, flags, an/ns/ar, records, size
    private static readonly Regex ResponseSyntax = new(@"^(?<id>[0-9]{1,5})(?<f1>[*\-|$]*)(?:[ \t]+(?:q:[ \t]+[^ \t]+\?[ \t]+[^ \t]+[ \t]+)?(?<rcode>[A-Z][A-Za-z]+)(?<f2>[*\-|$]*))?[ \t]+(?<an>[0-9]{1,5})/(?<ns>[0-9]{1,5})/(?<ar>[0-9]{1,5})(?<rest>.*?)[ \t]*\((?<size>[0-9]{1,6})\)[ \t]*$", Untrusted);

    /// <summary>
    /// Lines of a text stream, each at most <paramref name="maxLineLength"/> characters plus one: a longer
    /// line is cut there (the rest is read and dropped), so memory stays bounded and <see cref="Read"/>
    /// counts it as too long.
    /// </summary>
    public static IEnumerable<string> ReadLines(TextReader reader, int maxLineLength = DefaultMaxLineLength, Action<long>? linesRead = null)
    {
        var line = new System.Text.StringBuilder();
        var buffer = new char[8192];
        long count = 0;
        var over = false;
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != '\n') continue;
                Append(buffer.AsSpan(start, i - start));
                start = i + 1;
                yield return Take();
                if (++count % 10000 == 0) linesRead?.Invoke(count);
            }
            Append(buffer.AsSpan(start, n - start));
        }
        if (line.Length > 0 || over) yield return Take();

        void Append(ReadOnlySpan<char> chunk)
        {
            if (over) return;
            var room = maxLineLength + 1 - line.Length;
            if (chunk.Length >= room) { line.Append(chunk[..room]); over = true; }
            else line.Append(chunk);
        }

        string Take()
        {
            var text = line.ToString();
            if (text.EndsWith('\r')) text = text[..^1];
            line.Clear();
            over = false;
            return text;
        }
    }

    /// <summary>Parses lines one by one; yields the DNS messages, counting the rest in <paramref name="stats"/>.</summary>
    public static IEnumerable<DnsPacket> Read(IEnumerable<string> lines, CaptureReadStatistics stats, string input = "text", int maxLineLength = DefaultMaxLineLength)
    {
        var lineNumber = 0;
        var day = 0;
        TimeSpan? previous = null;
        foreach (var raw in lines)
        {
            lineNumber++;
            if (raw.Length > maxLineLength)
            {
                stats.SkippedLongLines++;
                continue;
            }
            var line = raw.TrimEnd();
            if (line.Length == 0) continue;
            var m = LineSyntax.Match(line);
            if (!m.Success)
            {
                stats.SkippedLines++;
                continue;
            }
            stats.PacketsRead++;
            if (!TryEndpoint(m.Groups["src"].Value, out var srcHost, out var srcPort) || !TryEndpoint(m.Groups["dst"].Value, out var dstHost, out var dstPort)
                || (srcPort != 53 && dstPort != 53))
            {
                stats.SkippedNotDns++;
                continue;
            }
            // tcpdump --nano prints 9 fraction digits; TimeSpan holds 7 (100 ns ticks).
            var clock = m.Groups["time"].Value;
            if (clock.Length - clock.IndexOf('.') > 8) clock = clock[..(clock.IndexOf('.') + 8)];
            if (!TimeSpan.TryParseExact(clock, @"h\:mm\:ss\.FFFFFFF", CultureInfo.InvariantCulture, out var timeOfDay))
            {
                stats.SkippedLines++;
                continue;
            }
            // Time of day only: a capture that runs past midnight moves to the next day.
            if (previous is { } p && timeOfDay < p - TimeSpan.FromHours(1)) day++;
            previous = timeOfDay;
            var timestamp = DateTime.MinValue.AddDays(day) + timeOfDay;
            var dns = m.Groups["dns"].Value;
            var origin = $"{input}:line {lineNumber}";
            var q = QuerySyntax.Match(dns);
            if (dstPort == 53 && q.Success && Number(q, "id") is { } queryId and <= ushort.MaxValue && Number(q, "size") is { } querySize
                && q.Groups["name"].Length <= MaxNameLength)
            {
                stats.DnsMessages++;
                yield return new DnsPacket
                {
                    Timestamp = timestamp,
                    SourceHost = srcHost, SourcePort = srcPort, DestinationHost = dstHost, DestinationPort = dstPort,
                    Id = (ushort)queryId,
                    IsResponse = false,
                    Name = q.Groups["name"].Value,
                    Type = q.Groups["type"].Value.ToUpperInvariant(),
                    Size = querySize,
                    Flags = q.Groups["flags"].Value + (dns.Contains("[1au]") ? " [1au]" : string.Empty),
                    Origin = origin,
                };
                continue;
            }
            var r = ResponseSyntax.Match(dns);
            if (srcPort == 53 && r.Success && Number(r, "id") is { } responseId and <= ushort.MaxValue && Number(r, "size") is { } responseSize
                && Number(r, "an") is { } answers)
            {
                stats.DnsMessages++;
                var flags = r.Groups["f1"].Value + r.Groups["f2"].Value;
                var rest = r.Groups["rest"].Value.Trim();
                if (rest.Length > MaxRestLength) rest = rest[..MaxRestLength] + "...";
                yield return new DnsPacket
                {
                    Timestamp = timestamp,
                    SourceHost = srcHost, SourcePort = srcPort, DestinationHost = dstHost, DestinationPort = dstPort,
                    Id = (ushort)responseId,
                    IsResponse = true,
                    // tcpdump prints the question of a response only with -vv; the pairing fills it in.
                    Name = string.Empty,
                    Type = string.Empty,
                    Rcode = r.Groups["rcode"].Success ? NormaliseRcode(r.Groups["rcode"].Value) : "NoError",
                    AnswerCount = answers,
                    Truncated = flags.Contains('|'),
                    Size = responseSize,
                    Flags = flags + (rest.Length > 0 ? " " + rest : string.Empty),
                    Origin = origin,
                };
                continue;
            }
            stats.SkippedMalformed++;
        }
    }

    /// <summary>A matched group of ASCII digits as a number; null if it does not fit (the patterns bound the digit count, this is the backstop).</summary>
    private static int? Number(Match m, string group)
        => int.TryParse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string NormaliseRcode(string tcpdump) => tcpdump switch
    {
        "NXDomain" => "NxDomain",
        "ServFail" => "ServFail",
        "Refused" => "Refused",
        "FormErr" => "FormErr",
        "NotImp" => "NotImp",
        _ => tcpdump,
    };

    /// <summary>"host.59071", "10.0.0.1.53", "fd00::1.53", "kube-dns.kube-system.svc.cluster.local.domain".</summary>
    private static bool TryEndpoint(string text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var dot = text.LastIndexOf('.');
        if (dot <= 0 || dot == text.Length - 1) return false;
        host = text[..dot];
        var service = text[(dot + 1)..];
        if (service == "domain") port = 53;
        else if (!int.TryParse(service, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535) return false;
        return true;
    }
}
