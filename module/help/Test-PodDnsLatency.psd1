@{
    Synopsis    = 'Replays what musl, glibc or Go sends for a name against a real DNS server, times every query and explains the delay.'
    Description = @'
Test-PodDnsLatency runs the same resolver models as Get-ResolverQueryPlan, but on real sockets: the same candidate names in the same order, the same socket sharing (one source port for musl's and glibc's parallel A/AAAA pair, a new socket where single-request-reopen says so, separate sockets for Go), the same retry clock and the same reactions to SERVFAIL, NXDOMAIN and truncation, reacting to what the server actually answers. Each query is written byte for byte as the libc writes it (no EDNS for musl and uClibc-ng; OPT only with edns0 for glibc; always for Go).

Every query is timed with a monotonic clock and returned with its id, source port, server, rcode, answer count and whether it timed out or was answered late. Each lookup is an ObservedLookup with the outcome the libc would return (ok, EAI_AGAIN, ...) and a diagnosis in plain words with codes (DNS001 search-list amplification, DNS002 SERVFAIL re-send storm, DNS003 waiting for SERVFAIL, DNS004 lost query of a same-socket pair, DNS005 slow answers, DNS006 truncation without TCP, DNS007 no usable answer), each with the evidence and the mitigations that apply to that resolver.

With -Count above 1 the output is one summary per resolver and mitigation (p50, p95, p99, max, timeout rate, share of lookups in the 5 s bucket); the lookups are in its Lookups property. -Mitigation runs the same lookup with each change applied, for a side-by-side comparison.

With -Verify each lookup is returned as a BehaviorVerification instead: the plan from the server-behaviour rules set beside the replay, and where they disagree (the server changed, or the rules miss something their grammar cannot say).

Without -ResolvConf the machine's (or pod's) /etc/resolv.conf is used, and said so with -Verbose. Ctrl+C stops at once and returns what was measured.

Scheduling: while a lookup is replayed, its thread runs at the lowest real-time priority (Linux SCHED_FIFO 1) when the process is permitted to (root with CAP_SYS_NICE, e.g. a privileged debug container), so a busy CPU does not delay its queries and reactions by milliseconds where the libc would not be delayed; the thread is put back as it was when the lookup ends, blocks in poll while it waits, and drops to normal for the rest of a lookup that keeps waking without an answer it takes. Each lookup says which was used in its Scheduling property (Realtime or Normal; in JSON "scheduling"); -Verbose says why it was Normal (EPERM without CAP_SYS_NICE, as in a default container; -NoRealtime). A thread already under another policy (chrt) is left as it is.
'@
    Parameters  = @{
        Name       = 'The names to look up, as the application asks for them (without a trailing dot unless the application adds one). Piped names come through -InputObject.'
        InputObject = 'The pipeline: names (strings, or objects with a Name or HostName property), a ResolvConf (used as -ResolvConf) and lab servers from Start-DnsLabServer (used as -Server, so only they are queried). Anything else is a binding error: nothing is looked up by an object''s text.'
        ResolvConf = 'The resolv.conf to replay: a ResolvConf object (New-PodResolvConf, ConvertFrom-ResolvConf), a path or the text. Default: /etc/resolv.conf of this machine or pod.'
        Server     = 'Send to these servers instead of the resolv.conf''s nameservers: host, host:port, [IPv6]:port, or a server from Start-DnsLabServer.'
        Resolver   = 'Which resolvers to replay: musl-1.2.3, glibc-2.36, go-1.22, uclibc-ng-1.0.52 and the other releases Get-ResolverQueryPlan -Resolver accepts (musl 1.1.0-1.2.5, glibc 2.17-2.42, Go 1.13-1.25, uClibc-ng 1.0.0-1.0.52; distribution versions such as musl-1.2.4-r0 are accepted). Default: musl, glibc and Go.'
        Mitigation = 'Changes to compare: None, Ndots1, TrailingDot, SingleRequestReopen, SingleRequest, NoAaaa, UseVc. Default: None.'
        Count      = 'Lookups per resolver and mitigation. Above 1, summaries are returned.'
        Interval   = 'Seconds between repeated lookups. Default: 0.'
        Timeout    = 'Seconds one lookup may take at most before the probe stops it. Default: 60.'
        Format     = 'Object (default) writes ObservedLookup (or, with -Count, DnsProbeSummary) objects. Json writes one string at the end: a JSON array of them (with -Verify, of the BehaviorVerifications), camelCase, durations as numbers of milliseconds (durationMs, sentAtMs, latencyMs, p50Ms, planMs, replayMs...), enums as names; the shape a program can rely on.'
        Verify     = 'Set each replay beside the plan from -ServerBehavior (or, without it, from rules Get-DnsServerBehavior learns from the same servers first, one query per candidate and type) and return a BehaviorVerification per lookup: Agrees, the plan''s and the replay''s outcome, time and queries, and the Differences (query sequence, each reply, result, total time beyond 150 ms or 10 %).'
        ServerBehavior = 'With -Verify: the rules the plan uses, as strings or what Get-DnsServerBehavior returns.'
        NoRealtime = 'Keep the replay at normal scheduling. By default each lookup''s thread runs at the lowest real-time priority (SCHED_FIFO 1) while it replays, when the process is permitted to; use this on a machine where no real-time thread may run, or to measure the probe as an ordinary process would be scheduled.'
    }
    Outputs     = 'DnsTools.Core.Diagnosis.ObservedLookup, DnsTools.Core.Probe.DnsProbeSummary, DnsTools.Core.ServerDiscovery.BehaviorVerification (with -Verify), or a JSON string with -Format Json'
    Examples    = @(
        @{
            Code    = @'
$lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 300ms', '*.cluster.local -> NXDOMAIN'
$rc = New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10
Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $rc -Server $lab -Resolver musl-1.2.3, glibc-2.36 |
    Format-Table ResolverSpec, Outcome, Duration, @{ n = 'Queries'; e = { $_.Queries.Count } }, @{ n = 'Diagnoses'; e = { $_.Diagnoses.Code } }
$lab | Stop-DnsLabServer
'@
            Remarks = 'The incident on a laptop: musl fails after its 5 s timeout with an AAAA re-send storm, glibc returns the A record after the SERVFAIL.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
$rc = New-PodResolvConf -Namespace web -ClusterDns 10.96.0.10
Test-PodDnsLatency -Name api.example.com -ResolvConf $rc -Server $lab -Resolver glibc-2.36 -Mitigation None, Ndots1, TrailingDot -Count 5
$lab | Stop-DnsLabServer
'@
            Remarks = 'Side by side: the search-list amplification of ndots:5, and what ndots:1 or a trailing dot save.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
Test-PodDnsLatency -Name api.example.com. -ResolvConf "nameserver 10.96.0.10" -Server $lab -Resolver musl-1.2.3 -Verbose |
    Format-List ResolverSpec, Outcome, Scheduling
$lab | Stop-DnsLabServer
'@
            Remarks = 'Which scheduling the replay used: Realtime as root (CAP_SYS_NICE), Normal elsewhere; -Verbose says why Normal.'
        }
        @{
            Code    = 'Test-PodDnsLatency -Name kubernetes.default -Verbose'
            Remarks = 'Inside a pod: replays all three resolvers with the pod''s own /etc/resolv.conf against its nameserver.'
            NotRunByTests = 'It uses this machine''s /etc/resolv.conf and nameserver, which the tests must never query.'
        }
    )
    Links       = @('Get-ResolverQueryPlan', 'Start-DnsLabServer', 'Measure-DnsCapture', 'about_DnsTools')
}
