BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $data = Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/DnsTools.Core.Tests/Capture/data'
}

Describe 'Read-DnsCapture and Measure-DnsCapture on the incident report''s tcpdump text' {
    It 'infers musl and names the AAAA SERVFAIL re-send storm for the Alpine capture' {
        $lookups = Get-Content (Join-Path $data 'seed-alpine-musl.txt') | Read-DnsCapture | Measure-DnsCapture
        $main = $lookups | Where-Object Name -eq 'elink.spic.com.cn.'
        $main.Resolver | Should -Be 'Musl'
        $main.Diagnoses.Code | Should -Contain 'DNS001'
        $main.Diagnoses.Code | Should -Contain 'DNS002'
        ($main.Queries | Where-Object Rcode -eq 'NxDomain').Count | Should -Be 6
        ($main.Queries | Where-Object Reason -eq 'ResendAfterServfail').Count | Should -Be 8
        $main.Note | Should -Match 'about 5\.00 s'
    }

    It 'infers glibc for the CentOS capture, read by -Path' {
        $lookup = Measure-DnsCapture -Path (Join-Path $data 'seed-centos-glibc.txt')
        $lookup.Resolver | Should -Be 'Glibc'
        $lookup.Diagnoses.Code | Should -Contain 'DNS003'
        $lookup.Diagnoses.Code | Should -Not -Contain 'DNS002'
    }

    It 'shows queries and lookups readably' {
        $queries = Read-DnsCapture -Path (Join-Path $data 'seed-alpine-no-aaaa.txt')
        $queries.Count | Should -Be 4
        $table = $queries | Format-Table -AutoSize | Out-String -Width 250
        $table | Should -Match 'SentAt\(ms\)'
        $table | Should -Match 'Name: elink\.spic\.com\.cn\.\s'
        $table | Should -Match 'A\s+FirstTry\s+NoError 1 answer'
        $lookup = $queries | Measure-DnsCapture | Out-String
        $lookup | Should -Match 'Resolver\s*:\s*Unknown'
    }

    It 'warns, not fails, on text that is not tcpdump output' {
        $out = 'hello', 'world' | Read-DnsCapture -WarningVariable w -WarningAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        ($w -join "`n") | Should -Match 'no DNS lines found'
    }

    It 'names a missing file and a file that is neither a capture nor text it understands' {
        Read-DnsCapture -Path (Join-Path $TestDrive 'missing.pcap') -ErrorVariable e -ErrorAction SilentlyContinue
        "$($e[0])" | Should -Match 'missing\.pcap'
        $bad = Join-Path $TestDrive 'bad.pcap'
        [IO.File]::WriteAllBytes($bad, [byte[]](0xD4, 0xC3, 0xB2, 0xA1, 1, 2))
        Read-DnsCapture -Path $bad -ErrorVariable e2 -ErrorAction SilentlyContinue
        "$($e2[0])" | Should -Match 'bad\.pcap'
    }
}

Describe 'Read-DnsCapture on a real tcpdump capture' -Tag 'Integration' {
    BeforeAll {
        $skip = $null
        if ($env:DNSTOOLS_APT_UNAVAILABLE) { $skip = $env:DNSTOOLS_APT_UNAVAILABLE }
        elseif ((& id -u) -ne '0') { $skip = 'capturing on lo needs root' }
        else {
            foreach ($tool in 'tcpdump', 'dnsmasq', 'dig') {
                if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { $skip = "$tool is not installed" }
            }
        }
        $pcap = Join-Path $TestDrive 'lo.pcap'
        if (-not $skip) {
            # dnsmasq answers from its own local data only (--no-resolv): nothing leaves loopback.
            $server = '127.53.0.1'
            $dnsmasq = Start-Process dnsmasq -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'dnsmasq.out') -RedirectStandardError (Join-Path $TestDrive 'dnsmasq.err') -ArgumentList @(
                '--no-daemon', '--no-resolv', '--no-hosts', "--listen-address=$server", '--bind-interfaces', '--port=53',
                '--address=/api.example/192.0.2.1', '--address=/nx.example/')
            $tcpdump = Start-Process tcpdump -PassThru -RedirectStandardError (Join-Path $TestDrive 'tcpdump.log') -ArgumentList @(
                # --immediate-mode: without it libpcap hands packets over in blocks (up to 1 s late) and a
                # capture stopped sooner has none.
                '-Z', 'root', '-i', 'lo', '--immediate-mode', '-U', '-w', $pcap, "port 53 and host $server")
            try {
                $deadline = [DateTime]::UtcNow.AddSeconds(10)
                while ([DateTime]::UtcNow -lt $deadline -and -not ((Get-Content (Join-Path $TestDrive 'tcpdump.log') -Raw -ErrorAction SilentlyContinue) -match 'listening')) { Start-Sleep -Milliseconds 100 }
                Start-Sleep -Milliseconds 300
                $digOutput = & dig +tries=1 +time=2 "@$server" api.example A 2>&1 | Out-String
                $digOutput += & dig +tries=1 +time=2 "@$server" nx.example AAAA 2>&1 | Out-String
                Start-Sleep -Milliseconds 500
            }
            finally {
                & kill -INT $tcpdump.Id
                $tcpdump.WaitForExit(5000) | Out-Null
                Stop-Process -Id $dnsmasq.Id -ErrorAction SilentlyContinue
                $dnsmasq.WaitForExit(5000) | Out-Null
            }
        }
    }

    It 'pairs the queries and answers dnsmasq gave' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $queries = Read-DnsCapture -Path $pcap
        $queries.Count | Should -Be 2 -Because "dig said: $digOutput; tcpdump said: $(Get-Content (Join-Path $TestDrive 'tcpdump.log') -Raw)"
        $queries[0].Name | Should -Be 'api.example.'
        $queries[0].Rcode | Should -Be 'NoError'
        $queries[0].AnswerCount | Should -Be 1
        $queries[0].Flags | Should -Match '\[1au\]'
        $queries[1].Type | Should -Be 'AAAA'
        $queries[1].Rcode | Should -Be 'NxDomain'
    }

    It 'reads tcpdump''s own text rendering of the same capture to the same queries' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $fromPcap = Read-DnsCapture -Path $pcap
        $fromText = & tcpdump -n -r $pcap 2>$null | Read-DnsCapture
        $fromText.Count | Should -Be 2
        ($fromText | ForEach-Object { "$($_.Id) $($_.Type) $($_.Name) $($_.Rcode) $($_.SourcePort)" }) |
            Should -Be ($fromPcap | ForEach-Object { "$($_.Id) $($_.Type) $($_.Name) $($_.Rcode) $($_.SourcePort)" })
    }
}

Describe 'Read-DnsCapture and Measure-DnsCapture on hostile input' -Tag 'HostileInput' {
    BeforeAll {
        $query = '09:13:49.074130 IP 10.0.0.5.40000 > 10.96.0.10.53: 47843+ A? api.example. (29)'
        $answer = '09:13:49.075130 IP 10.96.0.10.53 > 10.0.0.5.40000: 47843 1/0/0 A 192.0.2.1 (45)'
    }

    It 'skips a line of several megabytes of spaces quickly, with a warning, and reads the rest' {
        $file = Join-Path $TestDrive 'spaces.txt'
        [IO.File]::WriteAllText($file, "$query`n09:13:49.074200 IP 10.96.0.10.53 > 10.0.0.5.40000: 1 $(' ' * 4MB) (45)`n$answer`n")
        $elapsed = Measure-Command { $script:out = Read-DnsCapture -Path $file -WarningVariable w -WarningAction SilentlyContinue }
        $elapsed.TotalSeconds | Should -BeLessThan 2
        $out.Count | Should -Be 1
        $out[0].Rcode | Should -Be 'NoError'
        ($w -join "`n") | Should -Match '1 line\(s\) longer than the line length limit'
    }

    It 'keeps a long response line readable in the default view' {
        $long = "09:13:49.075130 IP 10.96.0.10.53 > 10.0.0.5.40000: 47843 1/0/0 $('A 192.0.2.1, ' * 4000)(45)"
        $elapsed = Measure-Command { $script:table = $query, $long | Read-DnsCapture | Out-String -Width 200 }
        $elapsed.TotalSeconds | Should -BeLessThan 2
        $table | Should -Match 'NoError 1 answer'
    }

    It 'bounds what it holds with -MaxPendingQueries and still pairs what it can' {
        $lines = foreach ($i in 0..999) { '09:13:{0:00}.{1:000000} IP 10.0.0.5.{2} > 10.96.0.10.53: {3}+ A? n{3}.example. (29)' -f [int][math]::Floor($i / 100), (($i % 100) * 10000), (40000 + $i), $i }
        $queries = $lines + $answer | Read-DnsCapture -MaxPendingQueries 50
        $queries.Count | Should -Be 1001
        ($queries | Where-Object Answered).Count | Should -Be 1
        $lookups = $lines | Measure-DnsCapture -MaxPendingQueries 50
        $lookups.Count | Should -Be 1000
    }
}
