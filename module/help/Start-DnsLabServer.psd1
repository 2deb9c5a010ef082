@{
    Synopsis    = 'Starts an in-process DNS server on loopback that answers by fault-injection rules and logs every query.'
    Description = @'
Start-DnsLabServer listens on UDP and TCP (127.0.0.1 and a free port unless -Address and -Port say otherwise) and answers A and AAAA queries by the same rules as Get-ResolverQueryPlan's -ServerBehavior, so a plan and a replay describe the same server:

- "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms", "*.cluster.local -> NXDOMAIN", "AAAA * -> NODATA", "* -> REFUSED";
- "A * -> no answer" (dropped; over TCP the connection is accepted and the query read but never answered), "* -> truncated" (TC over UDP, answered over TCP);
- "A big.example -> truncated, TCP reset" / "truncated, TCP no answer": TC over UDP, and over TCP the connection is reset once the query is read, or accepted and never answered; "* -> reset" resets TCP and drops UDP. A "connection refused" rule needs the name, so the lab server reads the query and resets too; to refuse every TCP connection (as "truncated, TCP refused" learned from a UDP-only server) use -NoTcp;
- "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached 5s": the first query of a name and type is answered after the delay (one arriving meanwhile with it), later ones at once for 5 s after that reply (without a duration: as long as the server runs), as unbound answers from its cache;
- "AAAA * -> drop if parallel": drops the second query of a pair sent together from one socket while the first is unanswered, the effect of the conntrack insertion race.

Queries no rule matches are answered at once with -IPv4Answer / -IPv6Answer (192.0.2.1 and 2001:db8::1). Every query is logged with its arrival time on a monotonic clock, client port, id, name and type, and what was answered when (Get-DnsLabQuery). Replies are sent from a dedicated thread, so their timing holds while the session is busy. Stop the server with Stop-DnsLabServer; Get-DnsLabServer lists the running ones. -WhatIf says what would be started without listening; -Confirm asks first.
'@
    Parameters  = @{
        Rule       = 'Rules: [@SERVER] [A|AAAA] PATTERN -> OUTCOME [after DELAY [then cached [DURATION]]]. Several may be given, or separated by ";". Also takes what Get-DnsServerBehavior returns (alias -Behavior), to replay a real server''s learned behaviour on loopback.'
        Address    = 'The address to listen on. Default 127.0.0.1; anything else is reachable by other hosts and warned about.'
        Port       = 'The port; 0 (default) picks a free one.'
        WhatIf     = 'Say which address and rules a server would be started with, without listening.'
        Confirm    = 'Ask before starting the server.'
        IPv4Answer = 'The address returned for A queries. Default 192.0.2.1 (TEST-NET-1).'
        IPv6Answer = 'The address returned for AAAA queries. Default 2001:db8::1 (documentation prefix).'
        NoTcp      = 'Refuse TCP connections, as an upstream that serves UDP only: with a "truncated" rule the client (or a resolver in front) cannot get the full answer.'
    }
    Outputs     = 'DnsTools.Core.Lab.DnsLabServer'
    Examples    = @(
        @{
            Code    = @'
$lab = Start-DnsLabServer 'AAAA * -> SERVFAIL after 200ms'
Test-PodDnsLatency -Name api.example. -ResolvConf 'options timeout:1' -Server $lab -Resolver musl-1.2.3 | Out-Null
Get-DnsLabQuery $lab
$lab | Stop-DnsLabServer
'@
            Remarks = 'What musl sent to a server that answers AAAA with SERVFAIL: the re-sends with the same id and port.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer -Rule 'AAAA * -> drop if parallel' -Port 0
$lab
Stop-DnsLabServer -All
'@
            Remarks = 'A server that loses the second query of a same-socket pair, as the conntrack race does.'
        }
    )
    Links       = @('Stop-DnsLabServer', 'Get-DnsLabQuery', 'Test-PodDnsLatency', 'Get-ResolverQueryPlan')
}
