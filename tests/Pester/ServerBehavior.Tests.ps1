# Get-DnsServerBehavior: learn a server's behaviour as rules, plan from the rules, replay against the same
# server and compare (Test-PodDnsLatency -Verify). The servers are the lab server and real DNS servers
# from Debian (unbound, knot-resolver, BIND, dnsmasq), each started here on a loopback address and a high
# port with its own configuration in a temporary folder, no system service, stopped by its PID. No query
# leaves loopback (or the test's own network namespace); this machine's resolv.conf is never read.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'Helpers/Requirements.ps1')
    $script:PodConf = "search tke-test.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5"
    $script:Table = [System.Collections.Generic.List[string]]::new()

    # Starts a real server and waits until it accepts TCP on its port; returns the process.
    function Start-RealServer([string] $File, [string[]] $Arguments, [string] $Address, [int] $Port, [string] $LogDir) {
        $p = Start-Process $File -ArgumentList $Arguments -PassThru -RedirectStandardOutput (Join-Path $LogDir "$(Split-Path $File -Leaf).out") -RedirectStandardError (Join-Path $LogDir "$(Split-Path $File -Leaf).err")
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ([DateTime]::UtcNow -lt $deadline) {
            if ($p.HasExited) { throw "$File exited with $($p.ExitCode): $(Get-Content (Join-Path $LogDir "$(Split-Path $File -Leaf).err") -Raw)" }
            $c = [System.Net.Sockets.TcpClient]::new()
            try { if ($c.ConnectAsync($Address, $Port).Wait(200)) { return $p } } catch { } finally { $c.Dispose() }
            Start-Sleep -Milliseconds 100
        }
        Stop-Process -Id $p.Id -ErrorAction SilentlyContinue
        throw "$File did not listen on ${Address}:$Port within 15 s"
    }
    function Stop-RealServer($Process) {
        if ($Process -and -not $Process.HasExited) { Stop-Process -Id $Process.Id -ErrorAction SilentlyContinue; $Process.WaitForExit(5000) | Out-Null }
    }
    function Get-FreePort { Get-Random -Minimum 20000 -Maximum 32000 }

    # Plan vs replay for each resolver; one line per cell in the agreement table.
    function Invoke-Verification([string] $Server, [string] $Scenario, [string] $Name, [string] $Conf, [string[]] $Endpoint, $Behavior, [string[]] $Resolvers = @('musl-1.2.3', 'glibc-2.36', 'go-1.22'), [scriptblock] $BeforeEach) {
        foreach ($r in $Resolvers) {
            if ($BeforeEach) { & $BeforeEach }
            $v = Test-PodDnsLatency -Name $Name -ResolvConf $Conf -Server $Endpoint -Resolver $r -Verify -ServerBehavior $Behavior -WarningAction SilentlyContinue
            $script:Table.Add("| $Server | $Scenario | $r | $($Behavior.Rules -join '; ') | $($v.PlanOutcome) $([int]$v.PlanMs) ms / $($v.ReplayOutcome) $([int]$v.ReplayMs) ms | $(if ($v.Agrees) { 'agree' } else { $v.Differences -join '; ' }) |")
            $v
        }
    }
}

AfterAll {
    if ($script:Table.Count) {
        Write-Host "`n| server | scenario | resolver | learned rules | plan / replay | verdict |`n|---|---|---|---|---|---|"
        $script:Table | ForEach-Object { Write-Host $_ }
    }
}

Describe 'Get-DnsServerBehavior against the lab server' -Tag 'ServerBehavior' {
    BeforeAll {
        $lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 300ms', '*.cluster.local -> NXDOMAIN', 'A big.example -> truncated'
    }
    AfterAll { $lab | Stop-DnsLabServer }

    It 'learns the rules the lab server was started with, with the evidence on each' {
        $b = Get-DnsServerBehavior -Name elink.spic.com.cn, big.example. -ResolvConf $PodConf -Server $lab -Count 2
        $b.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
        $b.Rules | Should -Contain 'A big.example -> truncated'
        $servfail = $b.Rules | Where-Object { $_ -like 'AAAA elink.spic.com.cn -> SERVFAIL after *ms' }
        $servfail | Should -HaveCount 1
        [double]($servfail -replace '.*after (\d+)ms', '$1') | Should -BeGreaterOrEqual 300
        [double]($servfail -replace '.*after (\d+)ms', '$1') | Should -BeLessThan 330
        $b.Rules | Should -HaveCount 3
        ($b.LearnedRules | Where-Object Rule -eq '*.cluster.local -> NXDOMAIN').Observations | Should -HaveCount 6
        ($b.Observations | Where-Object { $_.Name -eq 'big.example.' -and $_.Type -eq 'A' }).TcpResult | Should -Be 'NOERROR'
        # What the lab logged is what was sent: UDP without EDNS, one with EDNS per cell, TCP after TC.
        $log = Get-DnsLabQuery $lab -Clear
        $log.Count | Should -Be $b.QueriesSent
        ($log | Where-Object Edns).Count | Should -Be 10
        ($log | Where-Object Transport -eq 'TCP').Count | Should -Be 1
        ($b | Out-String -Width 120) | Should -Match 'Rules\s+: AAAA elink\.spic\.com\.cn -> SERVFAIL'
    }

    It 'feeds plans, the lab server and the verification' {
        $b = Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $PodConf -Server $lab -Count 1 -NoEdns
        $plans = Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $PodConf -ServerBehavior $b -Resolver musl-1.2.3, glibc-2.36
        ($plans | Where-Object { $_.Resolver.Family -eq 'Musl' }).ResultCode | Should -Be 'EAI_AGAIN'
        ($plans | Where-Object { $_.Resolver.Family -eq 'Glibc' }).TotalTime.TotalMilliseconds | Should -BeGreaterOrEqual 300
        # The learned behaviour replayed by a second lab server, learned again: the same rules.
        $copy = Start-DnsLabServer -Behavior $b
        try {
            $again = (Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $PodConf -Server $copy -Count 1 -NoEdns).Rules
            # The same rules; a delay may grow by the copy's own few milliseconds.
            ($again -replace ' after \d+ms') | Should -Be ($b.Rules -replace ' after \d+ms')
            [double](@($again -match 'after')[0] -replace '.*after (\d+)ms', '$1') - [double](@($b.Rules -match 'after')[0] -replace '.*after (\d+)ms', '$1') | Should -BeLessThan 20
        }
        finally { $copy | Stop-DnsLabServer }
        $checks = Invoke-Verification -Server 'lab' -Scenario 'seed (AAAA SERVFAIL 300 ms)' -Name elink.spic.com.cn -Conf $PodConf -Endpoint "$($lab.EndPoint)" -Behavior $b
        $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
        Get-DnsLabQuery $lab -Clear | Out-Null
    }

    It '-Verify without -ServerBehavior learns from the same server first, and reports a server that changed' {
        $v = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $lab -Resolver glibc-2.36 -Verify
        $v.Agrees | Should -BeTrue
        $v.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
        # Rules that no longer describe the server: the disagreement is named.
        $stale = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $lab -Resolver glibc-2.36 -Verify -ServerBehavior '* -> NXDOMAIN' -WarningAction SilentlyContinue
        $stale.Agrees | Should -BeFalse
        $stale.Differences -join ' ' | Should -Match 'result: plan EAI_NONAME, replay ok'
        Get-DnsLabQuery $lab -Clear | Out-Null
    }

    It 'says which server of several answered what, and the plan over both agrees with the replay' {
        # Two nameservers on two loopback addresses: the first never answers AAAA, the second answers everything.
        $first = Start-DnsLabServer 'AAAA * -> no answer' -Address 127.0.0.1
        $second = Start-DnsLabServer -Address 127.0.0.2 -Port $first.EndPoint.Port
        try {
            $conf = "nameserver 127.0.0.1`nnameserver 127.0.0.2`noptions timeout:1 attempts:1"
            $b = Get-DnsServerBehavior -Name two.example. -Server $first, $second -Count 1 -NoEdns -Timeout 0.5
            $b.Rules | Should -Be @('@127.0.0.1 AAAA two.example -> no answer')
            ($b.Observations | Where-Object { $_.ServerAddress -eq '127.0.0.2' -and $_.Type -eq 'AAAA' }).Rcode | Should -Be 'NOERROR'
            $checks = Invoke-Verification -Server 'lab x2 (127.0.0.1, 127.0.0.2)' -Scenario 'first server drops AAAA' -Name two.example. -Conf $conf -Endpoint @("$($first.EndPoint)", "$($second.EndPoint)") -Behavior $b
            $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
            # musl asks both servers at once; glibc and Go move to the second after the first's timeout.
            ($checks | Where-Object Resolver -eq 'glibc-2.36').ReplayMs | Should -BeGreaterOrEqual 1000
        }
        finally { $first, $second | Stop-DnsLabServer }
    }

    It 'learns "then cached" from a server that caches, writes it as JSON, and the lab server replays it' {
        $caching = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 400ms then cached', '*.cluster.local -> NXDOMAIN'
        try {
            $json = Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $PodConf -Server $caching -Count 3 -NoEdns -Format Json
            $json | Should -BeOfType [string]
            $doc = $json | ConvertFrom-Json
            $rule = @($doc.rules | Where-Object { $_ -like 'AAAA elink.spic.com.cn -> SERVFAIL after *ms then cached' })
            $rule | Should -HaveCount 1
            [double]($rule[0] -replace '.*after (\d+)ms.*', '$1') | Should -BeGreaterOrEqual 400
            $aaaa = $doc.observations | Where-Object { $_.name -eq 'elink.spic.com.cn.' -and $_.type -eq 'AAAA' }
            $aaaa.samples[0].latencyMs | Should -BeGreaterOrEqual 400
            $aaaa.p50Ms | Should -BeLessThan 200
            $aaaa.samples[0].outcome | Should -Be 'ServFail'
        }
        finally { $caching | Stop-DnsLabServer }
        # The learned rules, replayed by a lab server of their own (a cold cache for each lookup), agree with the plans.
        $b = $doc.rules
        foreach ($r in 'musl-1.2.3', 'glibc-2.36', 'go-1.22') {
            $copy = Start-DnsLabServer -Behavior $b
            try {
                $v = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $copy -Resolver $r -Verify -ServerBehavior $b -WarningAction SilentlyContinue
                $script:Table.Add("| lab (then cached) | AAAA SERVFAIL 400 ms, cached | $r | $($b -join '; ') | $($v.PlanOutcome) $([int]$v.PlanMs) ms / $($v.ReplayOutcome) $([int]$v.ReplayMs) ms | $(if ($v.Agrees) { 'agree' } else { $v.Differences -join '; ' }) |")
                $v.Differences | Should -BeNullOrEmpty -Because $r
                $repeats = @(Get-DnsLabQuery $copy | Where-Object { $_.Name -eq 'elink.spic.com.cn.' -and $_.TypeName -eq 'AAAA' } | Select-Object -Skip 1)
                if ($r -ne 'glibc-2.36') { $repeats.Count | Should -BeGreaterThan 0 -Because "$r asks the AAAA again after the SERVFAIL" }
                $repeats | ForEach-Object { ($_.RepliedAt - $_.ReceivedAt).TotalMilliseconds | Should -BeLessThan 100 -Because 'a repeat meets the cache' }
            }
            finally { $copy | Stop-DnsLabServer }
        }
    }

    It 'learns truncation with TCP <Tcp> as "truncated, TCP <Tcp>", and the plans agree with the replay' -ForEach @(
        @{ Tcp = 'refused'; Start = @{ Rule = 'A big.example -> truncated'; NoTcp = $true } }
        @{ Tcp = 'reset'; Start = @{ Rule = 'A big.example -> truncated, TCP reset' } }
        @{ Tcp = 'no answer'; Start = @{ Rule = 'A big.example -> truncated, TCP no answer' } }
    ) {
        $upstream = Start-DnsLabServer @Start
        try {
            $b = Get-DnsServerBehavior -Name big.example. -Server $upstream -Count 1 -NoEdns -Timeout 1
            @($b.Rules -match "^A big\.example -> truncated, TCP $Tcp( after \d+ms)?$") | Should -HaveCount 1
            ($b.Observations | Where-Object Type -eq 'A').Tcp | Should -Not -BeNullOrEmpty
            # glibc's send_vc reads a TCP reply with no timeout (res_send.c): against a silent TCP server it hangs, in the plan and for real.
            $resolvers = if ($Tcp -eq 'no answer') { 'musl-1.2.3', 'musl-1.2.5', 'go-1.22' } else { 'musl-1.2.3', 'musl-1.2.5', 'glibc-2.36', 'go-1.22' }
            foreach ($r in $resolvers) {
                $v = Test-PodDnsLatency -Name big.example. -ResolvConf 'options timeout:1 attempts:1' -Server $upstream -Resolver $r -Verify -ServerBehavior $b -WarningAction SilentlyContinue
                $script:Table.Add("| lab$(if ($Start.NoTcp) { ' -NoTcp' }) | truncates A, TCP $Tcp | $r | $($b.Rules -join '; ') | $($v.PlanOutcome) $([int]$v.PlanMs) ms / $($v.ReplayOutcome) $([int]$v.ReplayMs) ms | $(if ($v.Agrees) { 'agree' } else { $v.Differences -join '; ' }) |")
                $v.Differences | Should -BeNullOrEmpty -Because $r
            }
            # musl 1.2.4+ falls back to TCP after TC (res_msend.c) and fails with it; 1.2.3 takes the truncated UDP answer.
            (Get-ResolverQueryPlan big.example. -ResolvConf 'options timeout:1 attempts:1' -ServerBehavior $b -Resolver musl-1.2.5).Queries.Transport | Should -Contain 'Tcp'
            $glibc = Get-ResolverQueryPlan big.example. -ResolvConf 'options timeout:1 attempts:1' -ServerBehavior $b -Resolver glibc-2.36
            $glibc.Queries.Transport | Should -Contain 'Tcp'
            if ($Tcp -eq 'no answer') { $glibc.ResultCode | Should -Be 'hangs' }
        }
        finally { $upstream | Stop-DnsLabServer }
    }

    It 'asks only the servers it is given' {
        $env:DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF | Should -Be '1'
        { Get-DnsServerBehavior -Name example.com -ErrorAction Stop } | Should -Throw '*never asks a server it was not given*'
        { Get-DnsServerBehavior -Name example.com -ResolvConf 'search corp' -ErrorAction Stop } | Should -Throw '*names no nameserver*'
        { Get-DnsServerBehavior -Name example.com -Server 'kube-dns' -ErrorAction Stop } | Should -Throw "*'kube-dns' is not an IP address*"
        { Get-DnsServerBehavior -Name example.com -Server $lab -ResolvConf $PodConf -Count 100 -MaxQueries 50 -ErrorAction Stop } | Should -Throw '*more than the limit of 50*'
        Get-DnsLabQuery $lab | Should -BeNullOrEmpty
    }

    It 'takes from the pipeline only names, a resolv.conf and lab servers' {
        # A lab server piped in is the server; a ResolvConf piped in is the resolv.conf.
        $b = $lab | Get-DnsServerBehavior -Name elink.spic.com.cn. -Count 1 -NoEdns
        $b.Servers | Should -Be @("$($lab.EndPoint)")
        $b = ConvertFrom-ResolvConf -InputObject $PodConf | Get-DnsServerBehavior -Name elink.spic.com.cn -Server $lab -Count 1 -NoEdns
        $b.Candidates | Should -HaveCount 4
        $b = [pscustomobject]@{ HostName = 'big.example.' } | Get-DnsServerBehavior -Server $lab -Count 1 -NoEdns
        $b.Candidates | Should -Be @('big.example.')
        Get-DnsLabQuery $lab -Clear | Out-Null
        # Anything else is a binding error, and nothing is sent.
        { [pscustomobject]@{ Size = 3 } | Get-DnsServerBehavior -Server $lab -ErrorAction Stop } | Should -Throw
        { 42 | Get-DnsServerBehavior -Server $lab -ErrorAction Stop } | Should -Throw '*Int32*'
        Get-DnsLabQuery $lab | Should -BeNullOrEmpty
    }
}

Describe 'Get-DnsServerBehavior with real DNS servers' -Tag 'ServerBehavior', 'Integration' {
    BeforeAll {
        $script:Dir = Join-Path ([System.IO.Path]::GetTempPath()) "dnstools-server-behavior-$PID"
        New-Item -ItemType Directory -Path $Dir -Force | Out-Null
    }
    AfterAll { Remove-Item $Dir -Recurse -Force -ErrorAction SilentlyContinue }

    Context 'unbound as the cluster DNS, forwarding to a lab upstream' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'unbound', 'unbound-control'
            if (-not $skip) {
                $upstream = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN', 'A big.example -> truncated'
                # Two unbounds: one as Debian ships it, one tuned as a cluster DNS that passes an upstream
                # SERVFAIL on (no re-sends while the upstream thinks, no retry after its SERVFAIL).
                $servers = @{}
                foreach ($kind in 'default', 'passthrough') {
                    $port = Get-FreePort
                    $d = New-Item -ItemType Directory -Path (Join-Path $Dir "unbound-$kind") -Force
                    $tuning = if ($kind -eq 'passthrough') { "  infra-cache-min-rtt: 3000`n  outbound-msg-retry: 0" } else { '' }
                    @"
server:
  interface: 127.0.0.53@$port
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: "$d/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
$tuning
remote-control:
  control-enable: yes
  control-interface: "$d/control.sock"
  control-use-cert: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$($upstream.EndPoint.Port)
"@ | Set-Content (Join-Path $d 'unbound.conf')
                    $servers[$kind] = @{
                        Endpoint = "127.0.0.53:$port"; Conf = (Join-Path $d 'unbound.conf')
                        Process  = Start-RealServer unbound @('-d', '-c', (Join-Path $d 'unbound.conf')) '127.0.0.53' $port $d
                    }
                }
            }
        }
        AfterAll {
            if ($servers) { $servers.Values | ForEach-Object { Stop-RealServer $_.Process } }
            if ($upstream) { $upstream | Stop-DnsLabServer }
        }

        It 'the seed scenario end to end: discovered, planned (musl ~5 s EAI_AGAIN, glibc ~1.7 s), replayed' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $ub = $servers['passthrough']
            # unbound keeps a SERVFAIL for NORR_TTL = 5 s (util/data/msgparse.h): start on a cold cache.
            $flush = { & unbound-control -c $ub.Conf flush_negative | Out-Null; & unbound-control -c $ub.Conf flush_infra all | Out-Null }
            & $flush
            # Three samples: the first waits for the upstream's 1.7 s, the later ones meet unbound's cached SERVFAIL.
            $b = Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $PodConf -Server $ub.Endpoint -Count 3
            $b.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
            $rule = $b.Rules | Where-Object { $_ -like 'AAAA elink.spic.com.cn -> SERVFAIL after *ms then cached' }
            $rule | Should -HaveCount 1
            [double]($rule -replace '.*after (\d+)ms.*', '$1') | Should -BeGreaterOrEqual 1700
            [double]($rule -replace '.*after (\d+)ms.*', '$1') | Should -BeLessThan 1870
            $plans = Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $PodConf -ServerBehavior $b -Resolver musl-1.2.3, glibc-2.36
            $musl = $plans | Where-Object { $_.Resolver.Family -eq 'Musl' }
            $glibc = $plans | Where-Object { $_.Resolver.Family -eq 'Glibc' }
            $musl.ResultCode | Should -Be 'EAI_AGAIN'
            $musl.TotalTime.TotalSeconds | Should -BeGreaterOrEqual 4.9
            $glibc.ResultCode | Should -Be 'ok'
            $glibc.TotalTime.TotalMilliseconds | Should -BeGreaterOrEqual 1700
            $glibc.TotalTime.TotalMilliseconds | Should -BeLessThan 1900
            # Each replay starts on a cold cache, as each plan does.
            $checks = Invoke-Verification -Server 'unbound 1.17 (passthrough)' -Scenario 'seed: AAAA SERVFAIL 1.7 s upstream' -Name elink.spic.com.cn -Conf $PodConf -Endpoint $ub.Endpoint -Behavior $b -BeforeEach $flush
            # musl re-sends AAAA at once after a SERVFAIL (res_msend.c) and Go asks AAAA again (its attempts):
            # those repeats meet unbound's cached SERVFAIL, answered at once, in the plan as in the replay.
            $musl = $checks | Where-Object Resolver -eq 'musl-1.2.3'
            $repeats = @($musl.Lookup.Queries | Where-Object { $_.Type -eq 'AAAA' -and $_.Name -eq 'elink.spic.com.cn.' } | Select-Object -Skip 1)
            ($repeats | Where-Object { $_.Rcode -eq 'ServFail' -and $_.Latency.TotalMilliseconds -lt 50 }) | Should -Not -BeNullOrEmpty
            foreach ($v in $checks) { $v.Differences | Should -BeNullOrEmpty -Because $v.Resolver }
        }

        It 'unbound as Debian ships it retries the SERVFAILing upstream and does not answer within 3 s: learned as no answer' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $b = Get-DnsServerBehavior -Name elink.spic.com.cn. -Server $servers['default'].Endpoint -Count 1 -NoEdns -Timeout 3
            $b.Rules | Should -Contain 'AAAA elink.spic.com.cn -> no answer'
            ($b.Observations | Where-Object Type -eq 'AAAA').Samples[0].Error | Should -BeLike 'no reply within 3000 ms'
            $script:Table.Add("| unbound 1.17 (Debian defaults) | upstream AAAA SERVFAIL 1.7 s | - | $($b.Rules -join '; ') | (not replayed: unbound re-sends to the upstream for 10+ s) | - |")
        }

        It 'hides an upstream''s truncation: it asks the upstream over TCP and answers over UDP' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            # Three samples: the first waits for unbound's own TCP exchange with the upstream, the rest come from its cache.
            $b = Get-DnsServerBehavior -Name big.example. -Server $servers['passthrough'].Endpoint -Count 3
            $b.Rules | Should -BeNullOrEmpty
            ($b.Observations | Where-Object Type -eq 'A').Rcode | Should -Be 'NOERROR'
            ($b.Observations | Where-Object Type -eq 'A').Truncated | Should -BeFalse
            (Get-DnsLabQuery $upstream | Where-Object { $_.Name -eq 'big.example.' -and $_.Transport -eq 'TCP' }) | Should -Not -BeNullOrEmpty
            $checks = Invoke-Verification -Server 'unbound 1.17 (passthrough)' -Scenario 'upstream truncates A' -Name big.example. -Conf 'options timeout:1' -Endpoint $servers['passthrough'].Endpoint -Behavior $b
            $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
        }
    }

    Context 'knot-resolver as the cluster DNS, forwarding to a lab upstream' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'kresd'
            if (-not $skip) {
                $upstream = Start-DnsLabServer 'AAAA * -> NODATA after 250ms', '*.cluster.local -> NXDOMAIN', 'A big.example -> truncated'
                $port = Get-FreePort
                $d = New-Item -ItemType Directory -Path (Join-Path $Dir 'kresd') -Force
                @"
net.listen('127.0.0.54', $port, { kind = 'dns' })
modules.unload('ta_update')
modules.unload('ta_signal_query')
modules.unload('priming')
modules.unload('detect_time_skew')
trust_anchors.remove('.')
cache.open(10 * MB, 'lmdb://$d/cache')
policy.add(policy.all(policy.FORWARD({'127.0.0.1@$($upstream.EndPoint.Port)'})))
"@ | Set-Content (Join-Path $d 'kresd.conf')
                $kresd = Start-RealServer kresd @('-n', '-c', (Join-Path $d 'kresd.conf'), "$d") '127.0.0.54' $port $d
                $endpoint = "127.0.0.54:$port"
                # kresd's control socket (rundir/control/PID): cache.clear() empties its cache, so a replay starts cold.
                $control = Join-Path $d "control/$($kresd.Id)"
                $clearCache = {
                    $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
                    try {
                        $socket.ReceiveTimeout = 2000
                        $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($control))
                        $null = $socket.Send([Text.Encoding]::ASCII.GetBytes("cache.clear()`n"))
                        $null = $socket.Receive([byte[]]::new(4096))
                    } finally { $socket.Dispose() }
                }
            }
        }
        AfterAll {
            Stop-RealServer $kresd
            if ($upstream) { $upstream | Stop-DnsLabServer }
        }

        It 'learns a slow NODATA for AAAA and NXDOMAIN for the search domains; plan and replay agree' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $conf = "$PodConf timeout:1"
            & $clearCache
            $b = Get-DnsServerBehavior -Name db.example -ResolvConf $conf -Server $endpoint -Count 3 -NoEdns
            $b.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
            # kresd caches the NODATA: the first query waits for the upstream's 250 ms, the later ones do
            # not; the rule takes the first delay and says "then cached".
            $aaaa = $b.Observations | Where-Object { $_.Name -eq 'db.example.' -and $_.Type -eq 'AAAA' }
            $aaaa.Rcode | Should -Be 'NOERROR'
            $aaaa.AnswerCount | Should -Be 0
            $aaaa.Samples[0].Latency.TotalMilliseconds | Should -BeGreaterOrEqual 250
            $aaaa.P50.TotalMilliseconds | Should -BeLessThan 50
            $rule = $b.Rules | Where-Object { $_ -like 'AAAA db.example -> NODATA after *ms then cached' }
            $rule | Should -HaveCount 1
            [double]($rule -replace '.*after (\d+)ms.*', '$1') | Should -BeGreaterOrEqual 250
            [double]($rule -replace '.*after (\d+)ms.*', '$1') | Should -BeLessThan 350
            $b.Notes -join ' ' | Should -Match 'AAAA db\.example\.: .*the first reply took 2\d\d ms.*a cache in the server'
            $checks = Invoke-Verification -Server 'knot-resolver 5' -Scenario 'upstream AAAA NODATA 250 ms (cached)' -Name db.example -Conf $conf -Endpoint $endpoint -Behavior $b -BeforeEach $clearCache
            $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
        }

        It 'hides an upstream''s truncation too' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $b = Get-DnsServerBehavior -Name big.example. -Server $endpoint -Count 1 -NoEdns
            ($b.Observations | Where-Object Type -eq 'A').Rcode | Should -Be 'NOERROR'
            ($b.Observations | Where-Object Type -eq 'A').Truncated | Should -BeFalse
        }
    }

    Context 'unbound and knot-resolver in front of an upstream that drops AAAA and serves no TCP' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'unbound', 'kresd'
            if (-not $skip) {
                $upstream = Start-DnsLabServer 'AAAA slow.example -> no answer', 'A big.example -> truncated' -NoTcp
                $d = New-Item -ItemType Directory -Path (Join-Path $Dir 'no-tcp') -Force
                $uport = Get-FreePort
                $kport = $uport + 1
                @"
server:
  interface: 127.0.0.53@$uport
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  use-syslog: no
  verbosity: 0
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  infra-cache-min-rtt: 3000
  outbound-msg-retry: 0
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$($upstream.EndPoint.Port)
"@ | Set-Content (Join-Path $d 'unbound.conf')
                @"
net.listen('127.0.0.54', $kport, { kind = 'dns' })
modules.unload('ta_update')
modules.unload('ta_signal_query')
modules.unload('priming')
modules.unload('detect_time_skew')
trust_anchors.remove('.')
cache.open(10 * MB, 'lmdb://$d/cache')
policy.add(policy.all(policy.FORWARD({'127.0.0.1@$($upstream.EndPoint.Port)'})))
"@ | Set-Content (Join-Path $d 'kresd.conf')
                $unbound = Start-RealServer unbound @('-d', '-c', (Join-Path $d 'unbound.conf')) '127.0.0.53' $uport $d
                $kresd = Start-RealServer kresd @('-n', '-c', (Join-Path $d 'kresd.conf'), "$d") '127.0.0.54' $kport $d
            }
        }
        AfterAll {
            Stop-RealServer $unbound
            Stop-RealServer $kresd
            if ($upstream) { $upstream | Stop-DnsLabServer }
        }

        It '<_> answers SERVFAIL when the upstream truncates and refuses TCP; plan and replay agree' -ForEach 'unbound', 'kresd' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $endpoint = if ($_ -eq 'unbound') { "127.0.0.53:$uport" } else { "127.0.0.54:$kport" }
            $b = Get-DnsServerBehavior -Name big.example. -Server $endpoint -Count 2 -NoEdns
            # unbound: A only (AAAA is answered); knot-resolver: A and AAAA alike (it marks the upstream bad).
            @($b.Rules -match '^(A )?big\.example -> SERVFAIL$') | Should -HaveCount 1
            ($b.Observations | Where-Object Type -eq 'A').Truncated | Should -BeFalse
            if ($_ -eq 'kresd') {
                # knot-resolver marks the upstream bad after the refused TCP and SERVFAILs AAAA too for a while: a
                # state that comes and goes, which a replay moments later may or may not meet. Learned, not replayed.
                $script:Table.Add("| knot-resolver 5 | upstream truncates A, refuses TCP | - | $($b.Rules -join '; ') | (not replayed: the upstream's 'bad' mark comes and goes) | - |")
                return
            }
            $checks = Invoke-Verification -Server 'unbound 1.17 (passthrough)' -Scenario 'upstream truncates A, refuses TCP' -Name big.example. -Conf 'options timeout:1 attempts:1' -Endpoint $endpoint -Behavior $b
            $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
        }

        It 'unbound gives no answer in 2 s when the upstream drops AAAA' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $b = Get-DnsServerBehavior -Name slow.example. -Server "127.0.0.53:$uport" -Count 1 -NoEdns -Timeout 2
            $b.Rules | Should -Be @('AAAA slow.example -> no answer')
            $script:Table.Add("| unbound 1.17 (passthrough) | upstream drops AAAA | - | $($b.Rules -join '; ') | (not replayed: unbound keeps re-sending for 12+ s) | - |")
        }

        It 'knot-resolver answers SERVFAIL after about 4 s when the upstream drops AAAA' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $b = Get-DnsServerBehavior -Name slow.example. -Server "127.0.0.54:$kport" -Count 1 -NoEdns -Timeout 6
            $rule = $b.Rules | Where-Object { $_ -like 'AAAA slow.example -> SERVFAIL after *ms' }
            $rule | Should -HaveCount 1
            [double]($rule -replace '.*after (\d+)ms', '$1') | Should -BeGreaterOrEqual 3000
            [double]($rule -replace '.*after (\d+)ms', '$1') | Should -BeLessThan 6000
            # kresd randomises the case of the name it forwards (0x20); the upstream logs what arrived.
            $cases = @(Get-DnsLabQuery $upstream | Where-Object { $_.Name -eq 'slow.example.' } | ForEach-Object Name | Sort-Object -Unique -CaseSensitive)
            $script:Table.Add("| knot-resolver 5 | upstream drops AAAA | - | $($b.Rules -join '; ') | (not replayed: later queries meet a cached SERVFAIL) | upstream saw $($cases -join ', ') |")
        }
    }

    Context 'BIND as an authoritative server' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'named'
            if (-not $skip) {
                $port = Get-FreePort
                $d = New-Item -ItemType Directory -Path (Join-Path $Dir 'named') -Force
                @"
options {
  directory "$d";
  pid-file "$d/named.pid";
  listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
zone "example.test" { type primary; file "$d/example.test.zone"; };
"@ | Set-Content (Join-Path $d 'named.conf')
                @'
$TTL 30
@   IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 30
@   IN NS  ns.example.test.
ns  IN A   192.0.2.53
api IN A   192.0.2.10
'@ | Set-Content (Join-Path $d 'example.test.zone')
                # named listens only on addresses an interface has (127.0.0.1 on lo), unlike the others.
                $named = Start-RealServer named @('-g', '-c', (Join-Path $d 'named.conf'), '-u', (& id -un)) '127.0.0.1' $port $d
                $endpoint = "127.0.0.1:$port"
            }
        }
        AfterAll { Stop-RealServer $named }

        It 'learns NODATA for AAAA of an A-only name, NXDOMAIN inside its zone and REFUSED outside it' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $conf = 'search example.test' + "`n" + 'options ndots:2 timeout:1 attempts:1'
            $b = Get-DnsServerBehavior -Name api, www -ResolvConf $conf -Server $endpoint -Count 2
            $b.Rules | Should -Contain 'AAAA api.example.test -> NODATA'
            $b.Rules | Should -Contain 'www.example.test -> NXDOMAIN'
            ($b.Observations | Where-Object Name -eq 'www.').Rcode | Sort-Object -Unique | Should -Be 'REFUSED'
            foreach ($name in 'api', 'www') {
                $checks = Invoke-Verification -Server 'BIND 9.18 (authoritative)' -Scenario "$name (A-only / missing; REFUSED outside the zone)" -Name $name -Conf $conf -Endpoint $endpoint -Behavior $b
                $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because "$name $($_.Resolver)" }
            }
        }
    }

    Context 'dnsmasq with --address names' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'dnsmasq'
            if (-not $skip) {
                $port = Get-FreePort
                $d = New-Item -ItemType Directory -Path (Join-Path $Dir 'dnsmasq') -Force
                $dnsmasq = Start-RealServer dnsmasq @('--no-daemon', '--no-resolv', '--no-hosts', '--listen-address=127.0.0.56', '--bind-interfaces', "--port=$port",
                    '--address=/api.example/192.0.2.1', '--address=/cluster.local/') '127.0.0.56' $port $d
                $endpoint = "127.0.0.56:$port"
            }
        }
        AfterAll { Stop-RealServer $dnsmasq }

        It 'learns REFUSED for AAAA of an A-only --address name; musl waits it out, glibc and Go return A' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            $conf = "$PodConf timeout:1 attempts:2"
            $b = Get-DnsServerBehavior -Name api.example -ResolvConf $conf -Server $endpoint -Count 2
            $b.Rules | Should -Contain 'AAAA api.example -> REFUSED'
            $b.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
            $b.Rules | Should -HaveCount 2
            $checks = Invoke-Verification -Server 'dnsmasq 2.90' -Scenario 'A-only --address name' -Name api.example -Conf $conf -Endpoint $endpoint -Behavior $b
            $checks | ForEach-Object { $_.Differences | Should -BeNullOrEmpty -Because $_.Resolver }
            ($checks | Where-Object Resolver -eq 'musl-1.2.3').ReplayOutcome | Should -Be 'EAI_AGAIN'
            ($checks | Where-Object Resolver -eq 'glibc-2.36').ReplayOutcome | Should -Be 'ok'
        }
    }

    Context 'latency injected with tc netem in a network namespace of the test' {
        BeforeAll {
            $skip = Get-MissingRequirement -Tools 'unshare', 'tc', 'ip'
            if (-not $skip -and (& id -u) -ne '0') { $skip = 'not root: cannot create a network namespace' }
            if (-not $skip) {
                & unshare -n tc qdisc add dev lo root netem delay 1ms 2>$null
                if ($LASTEXITCODE -ne 0) { $skip = 'tc netem is not available (sch_netem)' }
            }
        }

        It 'learns the injected delay within 10 %' {
            if ($skip) { Set-ItResult -Skipped -Because $skip; return }
            # In a private network namespace (only its own loopback): 40 ms each way on lo, so 80 ms a round trip.
            $script = Join-Path $Dir 'netem.ps1'
            @'
param([string] $Manifest)
$ErrorActionPreference = 'Stop'
& ip link set lo up
& tc qdisc add dev lo root netem delay 40ms
Import-Module $Manifest
$lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
$b = Get-DnsServerBehavior -Name api.example -ResolvConf "search cluster.local`noptions ndots:2" -Server $lab -Count 5 -NoEdns
$lab | Stop-DnsLabServer
$b.Rules | ConvertTo-Json -Compress
'@ | Set-Content $script
            $out = & timeout -k 5 90 unshare -n (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $script -Manifest $env:DNSTOOLS_MODULE_MANIFEST 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "$out"
            $rules = @(($out | Select-Object -Last 1) | ConvertFrom-Json)
            $rules | Should -HaveCount 2
            foreach ($r in $rules) {
                $delay = [double]($r -replace '.*after (\d+)ms$', '$1')
                $delay | Should -BeGreaterOrEqual 72 -Because $r
                $delay | Should -BeLessOrEqual 88 -Because $r
            }
            @($rules | Where-Object { $_ -like 'api.example -> answer after *ms' }) | Should -HaveCount 1
            @($rules | Where-Object { $_ -like '`*.cluster.local -> NXDOMAIN after *ms' }) | Should -HaveCount 1
            $script:Table.Add("| lab server in a netns, netem 40 ms each way | injected latency | - | $($rules -join '; ') | - | learned within 10 % of 80 ms |")
        }
    }
}
