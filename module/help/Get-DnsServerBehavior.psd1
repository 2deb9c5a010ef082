@{
    Synopsis    = 'Asks real DNS servers how they answer each candidate name a resolv.conf produces, and writes that down as server-behaviour rules.'
    Description = @'
Get-DnsServerBehavior closes the loop between a real DNS server and the resolver models: it asks the server directly, turns what it does into the rules Get-ResolverQueryPlan -ServerBehavior, Test-PodDnsLatency -Verify and Start-DnsLabServer -Behavior take, and keeps the evidence on every rule.

For every candidate name the search list and ndots of -ResolvConf produce (glibc's list, which also searches after trying a name with enough dots as is, merged with musl's and Go's) and for A, AAAA and every -Type, each server is asked -Count times over UDP without EDNS (as musl and glibc send), once more with an EDNS0 OPT record (as Go sends; some middleboxes drop OPT), and over TCP when a UDP answer was truncated (or always with -CheckTcp). Queries go out one at a time through DnsClient's LookupClient with its cache, retries, search list and TCP fallback off, at most -QueriesPerSecond per second; a discovery that would send more than -MaxQueries is refused before the first query. One extra query per server, on a socket of its own, checks that replies come from the server's own address (musl, glibc and Go drop replies from anywhere else; DnsClient does not).

The result has one observation per server, candidate and type (rcode, answer count, p50 and max latency, TC over UDP, the TCP and EDNS results, the rule that decides it) and Rules: the fewest rules that reproduce every A and AAAA observation, most general first ("* -> answer after 100ms", "AAAA * -> SERVFAIL", "*.cluster.local -> NXDOMAIN", "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms", "@127.0.0.2 * -> no answer" where servers differ). Latencies under 10 ms count as at once, the delay of a rule is the median, and delays within 30 ms or 10 % of each other count as one (a busy machine adds tens of milliseconds to single samples). A caching server in front of a slow upstream (unbound, knot-resolver) answers the first query after the upstream's delay and the later ones at once: when the first of two or more samples is more than twice as slow as every later one (plus 50 ms), the rule takes the first sample's delay and says "then cached" ("AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached"), so plans and the lab server make only the first query of a lookup wait. How long the server keeps the reply is not measured (unbound keeps a SERVFAIL 5 s); add it to the rule when known ("then cached 5s"). Discovery itself fills the server's cache: flush it before a replay that should start cold. A timeout, a reply with the wrong id, a malformed reply or one from another address is learned as "no answer", as the libcs treat it. What the grammar cannot say (an answer that changes between runs, a different answer with EDNS, TCP failing after truncation, other types) is in Notes and shown with -Verbose.

Only the servers named with -Server, or else the nameservers of -ResolvConf, are asked; this machine's /etc/resolv.conf is never read.
'@
    Parameters  = @{
        Name             = 'The names as the application asks for them; each becomes its search-list candidates when -ResolvConf is given. Piped names come through -InputObject.'
        InputObject      = 'The pipeline: names (strings, or objects with a Name or HostName property), a ResolvConf (used as -ResolvConf) and lab servers from Start-DnsLabServer (used as -Server). Anything else is a binding error: nothing is asked for an object''s text.'
        Server           = 'The servers to ask: host, host:port, [IPv6]:port, an IPAddress, or a server from Start-DnsLabServer. Default: the nameservers of -ResolvConf (port 53). At most 3.'
        ResolvConf       = 'The resolv.conf whose search list and ndots give the candidate names (a ResolvConf object, a path or the text). Without it the names are asked as given.'
        Count            = 'UDP queries per server, candidate and type; the latency p50 and max are over these. Default: 3.'
        Type             = 'Query types asked besides A and AAAA (MX, TXT, SRV or a number). Their observations are kept; rules cover A and AAAA only.'
        Timeout          = 'Seconds one query waits for its reply. Default: 5.'
        QueriesPerSecond = 'The most queries sent per second. Default: 20.'
        MaxQueries       = 'The most queries one discovery may send; a larger one is refused before it starts. Default: 1000.'
        CheckTcp         = 'Ask every candidate and type over TCP too (otherwise only after a truncated UDP answer).'
        NoEdns           = 'Skip the query with an EDNS0 OPT record.'
        Format           = 'Object (default) writes a DnsServerBehavior. Json writes it as one JSON string, as the other cmdlets'' -Format Json: camelCase, durations as numbers of milliseconds (durationMs, p50Ms, latencyMs...), enums as names.'
    }
    Outputs     = 'DnsTools.Core.ServerDiscovery.DnsServerBehavior, or a JSON string with -Format Json'
    Examples    = @(
        @{
            Code    = @'
$lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 300ms', '*.cluster.local -> NXDOMAIN'
$rc = New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10
$b = Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $rc -Server $lab -Count 2
$b.Rules
$b.Observations | Format-Table Type, Name, Rcode, P50Ms, MaxMs, TcpResult
$lab | Stop-DnsLabServer
'@
            Remarks = 'The incident''s server, learned: "AAAA elink.spic.com.cn -> SERVFAIL after 300ms" and "*.cluster.local -> NXDOMAIN", with the observations behind them.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer 'AAAA api.example -> SERVFAIL after 200ms'
$b = Get-DnsServerBehavior -Name api.example -Server $lab -Count 1
Get-ResolverQueryPlan -Name api.example -ResolvConf 'options timeout:1' -ServerBehavior $b -Resolver musl-1.2.3, glibc-2.36 |
    Format-Table Resolver, ResultCode, TotalTime, QueryCount
Test-PodDnsLatency -Name api.example -ResolvConf 'options timeout:1' -Server $lab -Resolver glibc-2.36 -Verify -ServerBehavior $b |
    Format-Table Resolver, Agrees, PlanOutcome, ReplayOutcome, PlanMs, ReplayMs
$lab | Stop-DnsLabServer
'@
            Remarks = 'Learn once, predict every libc from the rules, and check the prediction against a live replay on the same server.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer 'AAAA cached.example -> SERVFAIL after 300ms then cached'
$json = Get-DnsServerBehavior -Name cached.example -Server $lab -Count 3 -NoEdns -Format Json
($json | ConvertFrom-Json).rules
$lab | Stop-DnsLabServer
'@
            Remarks = 'A server that answers the first query late and the next ones from its cache is learned as "AAAA cached.example -> SERVFAIL after 300ms then cached"; -Format Json gives the whole result to another program.'
        }
    )
    Links       = @('Get-ResolverQueryPlan', 'Test-PodDnsLatency', 'Start-DnsLabServer')
}
