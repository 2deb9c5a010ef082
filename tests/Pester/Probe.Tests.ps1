BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $podConf = "search tke-test.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5 timeout:1 attempts:2"
}

Describe 'Test-PodDnsLatency against the lab server' {
    BeforeAll {
        $lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 150ms', '*.cluster.local -> NXDOMAIN'
    }
    AfterAll { $lab | Stop-DnsLabServer }

    It 'replays musl and glibc: musl fails with a re-send storm, glibc returns A' {
        $results = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $podConf -Server $lab -Resolver musl-1.2.3, glibc-2.36
        $musl = $results | Where-Object ResolverSpec -eq 'musl-1.2.3'
        $glibc = $results | Where-Object ResolverSpec -eq 'glibc-2.36'
        $musl.Outcome | Should -Be 'EAI_AGAIN'
        $musl.Duration.TotalMilliseconds | Should -BeGreaterOrEqual 990
        $musl.Diagnoses.Code | Should -Contain 'DNS002'
        ($musl.Queries | Where-Object Reason -eq 'ResendAfterServfail').Count | Should -BeGreaterThan 0
        $glibc.Outcome | Should -Be 'ok'
        $glibc.Duration.TotalMilliseconds | Should -BeGreaterOrEqual 140
        $glibc.Duration.TotalMilliseconds | Should -BeLessThan 900
        $glibc.Diagnoses.Code | Should -Contain 'DNS003'
        # What the server logged is what the probe says it sent.
        $logged = Get-DnsLabQuery $lab -Clear
        $logged.Count | Should -Be ($musl.Queries.Count + $glibc.Queries.Count)
    }

    It 'compares mitigations with -Count as summaries' {
        $summaries = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $podConf -Server $lab -Resolver glibc-2.36 -Mitigation None, Ndots1, NoAaaa -Count 3
        $summaries.Count | Should -Be 3
        ($summaries | Where-Object Mitigation -eq 'None').Lookups[0].Queries.Count | Should -Be 8
        ($summaries | Where-Object Mitigation -eq 'Ndots1').Lookups[0].Queries.Count | Should -Be 2
        ($summaries | Where-Object Mitigation -eq 'NoAaaa').P50.TotalMilliseconds | Should -BeLessThan 100
        ($summaries | Where-Object Mitigation -eq 'None').P50.TotalMilliseconds | Should -BeGreaterOrEqual 140
        $table = $summaries | Format-Table | Out-String -Width 200
        $table | Should -Match 'Resolver: glibc-2\.36  elink\.spic\.com\.cn'
        $table | Should -Match 'NoAaaa\s+3/3'
        Get-DnsLabQuery $lab -Clear | Out-Null
    }

    It 'shows a lookup with its queries and diagnosis' {
        $lookup = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $podConf -Server $lab -Resolver musl-1.2.3
        $text = $lookup | Out-String -Width 200
        $text | Should -Match 'Resolver\s*:\s*musl-1\.2\.3'
        $text | Should -Match 'DNS002'
        ($lookup.Queries | Format-Table | Out-String -Width 200) | Should -Match 'ResendAfterServfail'
        Get-DnsLabQuery $lab -Clear | Out-Null
    }
}

# Real-time scheduling of the replay thread (ReplayScheduling.cs): as root it is SCHED_FIFO while a lookup replays and
# back to normal after; without CAP_SYS_NICE (dropped from the bounding set of a child pwsh, as in a default
# container) the same lookup runs at normal scheduling, says why with -Verbose, and still works.
Describe 'Test-PodDnsLatency real-time scheduling' -Tag 'ProbeScheduling' {
    BeforeAll {
        $lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
        # The scheduling policy of every thread of this process (field 41 of /proc/self/task/TID/stat, proc(5)).
        function script:Get-ThreadPolicy {
            foreach ($stat in Get-ChildItem /proc/self/task -Directory) {
                $text = Get-Content (Join-Path $stat.FullName 'stat') -Raw -ErrorAction SilentlyContinue
                if ($text) { [int]($text.Substring($text.LastIndexOf(')') + 2).Split(' ')[41 - 3]) }
            }
        }
        & chrt -f 1 true 2>$null
        $script:RealtimeSkip = if ($LASTEXITCODE -ne 0) { 'this process may not use real-time scheduling (chrt -f 1 fails: no CAP_SYS_NICE)' }
        $script:DropTool = if (Get-Command capsh -CommandType Application -ErrorAction SilentlyContinue) { 'capsh' }
        elseif (Get-Command setpriv -CommandType Application -ErrorAction SilentlyContinue) { 'setpriv' }
    }
    AfterAll { $lab | Stop-DnsLabServer }

    It 'replays at real-time priority as root, says so in the object and the JSON, and leaves no thread real-time' {
        if ($RealtimeSkip) { Set-ItResult -Skipped -Because $RealtimeSkip; return }
        $r = Test-PodDnsLatency -Name api.example.com. -ResolvConf 'nameserver 10.96.0.10' -Server $lab -Resolver musl-1.2.3, glibc-2.36, go-1.22
        $r | Should -HaveCount 3
        $r | ForEach-Object { $_.Scheduling | Should -Be 'Realtime'; $_.Outcome | Should -Be 'ok' }
        @(Get-ThreadPolicy | Where-Object { $_ -ne 0 }) | Should -HaveCount 0 -Because 'every thread is back to SCHED_OTHER (0)'
        $json = Test-PodDnsLatency -Name api.example.com. -ResolvConf 'nameserver 10.96.0.10' -Server $lab -Resolver glibc-2.36 -Format Json | ConvertFrom-Json
        $json[0].scheduling | Should -Be 'Realtime'
        $off = Test-PodDnsLatency -Name api.example.com. -ResolvConf 'nameserver 10.96.0.10' -Server $lab -Resolver glibc-2.36 -NoRealtime -Verbose 4>&1
        ($off | Where-Object { $_ -is [DnsTools.Core.Diagnosis.ObservedLookup] }).Scheduling | Should -Be 'Normal'
        ($off | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'Scheduling normal: real-time scheduling was turned off (-NoRealtime / --no-realtime)'
        Get-DnsLabQuery $lab -Clear | Out-Null
    }

    It 'without CAP_SYS_NICE replays at normal scheduling, says why with -Verbose, and still works' {
        if (-not $DropTool) { Set-ItResult -Skipped -Because 'neither capsh (libcap2-bin) nor setpriv (util-linux) is installed'; return }
        if ($env:USER -ne 'root' -and (& id -u) -ne '0') { Set-ItResult -Skipped -Because 'dropping a capability from the bounding set needs root'; return }
        $script = @"
Import-Module '$env:DNSTOOLS_MODULE_MANIFEST'
Test-PodDnsLatency -Name api.example.com. -ResolvConf 'nameserver 10.96.0.10' -Server '$($lab.EndPoint)' -Resolver musl-1.2.3, glibc-2.36 -Verbose 4>&1 | ForEach-Object {
    if (`$_ -is [System.Management.Automation.VerboseRecord]) { 'VERBOSE ' + `$_.Message } else { 'LOOKUP {0} {1} {2} {3}' -f `$_.ResolverSpec, `$_.Scheduling, `$_.Outcome, `$_.Queries.Count }
}
"@
        $pwsh = Join-Path $PSHOME 'pwsh'
        $out = if ($DropTool -eq 'capsh') { & capsh --drop=cap_sys_nice -- -c '"$0" "$@"' $pwsh -NoProfile -NonInteractive -Command $script }
        else { & setpriv --bounding-set -sys_nice -- $pwsh -NoProfile -NonInteractive -Command $script }
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'LOOKUP musl-1.2.3 Normal ok 2'
        $out | Should -Contain 'LOOKUP glibc-2.36 Normal ok 2'
        @($out -match '^VERBOSE Scheduling normal: not permitted to use real-time scheduling \(sched_setscheduler: EPERM') | Should -HaveCount 1 -Because 'the reason is said once'
        (Get-DnsLabQuery $lab -Clear).Count | Should -Be 4
    }
}

Describe 'Test-PodDnsLatency refuses what it must not do' {
    It 'never reads this machine''s resolv.conf under the test runner' {
        $env:DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF | Should -Be '1'
        { Test-PodDnsLatency -Name example.com -ErrorAction Stop } | Should -Throw '*forbids reading /etc/resolv.conf*'
    }

    It 'names a bad server and an unknown resolver' {
        { Test-PodDnsLatency -Name a.example -ResolvConf 'nameserver 127.0.0.1' -Server 'kube-dns.kube-system' } | Should -Throw "*'kube-dns.kube-system' is not an IP address*"
        { Test-PodDnsLatency -Name a.example -ResolvConf 'nameserver 127.0.0.1' -Resolver 'uclibc-1.0' } | Should -Throw '*uclibc*'
    }

    It 'ends an unanswered lookup at the resolver''s timeout' {
        $silent = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
        try {
            $r = Test-PodDnsLatency -Name api.example. -ResolvConf 'options timeout:1 attempts:1' -Server "127.0.0.1:$($silent.Client.LocalEndPoint.Port)" -Resolver musl-1.2.3
            $r.Outcome | Should -Be 'EAI_AGAIN'
            $r.Diagnoses.Code | Should -Contain 'DNS007'
            $r.Duration.TotalSeconds | Should -BeLessThan 1.5
        }
        finally { $silent.Dispose() }
    }
}

Describe 'Test-PodDnsLatency against a real dnsmasq' -Tag 'Integration' {
    BeforeAll {
        $skip = $null
        if ($env:DNSTOOLS_APT_UNAVAILABLE) { $skip = $env:DNSTOOLS_APT_UNAVAILABLE }
        elseif (-not (Get-Command dnsmasq -ErrorAction SilentlyContinue)) { $skip = 'dnsmasq is not installed' }
        if (-not $skip) {
            # A black hole for slow.example: a socket that never answers; dnsmasq forwards there and waits.
            $hole = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
            $port = Get-Random -Minimum 20000 -Maximum 60000
            $dnsmasq = Start-Process dnsmasq -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'dnsmasq.out') -RedirectStandardError (Join-Path $TestDrive 'dnsmasq.err') -ArgumentList @(
                '--no-daemon', '--no-resolv', '--no-hosts', '--listen-address=127.0.0.1', '--bind-interfaces', "--port=$port",
                '--address=/api.example/192.0.2.1', '--address=/cluster.local/', "--server=/slow.example/127.0.0.1#$($hole.Client.LocalEndPoint.Port)")
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ([DateTime]::UtcNow -lt $deadline -and -not ((Get-Content (Join-Path $TestDrive 'dnsmasq.err') -Raw -ErrorAction SilentlyContinue) -match 'started')) { Start-Sleep -Milliseconds 50 }
        }
    }
    AfterAll {
        if ($dnsmasq) { Stop-Process -Id $dnsmasq.Id -ErrorAction SilentlyContinue; $dnsmasq.WaitForExit(5000) | Out-Null }
        if ($hole) { $hole.Dispose() }
    }

    It '<_> sends what its plan says for dnsmasq''s answers' -ForEach 'musl-1.2.3', 'glibc-2.36' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $lookup = Test-PodDnsLatency -Name api.example -ResolvConf $podConf -Server "127.0.0.1:$port" -Resolver $_
        # dnsmasq 2.90 without an upstream answers AAAA for an A-only --address name with REFUSED (checked with dig):
        # musl ignores REFUSED and waits out its timeout; glibc returns the A record.
        $plan = Get-ResolverQueryPlan -Name api.example -ResolvConf $podConf -Resolver $_ -ServerBehavior '*.cluster.local -> NXDOMAIN', 'AAAA api.example -> REFUSED'
        ($lookup.Queries | ForEach-Object { "$($_.Type) $($_.Name)" }) | Should -Be ($plan.Queries | ForEach-Object { "$($_.Type) $($_.Name)" })
        ($lookup.Queries | Where-Object Rcode -eq 'NxDomain').Count | Should -Be 6
        $lookup.Outcome | Should -Be $plan.ResultCode
        $lookup.Outcome | Should -Be $(if ($_ -like 'musl*') { 'EAI_AGAIN' } else { 'ok' })
        [math]::Abs($lookup.Duration.TotalMilliseconds - $plan.TotalTime.TotalMilliseconds) | Should -BeLessThan 150
        $lookup.Diagnoses.Code | Should -Contain 'DNS001'
    }

    It 'times out like the plan when dnsmasq''s upstream never answers' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $lookup = Test-PodDnsLatency -Name slow.example. -ResolvConf $podConf -Server "127.0.0.1:$port" -Resolver glibc-2.36
        $plan = Get-ResolverQueryPlan -Name slow.example. -ResolvConf $podConf -Resolver glibc-2.36 -ServerBehavior '* -> no answer'
        $lookup.Outcome | Should -Be 'EAI_AGAIN'
        $lookup.Queries.Count | Should -Be $plan.Queries.Count
        [math]::Abs($lookup.Duration.TotalMilliseconds - $plan.TotalTime.TotalMilliseconds) | Should -BeLessThan 150
    }
}
