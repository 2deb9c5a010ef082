@{
    Synopsis    = 'Lists, in order and with timing, every DNS query musl, glibc or Go would send for a name, and what the lookup returns.'
    Description = @'
Get-ResolverQueryPlan runs a deterministic model of a resolver (musl, glibc, Go's pure resolver or uClibc-ng, version-aware) against a resolv.conf and a description of how the servers behave, and returns one DnsTools.Core.Resolvers.QueryPlan per name and resolver.

A plan's Queries list every query the resolver would put on the wire for getaddrinfo(name, AF_UNSPEC): the candidate name (fully qualified, with the trailing dot), the type (A or AAAA), the server, the transport (UDP or TCP), the socket (queries with the same socket number share a source port), the attempt, the reason it was sent (FirstTry, NextCandidate, AfterOtherType, RetryAfterTimeout, RetryAfterError, ResendAfterServfail, NextServer, SingleRequestFallback, ReopenFallback, TcpAfterTruncation), the send time, the server's response and when it arrives, and what the resolver did with it. The plan also gives the total lookup time, the result (ok, EAI_NONAME, EAI_NODATA, EAI_AGAIN, EAI_FAIL) and notes on assumptions.

The models follow the libc sources (each behaviour cites its source file and function) and are checked against the real musl 1.2.3, glibc 2.36 and Go pure resolver in private network namespaces by the project's conformance tests. Each resolver reads the resolv.conf its own way (the ResolvConf object's Musl, Glibc and Go properties).

Server behaviour is a list of rules, [@SERVER] [A|AAAA] NAME-PATTERN -> OUTCOME [after DELAY [then cached [DURATION]]]. OUTCOME is answer, NXDOMAIN, NODATA, SERVFAIL, REFUSED, no answer, truncated (TC over UDP, answered over TCP; "truncated, TCP reset", "truncated, TCP refused" and "truncated, TCP no answer" when TCP fails too), reset or connection refused (TCP: the connection is reset once the query is read, or refused; no answer over UDP) or drop if parallel (the second of two queries sent together from one socket is lost, like the conntrack race). "then cached" is a caching server before a slow upstream: only the first query of a name and type in the lookup waits DELAY (one sent while it waits is answered with it), later ones are answered at once for DURATION after that reply (e.g. "AAAA elink.spic.com.cn -> SERVFAIL after 1700ms then cached 5s"; without DURATION for the whole lookup); each plan starts on a cold cache. The most specific matching rule wins (an exact name over *.cluster.local over *, then a server, then a type); a query no rule matches is answered at once.
'@
    Parameters  = @{
        Name           = 'The name to look up, as the application passes it (a trailing dot makes it fully qualified). Piped names come through -InputObject.'
        InputObject    = 'The pipeline: names (strings, or objects with a Name or HostName property) and a ResolvConf, which is used as -ResolvConf (names piped before it wait for it). Anything else, a lab server included, is a binding error: nothing is planned for an object''s text.'
        ResolvConf     = 'The resolv.conf the resolver reads: a ResolvConf object (ConvertFrom-ResolvConf, New-PodResolvConf), a path or the text. Required, here or piped in: this machine''s /etc/resolv.conf is never read by default.'
        Resolver       = 'One or more resolvers as family-version: musl-1.2.3 (default), musl-1.1.12, musl-1.2.4, glibc-2.36, glibc-2.17, go-1.22, uclibc-ng-1.0.52; a bare family (musl, glibc, go, uclibc-ng) means the version its model was checked against. Modelled releases: musl 1.1.0-1.2.5, glibc 2.17-2.42, Go 1.13-1.25, uClibc-ng 1.0.0-1.0.52. Versions as distributions print them are accepted (musl-1.2.4_git20230717, musl-1.2.4-r0, glibc-2.36-9+deb12u14); a newer release than those modelled gives a warning naming the release whose behaviour is used, an older one or a version that is no release is refused. musl behaviour by release: SERVFAIL re-sent from 1.1.3, search list from 1.1.13, either failing query fails the lookup from 1.2.1, TCP after truncation and EAI_NODATA from 1.2.4. One plan is written per resolver.'
        ServerBehavior = 'Rules for how the nameservers answer, e.g. ''AAAA * -> SERVFAIL after 1700ms'', ''*.cluster.local -> NXDOMAIN'', ''@10.0.0.1 * -> no answer'', ''AAAA * -> drop if parallel''. Without rules every query is answered at once. Also takes what Get-DnsServerBehavior returns (its learned rules).'
        Format         = 'Object (default) writes QueryPlan objects. Json writes one string: a JSON array of every plan, camelCase, durations as numbers of milliseconds (totalTimeMs, sendTimeMs, responseTimeMs), enums as names; the shape a program can rely on (ConvertTo-Json of the objects also writes durations only as ...Ms numbers and enums as names, at any -Depth).'
    }
    Outputs     = 'DnsTools.Core.Resolvers.QueryPlan, or a JSON string with -Format Json'
    Examples    = @(
        @{
            Code    = @'
$rc = "nameserver 10.96.0.10`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5" | ConvertFrom-ResolvConf
Get-ResolverQueryPlan -Name elink.spic.com.cn -ResolvConf $rc -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior 'AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN'
'@
            Remarks = 'The incident report: musl sends the three search candidates, then the bare name, re-sends the AAAA after each SERVFAIL and fails with EAI_AGAIN after 5 s; glibc returns the A record after 1.7 s.'
        }
        @{
            Code    = @'
$rc = "nameserver 10.96.0.10`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5" | ConvertFrom-ResolvConf
(Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $rc -ServerBehavior 'AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN').Queries
'@
            Remarks = 'The musl 1.2.3 packet sequence of the incident, query by query: 12 queries on 4 sockets, the bare AAAA sent at 0, 1.7, 2.5, 3.4 and 4.2 s from one source port.'
        }
        @{
            Code    = @'
$rc = "nameserver 10.96.0.10`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5" | ConvertFrom-ResolvConf
'elink.spic.com.cn', 'elink.spic.com.cn.' | Get-ResolverQueryPlan -ResolvConf $rc -Resolver musl-1.2.3, glibc-2.36, go-1.22 -ServerBehavior '*.cluster.local -> NXDOMAIN'
'@
            Remarks = 'Compares the three resolvers with and without a trailing dot: the fully qualified name skips the three search candidates.'
        }
        @{
            Code    = @'
$rc = "nameserver 10.96.0.10`noptions timeout:1 attempts:2" | ConvertFrom-ResolvConf
Get-ResolverQueryPlan api.example.com -ResolvConf $rc -Resolver glibc-2.36 -ServerBehavior 'AAAA * -> drop if parallel' | Select-Object -ExpandProperty Queries
'@
            Remarks = 'A conntrack race that drops the second of two parallel queries: glibc times out, then switches to single-request and sends A and AAAA one after the other.'
        }
        @{
            Code    = @'
$rc = "nameserver 10.96.0.10`nsearch svc.cluster.local`noptions ndots:5" | ConvertFrom-ResolvConf
$plans = Get-ResolverQueryPlan api.example.com -ResolvConf $rc -Resolver musl-1.2.3, glibc-2.36 -Format Json | ConvertFrom-Json
$plans | Select-Object @{ n = 'resolver'; e = { "$($_.resolver.family) $($_.resolver.version)" } }, resultCode, totalTimeMs, queryCount
'@
            Remarks = 'The plans as JSON, read back as a script would: resolver, result code, total time in milliseconds and query count.'
        }
    )
    Links       = @('ConvertFrom-ResolvConf', 'New-PodResolvConf', 'about_DnsTools')
}
