# Get-ImageDnsProfile / Test-ImageDns as a user (and a CI job) calls them, against REAL images built by
# umoci and skopeo (tests/fixtures/New-DnsLintFixtures.sh): the real musl loader and the host's libc.so.6.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/SarifSchema.ps1')
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
    if ($SkipReason) { return }
    $script:Alpine = "oci-archive:$Fx/alpine-apk.oci.tar"
    $script:Glibc = "oci-archive:$Fx/glibc-dpkg.oci.tar"
    $script:Static = "oci-archive:$Fx/static.oci.tar"
    $script:Old = "oci-dir:$Fx/oci:musl-old"
    $script:Pwsh = Join-Path $PSHOME 'pwsh'

    # Runs a command line in a fresh pwsh, as a CI step would: exit code and all output.
    function script:Invoke-Child([string] $Command) {
        $full = "Import-Module '$env:DNSTOOLS_MODULE_MANIFEST'; Set-Location '$TestDrive'; $Command"
        $out = & $Pwsh -NoProfile -NonInteractive -Command $full 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
    }
}

Describe 'Get-ImageDnsProfile' -Tag ImageDns {
    It 'tells musl from glibc from static, with versions and the layer each fact came from' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $profiles = $Alpine, $Glibc, $Static | Get-ImageDnsProfile -ErrorAction Stop
        $profiles.Count | Should -Be 3
        $profiles[0] | Should -BeOfType 'DnsTools.Core.Inspection.ImageDnsProfile'
        $profiles.Resolver | Should -Be 'musl 1.2.3', 'glibc 2.36', 'none (static)'
        $layer = (Get-ImageLayer -Image $Alpine)[0].Digest
        $profiles[0].Libc.Evidence.Layer | Should -Be $layer
        $profiles[0].ResolvConfFile.Evidence.Path | Should -Be '/etc/resolv.conf'
        $profiles[0].ResolvConf.Musl.IgnoredOptions | Should -Contain 'single-request-reopen'
        $profiles[1].NsswitchHosts | Should -Be 'files dns'
        $profiles[1].Os.Id | Should -Be 'debian'
        $profiles[0].Platform | Should -Be 'linux/amd64'
    }

    It 'reads the entrypoint: a glibc binary found by PATH on a musl base, and a pure-Go binary' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $p = Get-ImageDnsProfile -Image "docker-archive:$Fx/alpine-glibc-entry.docker.tar"
        $p.Entrypoint.Path | Should -Be '/usr/bin/env'
        $p.Entrypoint.Resolver | Should -Be 'Glibc'
        (Test-ImageDns -Image "docker-archive:$Fx/alpine-glibc-entry.docker.tar").RuleId | Should -Contain 'DNS-ENTRY-001'
        if (-not (Test-Path "$Fx/go-alpine.oci.tar")) { Set-ItResult -Skipped -Because (Get-Content "$Fx/expected/go.missing" -Raw); return }
        $go = Get-ImageDnsProfile -Image "oci-archive:$Fx/go-alpine.oci.tar"
        $go.Entrypoint.Resolver | Should -Be 'GoPure'
        $go.Entrypoint.GoVersion | Should -Be (Get-Content "$Fx/expected/go.version" -Raw).Trim()
        ($go | Out-String) | Should -Match 'Entrypoint +: /app/server: GoPure go1\.'
        (Test-ImageDns -Image "oci-archive:$Fx/go-alpine.oci.tar").RuleId | Should -Contain 'DNS-GO-001'
    }

    It 'reads glibc from the rpm database the real rpm wrote, in its own layer' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if (Test-Path "$Fx/expected/rpm.missing") { Set-ItResult -Skipped -Because (Get-Content "$Fx/expected/rpm.missing" -Raw).Trim(); return }
        $image = "oci-archive:$Fx/rpm-sqlite.oci.tar"
        $p = Get-ImageDnsProfile -Image $image -ErrorAction Stop
        $p.Resolver | Should -Be 'glibc 2.34'
        $p.Libc.Source | Should -Be 'rpm'
        $p.Libc.PackageVersion | Should -Be '2.34-60.el9'
        $p.Libc.Evidence.Layer | Should -Be (Get-ImageLayer -Image $image)[0].Digest
        ($p | Out-String) | Should -Match 'glibc 2\.34\s+\(from rpm /var/lib/rpm/rpmdb\.sqlite \(layer 0 '
    }

    It 'holds a 100 MB entrypoint once: the peak working set grows by less than 1.5x the program' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ($missing = Get-MissingRequirement -Tools 'gcc', 'objcopy', 'umoci') { Set-ItResult -Skipped -Because $missing; return }
        # A real program built here, padded with a 100 MB section, on the host's glibc; Entrypoint /app/big. The scan
        # keeps it whole (below MaxProgramBytes, 128 MiB) for its analysis: once, never copied (it peaked at 2x).
        $work = Join-Path $TestDrive 'big'; $root = Join-Path $work 'root'
        New-Item -ItemType Directory "$root/app", "$root/lib64", "$root/lib/x86_64-linux-gnu" -Force | Out-Null
        Set-Content "$work/main.c" 'int main(void) { return 0; }'
        & gcc -O2 -o "$work/main" "$work/main.c"
        & bash -c "head -c 100000000 /dev/zero > '$work/pad' && objcopy --add-section .padding='$work/pad' --set-section-flags .padding=contents,readonly '$work/main' '$root/app/big'" 2>$null
        $size = (Get-Item "$root/app/big").Length
        $size | Should -BeGreaterThan 100000000
        Copy-Item /lib/x86_64-linux-gnu/libc.so.6 "$root/lib/x86_64-linux-gnu/"
        Copy-Item (& readlink -f /lib64/ld-linux-x86-64.so.2) "$root/lib64/ld-linux-x86-64.so.2"
        & tar --numeric-owner -C $root -cf "$work/layer.tar" .
        $layout = Join-Path $work 'oci'
        & umoci init --layout $layout; & umoci new --image "${layout}:big"
        & umoci raw add-layer --image "${layout}:big" "$work/layer.tar" 2>$null
        & umoci config --image "${layout}:big" --config.entrypoint /app/big 2>$null
        Remove-Item "$work/layer.tar", "$work/pad"
        # A fresh pwsh: its peak before the profile (pwsh and the module) against its peak after.
        $script = "Import-Module '$env:DNSTOOLS_MODULE_MANIFEST'; `$p = [Diagnostics.Process]::GetCurrentProcess(); `$before = `$p.PeakWorkingSet64; " +
            "`$d = Get-ImageDnsProfile -Image 'oci-dir:${layout}:big'; `$p.Refresh(); '{0} {1} {2} {3}' -f `$before, `$p.PeakWorkingSet64, `$d.Entrypoint.Path, `$d.Entrypoint.Resolver"
        $before, $after, $path, $resolver = (& $Pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1) -split ' '
        $path | Should -Be '/app/big'
        $resolver | Should -Be 'Glibc' -Because 'the program was read and analysed, not skipped'
        ([long]$after - [long]$before) | Should -BeLessThan (1.5 * $size) -Because "the peak grew from $([long]$before / 1MB) MB to $([long]$after / 1MB) MB for a $($size / 1MB) MB program"
    }

    It 'shows a readable view, and keeps going past an image it cannot read' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $text = Get-ImageDnsProfile -Image $Glibc | Out-String
        $text | Should -Match 'glibc 2\.36\s+\(from dpkg /var/lib/dpkg/status'
        $text | Should -Match 'NsswitchHosts : files dns'
        $p = Get-ImageDnsProfile -Image "oci-archive:$Fx/missing.tar", $Alpine -ErrorVariable err -ErrorAction SilentlyContinue
        @($p).Count | Should -Be 1
        @($err).Count | Should -Be 1
    }
}

Describe 'Test-ImageDns' -Tag ImageDns {
    It 'finds the rules rule by rule, each finding tagged with image and platform' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $f = Test-ImageDns -Image $Alpine, $Glibc, $Old
        $f[0] | Should -BeOfType 'DnsTools.Core.Inspection.ImageDnsFinding'
        ($f | Where-Object Image -eq $Alpine).RuleId | Should -Be 'DNS-MUSL-001', 'DNS-MUSL-002', 'DNS-CONF-001', 'DNS-CONF-002'
        ($f | Where-Object Image -eq $Glibc).RuleId | Should -Be 'DNS-CONF-002', 'DNS-GLIBC-001', 'DNS-GLIBC-002'
        ($f | Where-Object Image -eq $Old).RuleId | Should -Contain 'DNS-MUSL-003'
        ($f | Where-Object RuleId -eq 'DNS-MUSL-003').Severity | Should -Be 'Error'
        $f.Platform | Sort-Object -Unique | Should -Be 'linux/amd64'
        ($f | Out-String) | Should -Match 'DNS-CONF-001 +Warning'
    }

    It '-FailOn Warning makes pwsh -Command exit non-zero, naming images and rule ids, while the SARIF file lists every finding' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $all = Test-ImageDns -Image $Alpine, $Glibc, $Static
        $r = Invoke-Child "Test-ImageDns -Image '$Alpine', '$Glibc', '$Static' -FailOn Warning -Format Sarif -OutFile gate.sarif"
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match ([regex]::Escape($Alpine) + ': DNS-MUSL-001, DNS-MUSL-002, DNS-CONF-001')
        $r.Output | Should -Not -Match ([regex]::Escape($Glibc) + ':')
        $sarif = Get-Content (Join-Path $TestDrive 'gate.sarif') -Raw | ConvertFrom-Json
        $sarif.version | Should -Be '2.1.0'
        $results = $sarif.runs[0].results
        $results.Count | Should -Be $all.Count
        $results.ruleId | Should -Be $all.RuleId
        ($results | Where-Object ruleId -eq 'DNS-GLIBC-001').level | Should -Be 'note'
        $sarif.runs[0].tool.driver.rules.helpUri | Should -Match 'docs/rules/DNS-[A-Z]+-\d{3}\.md$'
    }

    It 'passes the gate (exit 0) when nothing reaches the threshold, and writes JUnit' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-Child "Test-ImageDns -Image '$Glibc', '$Alpine' -FailOn Error -Format JUnit -OutFile dns.xml"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        [xml] $x = Get-Content (Join-Path $TestDrive 'dns.xml') -Raw
        $x.testsuites.testsuite.Count | Should -Be 2
        $x.testsuites.failures | Should -Be '0'
        $r = Invoke-Child "Test-ImageDns -Image '$Old' -FailOn Error -Format JUnit -OutFile old.xml"
        $r.ExitCode | Should -Not -Be 0
        [xml] $x = Get-Content (Join-Path $TestDrive 'old.xml') -Raw
        $x.testsuites.failures | Should -Be '1'
    }

    It '-IgnoreFile suppresses until the expiry date; an expired entry stops applying with a warning' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ignore = Join-Path $TestDrive 'dns-ignore'
        @(
            '# accepted risks'
            'DNS-MUSL-001 2099-12-31 # AAAA answered by CoreDNS'
            'DNS-MUSL-002 # no big answers'
            'DNS-CONF-001 2020-01-01 # old exception'
        ) | Set-Content $ignore
        $f = Test-ImageDns -Image $Alpine -IgnoreFile $ignore -WarningVariable w 3>$null
        $f.Count | Should -Be 4
        ($f | Where-Object Suppressed).RuleId | Should -Be 'DNS-MUSL-001', 'DNS-MUSL-002'
        ($f | Where-Object RuleId -eq 'DNS-MUSL-002').SuppressionReason | Should -Be 'no big answers'
        "$w" | Should -Match 'DNS-CONF-001.*expired on 2020-01-01'
        { Test-ImageDns -Image $Alpine -IgnoreFile $ignore -FailOn Warning -WarningAction SilentlyContinue } | Should -Throw '*DNS-CONF-001*'
        { Test-ImageDns -Image $Alpine -IgnoreFile $ignore -ExcludeRule DNS-CONF-001 -FailOn Warning } | Should -Not -Throw
    }

    It 'writes JSON to the pipeline, and -FailOn fails on an image it cannot read' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $json = Test-ImageDns -Image $Static -Format Json | ConvertFrom-Json
        $json.findings.ruleId | Should -Be 'DNS-LIBC-001'
        $json.images.image | Should -Be $Static
        { Test-ImageDns -Image "oci-archive:$Fx/missing.tar" -FailOn Error -ErrorAction SilentlyContinue } | Should -Throw '*could not be read*'
    }
}

Describe 'Test-ImageDns reports against their schemas' -Tag ImageDns {
    It 'writes SARIF that the SARIF 2.1.0 schema accepts: every rule, suppressions, an image it could not read' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ($SarifSchemaSkipReason) { Set-ItResult -Skipped -Because $SarifSchemaSkipReason; return }
        $ignore = Join-Path $TestDrive 'schema-ignore'
        'DNS-MUSL-001 2099-12-31 # AAAA answered by CoreDNS' | Set-Content $ignore
        $images = @($Alpine, $Glibc, $Static, $Old, "docker-archive:$Fx/alpine-glibc-entry.docker.tar", "oci-archive:$Fx/missing.tar")
        if (Test-Path "$Fx/go-alpine.oci.tar") { $images += "oci-archive:$Fx/go-alpine.oci.tar" }
        $sarif = Join-Path $TestDrive 'all.sarif'
        Test-ImageDns -Image $images -IgnoreFile $ignore -Format Sarif -OutFile $sarif -ErrorAction SilentlyContinue
        $errors = @(Get-SarifSchemaError $sarif)
        $errors | Should -BeNullOrEmpty -Because ($errors -join "`n")
        $doc = Get-Content $sarif -Raw | ConvertFrom-Json
        $doc.runs[0].results.ruleId | Should -Contain 'DNS-ENTRY-001'
        ($doc.runs[0].results | Where-Object ruleId -eq 'DNS-MUSL-001').suppressions[0].kind | Should -Be 'external'
        $doc.runs[0].invocations[0].executionSuccessful | Should -BeFalse
        $doc.runs[0].invocations[0].toolExecutionNotifications[0].message.text | Should -Match 'missing\.tar'
    }

    It 'the schema check fails on what the schema forbids (so a pass above means something)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ($SarifSchemaSkipReason) { Set-ItResult -Skipped -Because $SarifSchemaSkipReason; return }
        $good = Test-ImageDns -Image $Alpine -Format Sarif
        $bad = Join-Path $TestDrive 'bad.sarif'
        foreach ($mutation in @(
                @{ From = '"level": "warning"'; To = '"level": "critical"'; Error = 'level' }
                @{ From = '"version": "2.1.0"'; To = '"version": "2.0.0"'; Error = 'version' }
                @{ From = '"ruleId":'; To = '"ruleID": "x", "ruleId":'; Error = 'ruleID' }
                @{ From = '"executionSuccessful": true'; To = '"executionSuccessful": "yes"'; Error = 'executionSuccessful' })) {
            $good.Contains($mutation.From) | Should -BeTrue -Because "the report has $($mutation.From)"
            $good.Replace($mutation.From, $mutation.To) | Set-Content $bad
            (Get-SarifSchemaError $bad) -join "`n" | Should -Match $mutation.Error
        }
    }

    It 'JSON and JUnit reports name the image that could not be read' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $missing = "oci-archive:$Fx/missing.tar"
        $json = Test-ImageDns -Image $Static, $missing -Format Json -ErrorAction SilentlyContinue | ConvertFrom-Json
        $json.errors.image | Should -Be $missing
        $json.errors.message | Should -Match 'missing\.tar'
        [xml] $x = Test-ImageDns -Image $Static, $missing -Format JUnit -ErrorAction SilentlyContinue
        $x.testsuites.errors | Should -Be '1'
        ($x.testsuites.testsuite | Where-Object name -eq $missing).testcase.error.type | Should -Be 'ImageNotInspected'
    }
}
