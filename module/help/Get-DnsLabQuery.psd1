@{
    Synopsis    = 'Lists the queries a DNS lab server received and what it answered when.'
    Description = 'Get-DnsLabQuery returns one record per query: arrival time on the server''s monotonic clock, client address and port, transport, id, name, type, EDNS and flags, and the action (answered with rcode and answer count, truncated, or dropped) with the reply time. -Clear forgets the returned records, so the next call shows only new queries.'
    Parameters  = @{
        Server = 'The lab servers to read, from Start-DnsLabServer.'
        Clear  = 'Forget the returned queries afterwards.'
    }
    Outputs     = 'DnsTools.Core.Lab.DnsLabQueryRecord'
    Examples    = @(
        @{
            Code    = @'
$lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
Test-PodDnsLatency -Name api.example -ResolvConf 'search ns.svc.cluster.local svc.cluster.local cluster.local' -Server $lab -Resolver glibc-2.36 | Out-Null
Get-DnsLabQuery $lab -Clear
$lab | Stop-DnsLabServer
'@
            Remarks = 'The search candidates glibc sent, A and AAAA from one source port each.'
        }
        @{
            Code    = @'
$lab = Start-DnsLabServer
Test-PodDnsLatency -Name api.example. -ResolvConf 'options timeout:1' -Server $lab -Resolver go-1.22 | Out-Null
Get-DnsLabQuery $lab | Group-Object { $_.Client.Port } | Select-Object Count, Name
$lab | Stop-DnsLabServer
'@
            Remarks = 'Go sends A and AAAA from different source ports.'
        }
    )
    Links       = @('Start-DnsLabServer', 'Test-PodDnsLatency')
}
