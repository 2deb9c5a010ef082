# dnstools-probe: the NativeAOT binary and its image, built by build.ps1 (Invoke-ProbeBuild) before the run
# (DNSTOOLS_PROBE_BINARY, DNSTOOLS_PROBE_IMAGE; DNSTOOLS_PROBE_UNAVAILABLE says why not). Every query goes to
# a lab server on loopback, or inside a podman pod whose network namespace has only its loopback.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $script:Probe = $env:DNSTOOLS_PROBE_BINARY
    $script:ProbeSkip = if ($env:DNSTOOLS_PROBE_UNAVAILABLE) { "dnstools-probe was not built: $env:DNSTOOLS_PROBE_UNAVAILABLE" }
    elseif (-not $Probe -or -not (Test-Path $Probe)) { 'dnstools-probe was not built (DNSTOOLS_PROBE_BINARY)' }
    $script:Rules = 'AAAA elink.spic.com.cn -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN'
    $script:PodConf = Join-Path $TestDrive 'pod-resolv.conf'
    "nameserver 127.0.0.1`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5`n" | Set-Content -NoNewline $PodConf

    # Runs the binary; stdout lines, stderr text and the exit code.
    function script:Invoke-Probe([string[]] $Arguments) {
        $err = Join-Path $TestDrive "stderr-$([guid]::NewGuid()).txt"
        $out = & $Probe @Arguments 2>$err
        [pscustomobject]@{ Out = @($out); Err = (Get-Content $err -Raw) ?? ''; Code = $LASTEXITCODE }
    }

    # The binary's own lab mode on a free loopback port: the process and its endpoint.
    function script:Start-ProbeLab([string[]] $Rule) {
        $err = Join-Path $TestDrive "lab-$([guid]::NewGuid()).err"
        $labArgs = @('lab', '--listen', '127.0.0.1:0') + @($Rule | ForEach-Object { '--rule', $_ })
        $p = Start-Process -FilePath $Probe -ArgumentList ($labArgs | ForEach-Object { "`"$_`"" }) -PassThru -RedirectStandardError $err
        for ($i = 0; $i -lt 100; $i++) {
            if ((Test-Path $err) -and (Get-Content $err -Raw) -match 'listening on (\S+)') { return [pscustomobject]@{ Process = $p; EndPoint = $Matches[1] } }
            if ($p.HasExited) { throw "dnstools-probe lab exited with $($p.ExitCode): $(Get-Content $err -Raw)" }
            Start-Sleep -Milliseconds 50
        }
        Stop-Process -Id $p.Id -Force
        throw 'dnstools-probe lab did not listen within 5 s'
    }
    # The incident report's table, as the recipe's probe prints it from inside a pod or container: musl ~5 s EAI_AGAIN,
    # glibc ~1.7 s, glibc with no-aaaa at once; the queries went to the namespace's nameserver through its search list.
    function script:Assert-IncidentTable([string[]] $Lines, [string] $Where) {
        $rows = $Lines | Import-DnsProbeResult
        $rows | Should -HaveCount 4
        $table = $rows | ForEach-Object { '{0,-11} {1,-7} {2,-10} {3,7:0.000} s' -f $_.ResolverSpec, $_.Mitigation, $_.Outcome, ($_.DurationMs / 1000) }
        Write-Host ("In ${Where}:`n" + ($table -join "`n"))
        $musl = $rows | Where-Object { $_.ResolverSpec -eq 'musl-1.2.3' -and $_.Mitigation -eq 'None' }
        $musl.Outcome | Should -Be 'EAI_AGAIN'
        $musl.DurationMs / 1000 | Should -BeGreaterOrEqual 4.9
        $musl.DurationMs / 1000 | Should -BeLessThan 5.6
        $musl.Diagnoses.Code | Should -Contain 'DNS002'
        $glibc = $rows | Where-Object { $_.ResolverSpec -eq 'glibc-2.36' -and $_.Mitigation -eq 'None' }
        $glibc.Outcome | Should -Be 'ok'
        $glibc.DurationMs / 1000 | Should -BeGreaterOrEqual 1.65
        $glibc.DurationMs / 1000 | Should -BeLessThan 2.3
        $noAaaa = $rows | Where-Object { $_.ResolverSpec -eq 'glibc-2.36' -and $_.Mitigation -eq 'NoAaaa' }
        $noAaaa.Outcome | Should -Be 'ok'
        $noAaaa.DurationMs / 1000 | Should -BeLessThan 0.3
        $musl.Queries[0].Server | Should -Be '127.0.0.1:53'
        $musl.Queries[0].Name | Should -Be 'elink.spic.com.cn.tke-test.svc.cluster.local.'
        $rows
    }
    function script:Stop-ProbeLab($Lab) {
        if ($Lab -and -not $Lab.Process.HasExited) {
            & kill -TERM $Lab.Process.Id
            if (-not $Lab.Process.WaitForExit(5000)) { Stop-Process -Id $Lab.Process.Id -Force }
        }
    }
}

Describe 'dnstools-probe, the binary' -Tag 'ProbeBinary' {
    BeforeAll {
        if ($ProbeSkip) { return }
        $script:Lab = Start-ProbeLab $Rules
    }
    AfterAll { if (-not $ProbeSkip) { Stop-ProbeLab $Lab } }

    It 'replays the incident against its lab server: the table, and jsonl that Import-DnsProbeResult reads back' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $common = @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'musl-1.2.3,glibc-2.36', '--mitigation', 'none,no-aaaa')
        $table = Invoke-Probe $common
        $table.Code | Should -Be 1 -Because 'musl fails the lookup (EAI_AGAIN)'
        $table.Out[0] | Should -Match '^RESOLVER\s+MITIGATION\s+RESULT\s+TIME'
        $table.Out | Should -HaveCount 5
        ($table.Out -match '^musl-1\.2\.3\s+None\s+EAI_AGAIN\s+5\.\d{3} s') | Should -HaveCount 1
        ($table.Out -match '^glibc-2\.36\s+NoAaaa\s+ok\s+\d+\.\d ms') | Should -HaveCount 1
        $table.Err | Should -Match "sending to $([regex]::Escape($Lab.EndPoint))"

        $jsonl = Invoke-Probe @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'glibc-2.36', '--mitigation', 'none,no-aaaa', '--format', 'jsonl')
        $jsonl.Code | Should -Be 0
        $rows = $jsonl.Out | Import-DnsProbeResult
        $rows | Should -HaveCount 2
        $rows | ForEach-Object { $_ | Should -BeOfType ([DnsTools.Core.Diagnosis.ObservedLookup]) }
        $glibc = $rows | Where-Object { $_.ResolverSpec -eq 'glibc-2.36' -and $_.Mitigation -eq 'None' } | Select-Object -First 1
        $glibc.DurationMs / 1000 | Should -BeGreaterThan 1.6
        $glibc.DurationMs / 1000 | Should -BeLessThan 2.5
        $glibc.Diagnoses.Code | Should -Contain 'DNS003'
        $glibc.Queries[0].Name | Should -Be 'elink.spic.com.cn.tke-test.svc.cluster.local.'
        # The module's view renders it as it renders Test-PodDnsLatency's objects.
        $view = $rows | Out-String -Width 200
        $view | Should -Match 'Resolver\s*:\s*glibc-2\.36'
        $view | Should -Match 'Mitigation\s*:\s*NoAaaa'
        $view | Should -Match 'DNS003 '
    }

    It 'says the scheduling it replayed with: realtime as root, normal with --no-realtime or without CAP_SYS_NICE (why on stderr)' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        & chrt -f 1 true 2>$null
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'this process may not use real-time scheduling (chrt -f 1 fails)'; return }
        $common = @('api.example.com.', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'glibc-2.36', '--format', 'jsonl')
        $rt = Invoke-Probe $common
        $rt.Code | Should -Be 0
        ($rt.Out | ConvertFrom-Json).scheduling | Should -Be 'Realtime'
        ($rt.Out | Import-DnsProbeResult).Scheduling | Should -Be 'Realtime'
        $rt.Err | Should -Not -Match 'scheduling normal'
        $off = Invoke-Probe ($common + '--no-realtime')
        ($off.Out | ConvertFrom-Json).scheduling | Should -Be 'Normal'
        if (-not (Get-Command setpriv -CommandType Application -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because 'setpriv (util-linux) is not installed: the leg without CAP_SYS_NICE did not run'; return }
        $err = Join-Path $TestDrive 'no-nice.err'
        $out = & setpriv --bounding-set -sys_nice -- $Probe @common 2>$err
        $LASTEXITCODE | Should -Be 0
        ($out | ConvertFrom-Json).scheduling | Should -Be 'Normal'
        ($out | ConvertFrom-Json).outcome | Should -Be 'ok'
        Get-Content $err -Raw | Should -Match 'dnstools-probe: scheduling normal: not permitted to use real-time scheduling \(sched_setscheduler: EPERM'
    }

    It 'writes the same JSON for a query plan as Core writes for Get-ResolverQueryPlan''s object' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $r = Invoke-Probe @('plan', 'elink.spic.com.cn', '--resolv-conf', $PodConf, '--resolver', 'musl-1.2.3,glibc-2.36',
            '--server-behavior', 'AAAA elink.spic.com.cn -> SERVFAIL after 1700ms', '--server-behavior', '*.cluster.local -> NXDOMAIN', '--format', 'jsonl')
        $r.Code | Should -Be 1
        $plans = Get-ResolverQueryPlan -Name elink.spic.com.cn -ResolvConf $PodConf -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior $Rules
        $expected = $plans | ForEach-Object { [DnsTools.Core.Probe.ProbeJson]::ToJsonLine($_) }
        $r.Out | Should -Be $expected
        ($r.Out[0] | ConvertFrom-Json).resultCode | Should -Be 'EAI_AGAIN'
        ($r.Out[0] | ConvertFrom-Json).totalTimeMs | Should -BeGreaterThan 4900
    }

    It 'writes what the cmdlets'' -Format Json writes: the same plan text, the same lookup and summary fields' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        # A plan is computed, so the two texts are equal, not only their field names.
        $r = Invoke-Probe @('plan', 'elink.spic.com.cn', '--resolv-conf', $PodConf, '--resolver', 'musl-1.2.3,glibc-2.36',
            '--server-behavior', $Rules[0], '--server-behavior', $Rules[1], '--format', 'json')
        $r.Code | Should -Be 1
        $cmdletPlan = Get-ResolverQueryPlan -Name elink.spic.com.cn -ResolvConf $PodConf -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior $Rules -Format Json
        ($r.Out -join "`n") | Should -BeExactly ($cmdletPlan -replace "`r", '')

        # Every property path (objects and arrays walked to the leaves), as a set.
        function Get-FieldPath($node, [string] $prefix = '') {
            if ($node -is [System.Collections.IList] -and $node -isnot [string]) { foreach ($item in $node) { Get-FieldPath $item "$prefix[]" } }
            elseif ($node -is [System.Management.Automation.PSCustomObject]) {
                foreach ($p in $node.psobject.Properties) { "$prefix.$($p.Name)"; Get-FieldPath $p.Value "$prefix.$($p.Name)" }
            }
        }
        function Get-FieldSet([string] $json) { @(Get-FieldPath (ConvertFrom-Json $json -NoEnumerate) | Sort-Object -Unique) }
        $labServer = $Lab.EndPoint
        foreach ($count in 1, 2) {
            # ($Probe is the binary's path: this run's output is $binaryRun.)
            $binaryRun = Invoke-Probe @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $labServer, '--resolver', 'glibc-2.36',
                '--mitigation', 'no-aaaa', '--count', $count, '--format', 'json', '-q')
            $binaryRun.Code | Should -Be 0
            $cmdlet = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $labServer -Resolver glibc-2.36 -Mitigation NoAaaa -Count $count -Format Json
            $probeFields = Get-FieldSet ($binaryRun.Out -join "`n")
            $probeFields | Should -Contain $(if ($count -eq 1) { '[].durationMs' } else { '[].lookups[].durationMs' })
            $probeFields | Should -Be (Get-FieldSet $cmdlet) -Because "--count $count writes the cmdlet's fields"
        }
    }

    It 'streams --count lookups as JSON lines as each completes, then the summary' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $start = [System.Diagnostics.ProcessStartInfo]::new($Probe)
        foreach ($a in 'elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'glibc-2.36', '--mitigation', 'no-aaaa',
            '--count', '3', '--interval', '1.5', '--format', 'jsonl', '-q') { $start.ArgumentList.Add($a) }
        $start.RedirectStandardOutput = $true
        $start.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($start)
        try {
            # The first lookup takes a millisecond; the run at least 3 s (two pauses): its line must come while the run goes on.
            $first = $process.StandardOutput.ReadLine()
            $process.HasExited | Should -BeFalse -Because 'the first line is written as its lookup completes, not at the end'
            ($first | ConvertFrom-Json).outcome | Should -Be 'ok'
            $rest = @()
            while ($null -ne ($line = $process.StandardOutput.ReadLine())) { $rest += $line }
            $process.WaitForExit(10000) | Should -BeTrue
            $process.ExitCode | Should -Be 0
        }
        finally { if (-not $process.HasExited) { $process.Kill() } }
        $results = @(@($first) + $rest | Import-DnsProbeResult)
        $results | Should -HaveCount 4
        $results[0..2] | ForEach-Object { $_ | Should -BeOfType ([DnsTools.Core.Diagnosis.ObservedLookup]) }
        $results[3] | Should -BeOfType ([DnsTools.Core.Probe.DnsProbeSummary])
        $results[3].Count | Should -Be 3
        $results[3].Lookups[0].Queries[0].Id | Should -Be $results[0].Queries[0].Id
    }

    It 'reads a tcpdump text and a pcap as Measure-DnsCapture does' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        foreach ($file in (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/DnsTools.Core.Tests/Capture/data/seed-alpine-musl.txt'),
            (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/captures/dnsmasq-lo.pcap')) {
            $r = Invoke-Probe @('capture', $file, '--format', 'jsonl')
            $r.Code | Should -Be 0
            $expected = Measure-DnsCapture -Path $file 3>$null | ForEach-Object { [DnsTools.Core.Probe.ProbeJson]::ToJsonLine($_) }
            $r.Out | Should -Be $expected
            $r.Out.Count | Should -BeGreaterThan 0
        }
        $t = Invoke-Probe @('capture', (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/DnsTools.Core.Tests/Capture/data/seed-alpine-musl.txt'))
        ($t.Out -match '\s+Musl\s+.*elink\.spic\.com\.cn\.\s+DNS001 DNS002') | Should -Not -BeNullOrEmpty
    }

    It 'says which resolv.conf it uses when none is given, and refuses it under the test runner' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $r = Invoke-Probe @('example.invalid')
        $r.Code | Should -Be 2
        $r.Err | Should -Match 'DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF forbids reading /etc/resolv.conf'
    }

    It 'ends every error with exit 2 and one line on stderr: <Case>' -ForEach @(
        @{ Case = 'no arguments'; Arguments = @(); Pattern = 'no name given' }
        @{ Case = 'an unknown option'; Arguments = @('x', '--bogus'); Pattern = 'unknown option --bogus' }
        @{ Case = 'an unknown resolver'; Arguments = @('x', '--resolver', 'bionic-9'); Pattern = "Unknown resolver 'bionic-9'" }
        @{ Case = 'an unknown mitigation'; Arguments = @('x', '--mitigation', 'fast'); Pattern = "unknown 'fast'" }
        @{ Case = 'a count of 0'; Arguments = @('x', '--count', '0'); Pattern = '--count: 0 is outside' }
        @{ Case = 'a server that is a name'; Arguments = @('x', '--server', 'dns.example'); Pattern = "'dns.example' is not an IP address" }
        @{ Case = 'a missing resolv.conf'; Arguments = @('x', '--resolv-conf', '/nonexistent/resolv.conf'); Pattern = "resolv.conf '/nonexistent/resolv.conf'" }
        @{ Case = 'a plan without resolv.conf'; Arguments = @('plan', 'x'); Pattern = '--resolv-conf FILE is required' }
        @{ Case = 'a bad server behaviour'; Arguments = @('plan', 'x', '--resolv-conf', '/dev/null', '--server-behavior', 'AAAA * -> EXPLODE'); Pattern = '--server-behavior' }
        @{ Case = 'a missing capture'; Arguments = @('capture', '/nonexistent.pcap'); Pattern = "capture '/nonexistent.pcap'" }
        @{ Case = 'a directory as capture'; Arguments = @('capture', '/'); Pattern = "capture '/'" }
        @{ Case = 'a bad lab rule'; Arguments = @('lab', '--rule', 'nonsense'); Pattern = '--rule' }
        @{ Case = 'a name given to the lab'; Arguments = @('lab', 'AAAA * -> SERVFAIL'); Pattern = 'lab takes no name' }
        @{ Case = 'a lab option in a replay'; Arguments = @('x', '--rule', 'A * -> NXDOMAIN'); Pattern = '--rule is not an option of a replay' }
        @{ Case = 'a bad format'; Arguments = @('x', '--format', 'xml'); Pattern = "--format: unknown 'xml'" }
    ) {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $r = Invoke-Probe $Arguments
        $r.Code | Should -Be 2
        $r.Out | Should -BeNullOrEmpty
        $lines = @($r.Err -split "`n" | Where-Object { $_ })
        $lines | Should -HaveCount 1
        $lines[0] | Should -BeLike 'dnstools-probe: *'
        $lines[0] | Should -Match ([regex]::Escape($Pattern))
    }

    It 'exits 2 with one line when the lab port is taken, and 0 on SIGTERM' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $r = Invoke-Probe @('lab', '--listen', $Lab.EndPoint)
        $r.Code | Should -Be 2
        @($r.Err -split "`n" | Where-Object { $_ }) | Should -HaveCount 1
        $r.Err | Should -Match 'cannot listen'
        $second = Start-ProbeLab @('A * -> NXDOMAIN')
        & kill -TERM $second.Process.Id
        $second.Process.WaitForExit(5000) | Should -BeTrue
        $second.Process.ExitCode | Should -Be 0
    }

    It 'exits 1 when a lookup takes longer than --fail-above, 0 when none does' {
        if ($ProbeSkip) { Set-ItResult -Skipped -Because $ProbeSkip; return }
        $common = @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'glibc-2.36', '--mitigation', 'no-aaaa', '--count', '3', '-q')
        $fast = Invoke-Probe ($common + @('--fail-above', '1000'))
        $fast.Code | Should -Be 0
        $fast.Err | Should -BeNullOrEmpty
        ($fast.Out -match '^glibc-2\.36\s+NoAaaa\s+3\s+3\s+ok') | Should -HaveCount 1
        $slow = Invoke-Probe @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Lab.EndPoint, '--resolver', 'glibc-2.36', '--fail-above', '1000', '-q')
        $slow.Code | Should -Be 1 -Because 'glibc waits 1.7 s for the AAAA SERVFAIL'
    }
}

Describe 'dnstools-probe discover against a real dnsmasq' -Tag 'ProbeBinary' {
    # The real server: Debian's dnsmasq on loopback, forwarding (no cache) to the binary's lab server as its upstream,
    # which answers AAAA for the name with SERVFAIL after 300 ms and NXDOMAIN for the cluster names. dnsmasq reads
    # no configuration, resolv.conf or hosts file of this machine.
    BeforeAll {
        $script:DiscoverSkip = if ($ProbeSkip) { $ProbeSkip } else { Get-MissingRequirement -Tools 'dnsmasq' }
        if ($DiscoverSkip) { return }
        $script:Upstream = Start-ProbeLab @('AAAA elink.spic.com.cn -> SERVFAIL after 300ms', '*.cluster.local -> NXDOMAIN')
        $script:Dnsmasq = $null
        for ($try = 0; $try -lt 5 -and -not $Dnsmasq; $try++) {
            $port = Get-Random -Minimum 20000 -Maximum 32000
            $err = Join-Path $TestDrive "dnsmasq-$port.err"
            $p = Start-Process dnsmasq -PassThru -RedirectStandardError $err -RedirectStandardOutput (Join-Path $TestDrive "dnsmasq-$port.out") -ArgumentList @(
                '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--listen-address=127.0.0.1', '--bind-interfaces',
                "--port=$port", "--server=$($Upstream.EndPoint -replace ':', '#')", '--cache-size=0', '--pid-file=', '--log-facility=-')
            for ($i = 0; $i -lt 50; $i++) {
                if ($p.HasExited) { break }
                $c = [System.Net.Sockets.TcpClient]::new()
                try { if ($c.ConnectAsync('127.0.0.1', $port).Wait(200)) { $script:Dnsmasq = $p; $script:DnsmasqEndPoint = "127.0.0.1:$port"; break } } catch { } finally { $c.Dispose() }
                Start-Sleep -Milliseconds 100
            }
            if (-not $Dnsmasq -and -not $p.HasExited) { Stop-Process -Id $p.Id }
        }
        if (-not $Dnsmasq) { throw "dnsmasq did not start: $(Get-Content $err -Raw)" }
    }
    AfterAll {
        if ($DiscoverSkip) { return }
        if ($Dnsmasq -and -not $Dnsmasq.HasExited) { Stop-Process -Id $Dnsmasq.Id; $Dnsmasq.WaitForExit(5000) | Out-Null }
        Stop-ProbeLab $Upstream
    }

    It 'learns what Get-DnsServerBehavior learns from the same server, in the table and as JSON with the cmdlet''s fields' {
        if ($DiscoverSkip) { Set-ItResult -Skipped -Because $DiscoverSkip; return }
        $table = Invoke-Probe @('discover', 'elink.spic.com.cn', '--server', $DnsmasqEndPoint, '--resolv-conf', $PodConf, '--count', '2')
        $table.Code | Should -Be 0
        $table.Out[0] | Should -Match '^SERVER\s+TYPE\s+RCODE\s+ANSWERS\s+P50\s+MAX'
        ($table.Out -match "^$([regex]::Escape($DnsmasqEndPoint))\s+AAAA\s+SERVFAIL\s+0\s+.*elink\.spic\.com\.cn\.$") | Should -HaveCount 1
        ($table.Out -match '^  \*\.cluster\.local -> NXDOMAIN$') | Should -HaveCount 1
        $table.Err | Should -Match "asking $([regex]::Escape($DnsmasqEndPoint))"
        $table.Err | Should -Match '\d+ queries in \d+\.\d s'

        $json = Invoke-Probe @('discover', '--name', 'elink.spic.com.cn', '--server', $DnsmasqEndPoint, '--resolv-conf', $PodConf, '--count', '2', '--format', 'json', '-q')
        $json.Code | Should -Be 0
        $learned = ($json.Out -join "`n") | ConvertFrom-Json -NoEnumerate
        $learned | Should -HaveCount 1
        $cmdlet = Get-DnsServerBehavior -Name elink.spic.com.cn -Server $DnsmasqEndPoint -ResolvConf $PodConf -Count 2
        # The same rules; the SERVFAIL's delay is dnsmasq's (it asks its upstream again), measured twice: close, not equal.
        ($learned[0].rules -replace ' after \d+ms') | Should -Be ($cmdlet.Rules -replace ' after \d+ms')
        $probeDelay = [double](@($learned[0].rules -match 'after')[0] -replace '.*after (\d+)ms', '$1')
        $cmdletDelay = [double](@($cmdlet.Rules -match 'after')[0] -replace '.*after (\d+)ms', '$1')
        $probeDelay | Should -BeGreaterOrEqual 300
        [math]::Abs($probeDelay - $cmdletDelay) | Should -BeLessThan (0.1 * $cmdletDelay)
        $learned[0].queriesSent | Should -Be $cmdlet.QueriesSent
        # The field names: the binary's JSON and the cmdlet's object through ConvertTo-Json (PascalCase there).
        function Get-FieldPath($node, [string] $prefix = '') {
            if ($node -is [System.Collections.IList] -and $node -isnot [string]) { foreach ($item in $node) { Get-FieldPath $item "$prefix[]" } }
            elseif ($node -is [System.Management.Automation.PSCustomObject]) {
                foreach ($p in $node.psobject.Properties) { "$prefix.$($p.Name.Substring(0, 1).ToLowerInvariant())$($p.Name.Substring(1))"; Get-FieldPath $p.Value "$prefix.$($p.Name.Substring(0, 1).ToLowerInvariant())$($p.Name.Substring(1))" }
            }
        }
        $probeFields = @(Get-FieldPath $learned[0] | Sort-Object -Unique)
        $cmdletFields = @(Get-FieldPath ($cmdlet | ConvertTo-Json -Depth 20 | ConvertFrom-Json) | Sort-Object -Unique)
        $probeFields | Should -Contain '.observations[].samples[].latencyMs'
        $probeFields | Should -Be $cmdletFields
    }

    It 'asks only what it is given, and refuses a run over its query limit before the first query: <Case>' -ForEach @(
        @{ Case = 'no server and no resolv.conf'; Arguments = @('discover', 'example.com'); Pattern = 'name the servers to ask (--server) or give a resolv.conf' }
        @{ Case = 'a resolv.conf without nameserver'; Arguments = @('discover', 'example.com', '--resolv-conf', '/dev/null'); Pattern = 'names no nameserver' }
        @{ Case = 'over --max-queries'; Arguments = @('discover', 'elink.spic.com.cn', '--resolv-conf', 'POD', '--server', 'DNSMASQ', '--count', '100', '--max-queries', '50'); Pattern = 'more than the limit of 50' }
        @{ Case = 'a count over 100'; Arguments = @('discover', 'x', '--server', '127.0.0.1', '--count', '101'); Pattern = '--count: 101 is outside 1..100' }
        @{ Case = 'a replay option'; Arguments = @('discover', 'x', '--server', '127.0.0.1', '--mitigation', 'none'); Pattern = '--mitigation is not an option of discover' }
    ) {
        if ($DiscoverSkip) { Set-ItResult -Skipped -Because $DiscoverSkip; return }
        $r = Invoke-Probe @($Arguments | ForEach-Object { $_ -replace '^POD$', $PodConf -replace '^DNSMASQ$', $DnsmasqEndPoint })
        $r.Code | Should -Be 2
        $r.Out | Should -BeNullOrEmpty
        @($r.Err -split "`n" | Where-Object { $_ }) | Should -HaveCount 1
        $r.Err | Should -Match ([regex]::Escape($Pattern))
        $r.Err | Should -Not -Match 'asking'
    }
}

Describe 'dnstools-probe for linux-arm64' -Tag 'ProbeArm64' {
    # The cross-compiled binary (build.ps1 builds it for -PesterTag ProbeArm64 and -Task Package), run in qemu's user
    # mode with Debian's aarch64 glibc as its library root: the same plan as the x64 binary, and a replay against
    # the x64 binary's lab server on loopback with the same outcomes.
    BeforeAll {
        $script:Arm64 = $env:DNSTOOLS_PROBE_ARM64_BINARY
        $script:Arm64Skip = if ($ProbeSkip) { $ProbeSkip }
        elseif ($env:DNSTOOLS_PROBE_ARM64_UNAVAILABLE) { "the linux-arm64 binary was not built: $env:DNSTOOLS_PROBE_ARM64_UNAVAILABLE" }
        elseif (-not $Arm64 -or -not (Test-Path $Arm64)) { 'the linux-arm64 binary was not built (DNSTOOLS_PROBE_ARM64_BINARY)' }
        else { Get-MissingRequirement -Tools 'qemu-aarch64', 'file' -Files '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1=libc6-arm64-cross' }
        if ($Arm64Skip) { return }
        $script:Arm64Lab = Start-ProbeLab $Rules
        function script:Invoke-Arm64([string[]] $Arguments) {
            $err = Join-Path $TestDrive "arm64-$([guid]::NewGuid()).txt"
            $out = & qemu-aarch64 -L /usr/aarch64-linux-gnu $Arm64 @Arguments 2>$err
            [pscustomobject]@{ Out = @($out); Err = (Get-Content $err -Raw) ?? ''; Code = $LASTEXITCODE }
        }
    }
    AfterAll { if (-not $Arm64Skip) { Stop-ProbeLab $Arm64Lab } }

    It 'is an aarch64 executable that computes the x64 binary''s plan and replays the incident with the same outcomes' {
        if ($Arm64Skip) { Set-ItResult -Skipped -Because $Arm64Skip; return }
        (& file -b $Arm64) | Should -Match 'ELF 64-bit LSB .*ARM aarch64'
        $planArgs = @('plan', 'elink.spic.com.cn', '--resolv-conf', $PodConf, '--resolver', 'musl-1.2.3,glibc-2.36',
            '--server-behavior', $Rules[0], '--server-behavior', $Rules[1], '--format', 'json')
        $arm = Invoke-Arm64 $planArgs
        $x64 = Invoke-Probe $planArgs
        $arm.Code | Should -Be 1
        ($arm.Out -join "`n") | Should -BeExactly ($x64.Out -join "`n")
        $replayArgs = @('elink.spic.com.cn', '--resolv-conf', $PodConf, '--server', $Arm64Lab.EndPoint, '--resolver', 'musl-1.2.3,glibc-2.36',
            '--mitigation', 'none,no-aaaa', '--format', 'jsonl', '-q')
        $replay = Invoke-Arm64 $replayArgs
        $replay.Code | Should -Be 1 -Because 'musl fails the lookup'
        $rows = $replay.Out | Import-DnsProbeResult
        $rows | Should -HaveCount 4
        # Outcome and query sequence (names and types) as the x64 binary's against the same server.
        function Get-Shape($r) { "$($r.ResolverSpec) $($r.Mitigation) $($r.Outcome): $(($r.Queries | ForEach-Object { "$($_.Type) $($_.Name)" }) -join ', ')" }
        $x64Rows = (Invoke-Probe $replayArgs).Out | Import-DnsProbeResult
        ($rows | ForEach-Object { Get-Shape $_ }) | Should -Be ($x64Rows | ForEach-Object { Get-Shape $_ })
        ($rows | Where-Object ResolverSpec -eq 'musl-1.2.3')[0].Outcome | Should -Be 'EAI_AGAIN'
        $glibc = $rows | Where-Object { $_.ResolverSpec -eq 'glibc-2.36' -and $_.Mitigation -eq 'None' }
        $glibc.DurationMs / 1000 | Should -BeGreaterOrEqual 1.65
    }
}

Describe 'Import-DnsProbeResult' -Tag 'ProbeBinary' {
    It 'round-trips Test-PodDnsLatency objects through jsonl: equal objects' {
        $lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 300ms', '*.cluster.local -> NXDOMAIN'
        try {
            $one = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $lab -Resolver musl-1.2.3, glibc-2.36
            $many = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $PodConf -Server $lab -Resolver glibc-2.36 -Mitigation None, NoAaaa -Count 3
        }
        finally { $lab | Stop-DnsLabServer }
        $original = @($one) + @($many)
        $lines = $original | ForEach-Object { [DnsTools.Core.Probe.ProbeJson]::ToJsonLine($_) }
        $back = @($lines | Import-DnsProbeResult)
        $back | Should -HaveCount $original.Count
        # Equal: every property (queries, diagnoses, times to the tick), compared as the full object graph.
        function Get-Graph($o) { $o | ConvertTo-Json -Depth 12 -Compress }
        for ($i = 0; $i -lt $original.Count; $i++) {
            $back[$i].GetType() | Should -Be $original[$i].GetType()
            Get-Graph $back[$i] | Should -BeExactly (Get-Graph $original[$i])
        }
        $back[0].DurationMs | Should -Be $original[0].DurationMs
        $back[2].Lookups[1].Queries[0].SentAtMs | Should -Be $original[2].Lookups[1].Queries[0].SentAtMs
        # A --format json array reads the same.
        $array = [DnsTools.Core.Probe.ProbeJson]::ToJsonArray([object[]]@($original | ForEach-Object { $_.psobject.BaseObject }))
        Get-Graph ($array | Import-DnsProbeResult) | Should -BeExactly (Get-Graph $back)
    }

    It 'names the line that is not a probe result and reads the others' {
        $good = Get-Content (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/probe/shop.jsonl') | Select-Object -First 1
        $result = @($good, '{"hello": 1}', 'not json', $good | Import-DnsProbeResult -ErrorVariable errs -ErrorAction SilentlyContinue)
        $result | Should -HaveCount 2
        $errs | Should -HaveCount 2
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidProbeResult*'
        $errs[0].Exception.Message | Should -Match 'line 2'
        $errs[1].Exception.Message | Should -Match 'line 3'
        { Import-DnsProbeResult -Path (Join-Path $TestDrive 'missing.jsonl') -ErrorAction Stop } | Should -Throw -ErrorId 'ProbeResultNotFound*'
    }
}

Describe 'The dnstools-probe image' -Tag 'ProbeImage' {
    BeforeAll {
        $script:Image = $env:DNSTOOLS_PROBE_IMAGE
        $script:ImageSkip = if ($ProbeSkip) { $ProbeSkip } elseif (-not $Image -or -not (Test-Path $Image)) { 'the image was not built (DNSTOOLS_PROBE_IMAGE)' }
        $script:Version = (Import-PowerShellDataFile (Join-Path $env:DNSTOOLS_REPO_ROOT 'module/DnsTools/DnsTools.psd1')).ModuleVersion
    }

    It 'is the binary and the libraries it needs, under 25 MB, with OCI labels, and Get-ImageDnsProfile reads it right' {
        if ($ImageSkip) { Set-ItResult -Skipped -Because $ImageSkip; return }
        $files = Get-ImageFile -Image "oci-archive:$Image" -Path / -Recurse
        $total = ($files | Measure-Object -Property Size -Sum).Sum
        $total | Should -BeLessThan 25MB
        $regular = $files | Where-Object Type -eq 'File' | ForEach-Object Path
        $regular | Should -Contain '/usr/local/bin/dnstools-probe'
        # Exactly what ldd names (libc6's libc, libm and loader), and no shell or package manager.
        ($regular | Where-Object { $_ -like '/usr/lib/*' }) | Sort-Object | Should -Be @(
            '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6')
        $regular | Should -Not -Contain '/bin/sh'
        $dnsProfile = Get-ImageDnsProfile -Image "oci-archive:$Image"
        $dnsProfile.Libc | Should -Be 'glibc 2.36'
        $dnsProfile.Entrypoint.Path | Should -Be '/usr/local/bin/dnstools-probe'
        $dnsProfile.Entrypoint.Interpreter | Should -Be '/lib64/ld-linux-x86-64.so.2'
        $dnsProfile.Entrypoint.Note | Should -BeNullOrEmpty -Because 'the loader and every needed library are in the image'
        $inspect = & skopeo inspect --config "oci-archive:$Image" | ConvertFrom-Json
        $labels = $inspect.config.Labels
        $labels.'org.opencontainers.image.title' | Should -Be 'dnstools-probe'
        $labels.'org.opencontainers.image.version' | Should -Be $Version
        $labels.'org.opencontainers.image.licenses' | Should -Be 'MIT'
        $inspect.config.Entrypoint | Should -Be '/usr/local/bin/dnstools-probe'
        Test-Path (Join-Path $env:DNSTOOLS_REPO_ROOT "out/image/index.json") | Should -BeTrue
    }

    Context 'in a podman pod with kubelet''s DNS config' {
        BeforeAll {
            $script:PodSkip = if ($ImageSkip) { $ImageSkip } else { Get-MissingRequirement -Tools 'podman', 'catatonit', 'nsenter', 'ip' }
            if (-not $PodSkip -and (& id -u) -ne '0') { $script:PodSkip = 'podman pods run as root here' }
            if ($PodSkip) { return }
            $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'pod') -Force
            # The pod's network: a CNI network whose only plugin is loopback, so the pod's namespace has lo and
            # nothing else (--network none would refuse --dns), while podman still writes the pod's resolv.conf.
            New-Item -ItemType Directory "$dir/net" | Out-Null
            '{"cniVersion":"0.4.0","name":"dnstools-loopback","plugins":[{"type":"loopback"}]}' | Set-Content "$dir/net/dnstools-loopback.conflist"
            # runc cannot raise these rlimits inside this (container) machine: ask for what it allows.
            "[containers]`ndefault_ulimits = [`"nofile=1024:1024`", `"nproc=4096:4096`"]`n" | Set-Content "$dir/containers.conf"
            $script:OldContainersConf = $env:CONTAINERS_CONF
            $env:CONTAINERS_CONF = "$dir/containers.conf"
            $script:Pm = @('--root', "$dir/root", '--runroot', "$dir/run", '--tmpdir', "$dir/tmp", '--storage-driver', 'vfs', '--network-config-dir', "$dir/net")
            $out = & podman @Pm load -i $Image 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "podman load failed: $out" }
            $script:Ref = "localhost/dnstools-probe:$Version"
            $out = & podman @Pm pod create --name dnstools-probe-test --network dnstools-loopback --dns 127.0.0.1 `
                --dns-search tke-test.svc.cluster.local --dns-search svc.cluster.local --dns-search cluster.local --dns-option ndots:5 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "podman pod create failed: $out" }
            $labArgs = @('lab', '--listen', '127.0.0.1:53') + @($Rules | ForEach-Object { '--rule', $_ })
            $out = & podman @Pm run -d --pod dnstools-probe-test --name lab $Ref @labArgs 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "podman run lab failed: $out" }
            for ($i = 0; $i -lt 100 -and -not ((& podman @Pm logs lab 2>&1 | Out-String) -match 'listening on'); $i++) { Start-Sleep -Milliseconds 100 }
        }
        AfterAll {
            if ($PodSkip) { return }
            & podman @Pm pod rm -f -t 2 dnstools-probe-test 2>&1 | Out-Null
            $env:CONTAINERS_CONF = $OldContainersConf
        }

        It 'has no network but its own loopback' {
            if ($PodSkip) { Set-ItResult -Skipped -Because $PodSkip; return }
            $infra = & podman @Pm pod inspect dnstools-probe-test --format '{{.InfraContainerID}}'
            $infraPid = & podman @Pm inspect --format '{{.State.Pid}}' $infra
            $links = @(& nsenter "--net=/proc/$infraPid/ns/net" ip -o link show)
            $links | Should -HaveCount 1
            $links[0] | Should -Match '^1: lo:'
            @(& nsenter "--net=/proc/$infraPid/ns/net" ip route show) | Should -BeNullOrEmpty
        }

        It 'reproduces the incident report''s table from the pod''s own resolv.conf, with the recipe''s arguments' {
            if ($PodSkip) { Set-ItResult -Skipped -Because $PodSkip; return }
            # The arguments examples/kubernetes/kubectl-debug.sh gives dnstools-probe in the pod.
            $recipe = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/kubernetes/kubectl-debug.sh'
            $probeArgs = @(& bash -c ". '$recipe'; printf '%s\n' `"`${PROBE_ARGS[@]}`"")
            $probeArgs | Should -Contain '--format'
            $err = Join-Path $TestDrive 'pod-probe.err'
            # As kubectl debug --target runs it: a container of the image joining the pod's namespaces.
            $lines = & podman @Pm run --rm --pod dnstools-probe-test $Ref @probeArgs 2>$err
            $LASTEXITCODE | Should -Be 1 -Because 'musl fails the lookup'
            (Get-Content $err -Raw) | Should -Match 'using /etc/resolv\.conf of this machine or pod: nameserver 127\.0\.0\.1; search tke-test\.svc\.cluster\.local svc\.cluster\.local cluster\.local; options ndots:5'
            $null = Assert-IncidentTable $lines 'the pod'
            # And the lab server in the pod saw them.
            (& podman @Pm logs lab 2>&1 | Out-String) | Should -Match 'listening on 127\.0\.0\.1:53'

            # The gather script over these lines saved as a pod's log (as `kubectl logs POD > POD.jsonl` saves them).
            $logs = New-Item -ItemType Directory (Join-Path $TestDrive 'logs') -Force
            $lines | Set-Content (Join-Path $logs 'dnstools-probe-pod-x7k2p.jsonl')
            $gathered = & (Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/kubernetes/Get-DnsProbeResult.ps1') -LogDirectory $logs -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST
            $gathered | Should -HaveCount 4
            $gathered.Pod | Sort-Object -Unique | Should -Be 'dnstools-probe-pod-x7k2p'
            ($gathered | Where-Object ResolverSpec -eq 'musl-1.2.3')[0].Outcome | Should -Be 'EAI_AGAIN'
        }
    }
    Context 'in dockerd, joining a container''s network namespace as kubectl debug --target does' {
        # dockerd 20.10 loads only docker save's layout: the docker-archive build.ps1 -Task Package makes beside the
        # OCI archive. The "pod" is the lab server's container: no network but its loopback, kubelet's DNS config;
        # the probe joins its network namespace (--network container:ID) and with it its resolv.conf, as an
        # ephemeral container shares the pod's (docker refuses --dns with a container: network, as it should).
        BeforeAll {
            $script:DockerArchive = $env:DNSTOOLS_PROBE_DOCKER_ARCHIVE
            $script:DockerSkip = if ($ImageSkip) { $ImageSkip }
            elseif (-not $DockerArchive -or -not (Test-Path $DockerArchive)) { 'the docker-archive was not built (DNSTOOLS_PROBE_DOCKER_ARCHIVE)' }
            else { Get-MissingRequirement -Tools 'dockerd', 'docker', 'nsenter', 'ip' }
            if (-not $DockerSkip -and (& id -u) -ne '0') { $script:DockerSkip = 'dockerd needs root' }
            $script:Dockerd = $null
            if ($DockerSkip) { return }
            $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'dk') -Force
            $script:DockerDataRoot = "$dir/data"
            $script:Dk = @('-H', "unix://$dir/docker.sock")
            $dockerdExe = (Get-Command dockerd -CommandType Application | Select-Object -First 1).Source
            # Everything under TestDrive, no bridge, no iptables: the daemon sets up no network of its own.
            $script:Dockerd = Start-Process -FilePath $dockerdExe -PassThru -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log" -ArgumentList @(
                '--host', "unix://$dir/docker.sock", '--data-root', "$dir/data", '--exec-root', "$dir/exec", '--pidfile', "$dir/docker.pid",
                '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none')
            $ready = $false
            for ($i = 0; $i -lt 100 -and -not $ready; $i++) {
                if ($Dockerd.HasExited) { throw "dockerd exited with $($Dockerd.ExitCode): $(Get-Content "$dir/err.log" -Raw)" }
                if (Test-Path "$dir/docker.sock") { & docker @Dk version *> $null; $ready = $LASTEXITCODE -eq 0 }
                if (-not $ready) { Start-Sleep -Milliseconds 200 }
            }
            if (-not $ready) { throw 'dockerd did not answer within 20 s' }
            $out = & docker @Dk load -i $DockerArchive 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "docker load failed: $out" }
            $script:DockerLoadOutput = $out
            $script:DockerRef = "dnstools-probe:$Version"
            $labArgs = @('lab', '--listen', '127.0.0.1:53') + @($Rules | ForEach-Object { '--rule', $_ })
            $out = & docker @Dk run -d --name dnstools-probe-lab --network none --dns 127.0.0.1 `
                --dns-search tke-test.svc.cluster.local --dns-search svc.cluster.local --dns-search cluster.local --dns-option ndots:5 `
                $DockerRef @labArgs 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "docker run lab failed: $out" }
            for ($i = 0; $i -lt 100 -and -not ((& docker @Dk logs dnstools-probe-lab 2>&1 | Out-String) -match 'listening on'); $i++) { Start-Sleep -Milliseconds 100 }
        }
        AfterAll {
            if (-not $Dockerd) { return }
            & docker @Dk rm -f dnstools-probe-lab 2>&1 | Out-Null
            if (-not $Dockerd.HasExited) {
                # SIGTERM, so dockerd stops the containerd it started; SIGKILL only if it does not exit.
                & kill -TERM $Dockerd.Id
                if (-not $Dockerd.WaitForExit(15000)) { Stop-Process -Id $Dockerd.Id -Force -ErrorAction SilentlyContinue }
            }
            # dockerd bind-mounts its data root onto itself and may leave it mounted: undo it so TestDrive can go.
            if ($DockerDataRoot -and (Test-Path $DockerDataRoot)) {
                & mountpoint -q $DockerDataRoot
                if ($LASTEXITCODE -eq 0) { & umount $DockerDataRoot }
            }
        }

        It 'loads the docker-archive: the same image (config digest) as the OCI archive' {
            if ($DockerSkip) { Set-ItResult -Skipped -Because $DockerSkip; return }
            $DockerLoadOutput | Should -Match "Loaded image: dnstools-probe:$([regex]::Escape($Version))"
            $dockerId = (& docker @Dk image inspect --format '{{.Id}}' $DockerRef).Trim()
            $ociConfig = (& skopeo inspect --raw "oci-archive:$Image" | ConvertFrom-Json).config.digest
            $dockerId | Should -Be $ociConfig
            (& docker @Dk image inspect --format '{{json .Config.Entrypoint}}' $DockerRef | ConvertFrom-Json) | Should -Be '/usr/local/bin/dnstools-probe'
        }

        It 'has no network but its own loopback' {
            if ($DockerSkip) { Set-ItResult -Skipped -Because $DockerSkip; return }
            $labPid = (& docker @Dk inspect --format '{{.State.Pid}}' dnstools-probe-lab).Trim()
            $links = @(& nsenter "--net=/proc/$labPid/ns/net" ip -o link show)
            $links | Should -HaveCount 1
            $links[0] | Should -Match '^1: lo:'
        }

        It 'reproduces the incident report''s table from the joined container''s resolv.conf, with the recipe''s arguments' {
            if ($DockerSkip) { Set-ItResult -Skipped -Because $DockerSkip; return }
            $recipe = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/kubernetes/kubectl-debug.sh'
            $probeArgs = @(& bash -c ". '$recipe'; printf '%s\n' `"`${PROBE_ARGS[@]}`"")
            $probeArgs | Should -Contain '--format'
            $err = Join-Path $TestDrive 'docker-probe.err'
            $lines = & docker @Dk run --rm --network container:dnstools-probe-lab $DockerRef @probeArgs 2>$err
            $LASTEXITCODE | Should -Be 1 -Because 'musl fails the lookup'
            (Get-Content $err -Raw) | Should -Match 'using /etc/resolv\.conf of this machine or pod: nameserver 127\.0\.0\.1; search tke-test\.svc\.cluster\.local svc\.cluster\.local cluster\.local; options ndots:5'
            $null = Assert-IncidentTable $lines 'the docker container'
        }
    }
}
