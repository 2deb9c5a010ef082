@{
    Synopsis    = 'Lists the DNS lab servers this session started that are still running.'
    Description = 'Get-DnsLabServer returns the running servers Start-DnsLabServer started in this session, oldest first, so a script (or a user who lost the variable) can find, query and stop them. A stopped server is not listed.'
    Parameters  = @{
        Port = 'Only the servers listening on these ports.'
    }
    Outputs     = 'DnsTools.Core.Lab.DnsLabServer'
    Examples    = @(
        @{ Code = "`$lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'; Get-DnsLabServer; `$lab | Stop-DnsLabServer"; Remarks = 'Lists the running lab servers with their address, rules and query count.' }
        @{ Code = "`$lab = Start-DnsLabServer; Get-DnsLabServer -Port `$lab.EndPoint.Port | Stop-DnsLabServer; @(Get-DnsLabServer -Port `$lab.EndPoint.Port).Count"; Remarks = 'Finds the server on one port and stops it; it is then no longer listed (0).' }
    )
    Links       = @('Start-DnsLabServer', 'Stop-DnsLabServer', 'Get-DnsLabQuery')
}
