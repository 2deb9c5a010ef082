@{
    Synopsis    = 'Stops DNS lab servers started with Start-DnsLabServer.'
    Description = 'Stop-DnsLabServer closes the server''s sockets and threads. Its query log stays readable with Get-DnsLabQuery. -All stops every lab server this session started. -WhatIf says which servers it would stop; -Confirm asks for each.'
    Parameters  = @{
        Server = 'The servers to stop, from Start-DnsLabServer (pipeline input accepted).'
        All    = 'Stop every lab server this session started.'
        WhatIf  = 'Say which servers would be stopped, without stopping them.'
        Confirm = 'Ask before stopping each server.'
    }
    Outputs     = 'None'
    Examples    = @(
        @{ Code = "`$lab = Start-DnsLabServer; `$lab | Stop-DnsLabServer; `$lab.IsRunning"; Remarks = 'Stops one server; IsRunning is then False.' }
        @{ Code = "Start-DnsLabServer | Out-Null; Stop-DnsLabServer -All -Verbose"; Remarks = 'Stops every lab server of this session.' }
    )
    Links       = @('Start-DnsLabServer', 'Get-DnsLabServer', 'Get-DnsLabQuery')
}
