using System.Net;
using DnsTools.Core.Dns;
using DnsTools.Core.Resolvers;

namespace DnsTools.Core.Lab;

/// <summary>
/// Makes the lab server answer by the same rules as Get-ResolverQueryPlan's -ServerBehavior
/// ("AAAA * -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN", "AAAA * -> drop if parallel"),
/// so a plan and a replay against the lab server describe the same server.
/// </summary>
public static class DnsLabPolicy
{
    public static readonly IPAddress DefaultIPv4Answer = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress DefaultIPv6Answer = IPAddress.Parse("2001:db8::1");

    /// <summary>The least delay of every reply while a "drop if parallel" rule is in force.</summary>
    public static readonly TimeSpan PairGuard = TimeSpan.FromMilliseconds(5);

    public static Func<DnsLabRequest, DnsLabDecision> FromBehavior(ServerBehavior behavior, string serverName, IPAddress? ipv4 = null, IPAddress? ipv6 = null)
    {
        ArgumentNullException.ThrowIfNull(behavior);
        ipv4 ??= DefaultIPv4Answer;
        ipv6 ??= DefaultIPv6Answer;
        // With a "drop if parallel" rule every reply waits a little, so a query the client sends
        // after reading an answer (single-request) always comes after that answer left, while the
        // second query of a real parallel pair (microseconds later) finds the first still unanswered.
        var guard = behavior.Rules.Any(r => r.OnlyIfParallel) ? PairGuard : TimeSpan.Zero;
        // "then cached" rules: the lab server remembers first replies for as long as it runs, on its own clock.
        var cache = new ServerCache();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return request =>
        {
            // Only A and AAAA are modelled; other types get NODATA (or the rule's error).
            var type = request.Type == DnsWire.TypeAaaa ? DnsQueryType.AAAA : DnsQueryType.A;
            var response = behavior.Respond(request.Name.TrimEnd('.'), type, serverName, request.Tcp ? DnsTransport.Tcp : DnsTransport.Udp, request.SecondOfParallelPair, cache, clock.Elapsed);
            if (response.Delay < guard) response = response with { Delay = guard };
            var address = request.Type switch { DnsWire.TypeA => new[] { ipv4 }, DnsWire.TypeAaaa => new[] { ipv6 }, _ => Array.Empty<IPAddress>() };
            return response.Kind switch
            {
                ServerResponseKind.Answer => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.NoError, response.Delay, address),
                ServerResponseKind.NxDomain => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.NxDomain, response.Delay, Array.Empty<IPAddress>()),
                ServerResponseKind.NoData => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.NoError, response.Delay, Array.Empty<IPAddress>()),
                ServerResponseKind.ServFail => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.ServFail, response.Delay, Array.Empty<IPAddress>()),
                ServerResponseKind.Refused => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.Refused, response.Delay, Array.Empty<IPAddress>()),
                ServerResponseKind.Truncated => new DnsLabDecision(DnsLabAction.Respond, DnsRcode.NoError, response.Delay, address, Truncate: true),
                // "connection refused" needs the name, so the lab server reads the query first and resets too;
                // refusing every TCP connection is Start-DnsLabServer -NoTcp.
                ServerResponseKind.Reset or ServerResponseKind.ConnectionRefused => new DnsLabDecision(DnsLabAction.Reset, DnsRcode.NoError, response.Delay, Array.Empty<IPAddress>()),
                _ => DnsLabDecision.Dropped,
            };
        };
    }
}
