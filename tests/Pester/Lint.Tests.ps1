# dnstools-lint (src/DnsTools.Lint) as a CI job runs it: packed as a dotnet tool, installed into a
# tool path from the local package, run against REAL images (tests/fixtures/New-DnsLintFixtures.sh).
BeforeAll {
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/SarifSchema.ps1')
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
    if ($SkipReason) { return }
    $pkg = Join-Path $TestDrive 'pkg'
    $log = & dotnet pack (Join-Path $env:DNSTOOLS_REPO_ROOT 'src/DnsTools.Lint/DnsTools.Lint.csproj') -c Release -o $pkg --nologo -v quiet 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "dotnet pack failed: $log" }
    $tools = Join-Path $TestDrive 'tools'
    # A package cache of its own: the user-wide one may hold an older DnsTools.Lint 0.1.0.
    $saved = $env:NUGET_PACKAGES
    $env:NUGET_PACKAGES = Join-Path $TestDrive 'nuget-cache'
    try { $log = & dotnet tool install DnsTools.Lint --version 0.1.0 --tool-path $tools --add-source $pkg --ignore-failed-sources 2>&1 | Out-String }
    finally { $env:NUGET_PACKAGES = $saved }
    if ($LASTEXITCODE -ne 0) { throw "dotnet tool install failed: $log" }
    $script:Lint = Join-Path $tools 'dnstools-lint'
    $script:Alpine = "oci-archive:$Fx/alpine-apk.oci.tar"
    $script:Glibc = "oci-archive:$Fx/glibc-dpkg.oci.tar"
    function script:Invoke-Lint {
        $out = & $Lint @args 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
    }
}

Describe 'dnstools-lint' -Tag ImageDns {
    It 'exits 1 on findings at --fail-on, 0 below it, and the report lists every finding' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $sarif = Join-Path $TestDrive 'lint.sarif'
        $r = Invoke-Lint --fail-on warning --format sarif -o $sarif $Alpine $Glibc
        $r.ExitCode | Should -Be 1
        $r.Output | Should -Match ([regex]::Escape($Alpine) + ': DNS-MUSL-001, DNS-MUSL-002, DNS-CONF-001')
        $doc = Get-Content $sarif -Raw | ConvertFrom-Json
        $doc.version | Should -Be '2.1.0'
        $doc.runs[0].results.ruleId | Should -Be 'DNS-MUSL-001', 'DNS-MUSL-002', 'DNS-CONF-001', 'DNS-CONF-002', 'DNS-CONF-002', 'DNS-GLIBC-001', 'DNS-GLIBC-002'
        (Invoke-Lint --fail-on error $Alpine $Glibc).ExitCode | Should -Be 0
        (Invoke-Lint $Glibc).ExitCode | Should -Be 0
        if ($SarifSchemaSkipReason) { Set-ItResult -Skipped -Because "SARIF schema check: $SarifSchemaSkipReason"; return }
        $errors = @(Get-SarifSchemaError $sarif)
        $errors | Should -BeNullOrEmpty -Because ($errors -join "`n")
    }

    It 'exits 2 on a usage error or an image it cannot read, and honours ignore files and exclusions' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Invoke-Lint --fail-on sometimes $Alpine).ExitCode | Should -Be 2
        (Invoke-Lint).ExitCode | Should -Be 2
        $r = Invoke-Lint "oci-archive:$Fx/missing.tar"
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'missing.tar'
        $ignore = Join-Path $TestDrive 'lint-ignore'
        'DNS-MUSL-001 # CoreDNS answers AAAA', 'DNS-MUSL-002 2020-01-01 # expired' | Set-Content $ignore
        $r = Invoke-Lint --fail-on warning --exclude DNS-CONF-001 --ignore-file $ignore --format json $Alpine
        $r.ExitCode | Should -Be 1
        $r.Output | Should -Match 'expired on 2020-01-01'
        $r.Output | Should -Match 'DNS-MUSL-002 at or above Warning'
        $r.Output | Should -Not -Match '"ruleId": "DNS-CONF-001"'
        (Invoke-Lint --list-rules).Output | Should -Match 'DNS-ENTRY-001\tWarning'
    }
}
