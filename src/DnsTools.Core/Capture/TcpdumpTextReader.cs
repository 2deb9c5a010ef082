using System.Globalization;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Capture;

/// <summary>
/// Reads tcpdump's default text output for DNS (print-domain.c): with or without -n (host names or
/// addresses, "domain" or 53), with or without "-i any"'s interface and direction columns, IPv4 and
/// IPv6. Lines that are not DNS are counted and skipped.
/// </summary>
public static partial class TcpdumpTextReader
{
    // 09:13:49.074130 [eth0 Out] IP src.port > dst.port: <dns>
    [GeneratedRegex(@"^(?<time>\d{1,2}:\d{2}:\d{2}\.\d{1,9})\s+(?:\S+\s+(?:In|Out|B|M|P)\s+)?(?<proto>IP6?)\s+(?<src>\S+)\s+>\s+(?<dst>\S+?):\s+(?<dns>.+)$")]
    private static partial Regex LineSyntax();

    // 47843+ [1au] A? name. (62)     query: id, flags (+ RD, % AD), optional [..] blocks, TYPE?, name, size
    [GeneratedRegex(@"^(?<id>\d+)(?<flags>[+%]*)\s+(?:\[[^\]]*\]\s+)*(?:q:\s+)?(?<type>[A-Za-z0-9]+)\?\s+(?<name>\S+)\s+\((?<size>\d+)\)")]
    private static partial Regex QuerySyntax();

    // 47843 NXDomain*- 0/1/0 (155)   response: id, flags, optional rcode, flags, an/ns/ar, records, size
    [GeneratedRegex(@"^(?<id>\d+)(?<f1>[*\-|$]*)(?:\s+(?:q:\s+\S+\?\s+\S+\s+)?(?<rcode>[A-Z][A-Za-z]+)(?<f2>[*\-|$]*))?\s+(?<an>\d+)/(?<ns>\d+)/(?<ar>\d+)(?<rest>.*?)\s*\((?<size>\d+)\)\s*$")]
    private static partial Regex ResponseSyntax();

    /// <summary>Parses lines one by one; yields the DNS messages, counting the rest in <paramref name="stats"/>.</summary>
    public static IEnumerable<DnsPacket> Read(IEnumerable<string> lines, CaptureReadStatistics stats, string input = "text")
    {
        var lineNumber = 0;
        var day = 0;
        TimeSpan? previous = null;
        foreach (var raw in lines)
        {
            lineNumber++;
            var line = raw.TrimEnd();
            if (line.Length == 0) continue;
            var m = LineSyntax().Match(line);
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
            if (!TimeSpan.TryParseExact(m.Groups["time"].Value, @"h\:mm\:ss\.FFFFFFF", CultureInfo.InvariantCulture, out var timeOfDay))
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
            var q = QuerySyntax().Match(dns);
            if (dstPort == 53 && q.Success)
            {
                stats.DnsMessages++;
                yield return new DnsPacket
                {
                    Timestamp = timestamp,
                    SourceHost = srcHost, SourcePort = srcPort, DestinationHost = dstHost, DestinationPort = dstPort,
                    Id = (ushort)int.Parse(q.Groups["id"].Value, CultureInfo.InvariantCulture),
                    IsResponse = false,
                    Name = q.Groups["name"].Value,
                    Type = q.Groups["type"].Value.ToUpperInvariant(),
                    Size = int.Parse(q.Groups["size"].Value, CultureInfo.InvariantCulture),
                    Flags = q.Groups["flags"].Value + (dns.Contains("[1au]") ? " [1au]" : string.Empty),
                    Origin = origin,
                };
                continue;
            }
            var r = ResponseSyntax().Match(dns);
            if (srcPort == 53 && r.Success)
            {
                stats.DnsMessages++;
                var flags = r.Groups["f1"].Value + r.Groups["f2"].Value;
                var rest = r.Groups["rest"].Value.Trim();
                yield return new DnsPacket
                {
                    Timestamp = timestamp,
                    SourceHost = srcHost, SourcePort = srcPort, DestinationHost = dstHost, DestinationPort = dstPort,
                    Id = (ushort)int.Parse(r.Groups["id"].Value, CultureInfo.InvariantCulture),
                    IsResponse = true,
                    // tcpdump prints the question of a response only with -vv; the pairing fills it in.
                    Name = string.Empty,
                    Type = string.Empty,
                    Rcode = r.Groups["rcode"].Success ? NormaliseRcode(r.Groups["rcode"].Value) : "NoError",
                    AnswerCount = int.Parse(r.Groups["an"].Value, CultureInfo.InvariantCulture),
                    Truncated = flags.Contains('|'),
                    Size = int.Parse(r.Groups["size"].Value, CultureInfo.InvariantCulture),
                    Flags = flags + (rest.Length > 0 ? " " + rest : string.Empty),
                    Origin = origin,
                };
                continue;
            }
            stats.SkippedMalformed++;
        }
    }

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
