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

Describe 'dnstools-lint failures' -Tag ImageDns, LintCli {
    BeforeAll {
        if ($SkipReason) { return }
        $script:NotAnImage = Join-Path $TestDrive 'not-an-image.tar'
        'just text' | Set-Content $NotAnImage
        $script:Truncated = Join-Path $TestDrive 'truncated.oci.tar'
        $bytes = [IO.File]::ReadAllBytes("$Fx/alpine-apk.oci.tar")
        [IO.File]::WriteAllBytes($Truncated, $bytes[0..([math]::Min(4095, $bytes.Length - 1))])
        $script:BadIgnore = Join-Path $TestDrive 'bad-ignore'
        'DNS-MUSL-001 tomorrow' | Set-Content $BadIgnore
        # Runs the CLI with stderr kept apart: exit code, stderr lines, stdout.
        function script:Invoke-LintSplit {
            $errFile = Join-Path $TestDrive 'stderr.txt'
            $out = & $Lint @args 2>$errFile | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Stderr = @(Get-Content $errFile | Where-Object { $_ }); Stdout = $out }
        }
    }

    # Every failure the cmdlets' error tests cover (ImageDns/Lint/Images tests), plus what only a CLI meets.
    It 'exits 2 with one line on stderr naming the input: <Case>' -ForEach @(
        @{ Case = 'output folder missing'; Argv = { '-o', '/missing/dir/x.sarif', $Alpine }; Names = '/missing/dir' }
        @{ Case = 'output is a folder'; Argv = { '-o', $TestDrive, $Alpine }; Names = 'is a directory' }
        @{ Case = 'missing image file'; Argv = { "oci-archive:$Fx/missing.tar" }; Names = 'missing\.tar' }
        @{ Case = 'not an image'; Argv = { $NotAnImage }; Names = 'not-an-image\.tar' }
        @{ Case = 'truncated archive'; Argv = { "oci-archive:$Truncated" }; Names = 'truncated\.oci\.tar' }
        @{ Case = 'registry reference without host'; Argv = { 'registry:alpine' }; Names = 'alpine' }
        @{ Case = 'daemon not running'; Argv = { '--platform', 'linux/amd64', 'docker:dnstools/none:1' }; Env = 'unix:///nonexistent/docker.sock'; Names = 'dnstools/none:1' }
        @{ Case = 'malformed platform'; Argv = { '--platform', 'linux', $Alpine }; Names = 'platform' }
        @{ Case = 'platform not offered'; Argv = { '--platform', 'linux/s390x', $Alpine }; Names = 's390x' }
        @{ Case = 'ignore file missing'; Argv = { '--ignore-file', (Join-Path $TestDrive 'no-such-ignore'), $Alpine }; Names = 'no-such-ignore' }
        @{ Case = 'ignore file with a bad date'; Argv = { '--ignore-file', $BadIgnore, $Alpine }; Names = 'tomorrow' }
        @{ Case = 'bad --fail-on'; Argv = { '--fail-on', 'sometimes', $Alpine }; Names = 'sometimes' }
        @{ Case = 'bad --format'; Argv = { '--format', 'xml', $Alpine }; Names = 'xml' }
        @{ Case = 'unknown option'; Argv = { '--frobnicate', $Alpine }; Names = 'frobnicate' }
        @{ Case = 'option without its value'; Argv = { $Alpine, '--output' }; Names = 'output' }
        @{ Case = 'no image'; Argv = { }; Names = 'image' }
    ) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $argv = @(& $Argv)
        $saved = $env:DOCKER_HOST
        if ($Env) { $env:DOCKER_HOST = $Env }
        try { $sw = [Diagnostics.Stopwatch]::StartNew(); $r = Invoke-LintSplit @argv }
        finally { $env:DOCKER_HOST = $saved }
        $r.ExitCode | Should -Be 2 -Because ($r.Stderr -join "`n")
        $r.Stderr.Count | Should -Be 1 -Because ($r.Stderr -join "`n")
        $r.Stderr[0] | Should -Match '^dnstools-lint: '
        $r.Stderr[0] | Should -Match $Names
        $r.Stderr[0] | Should -Not -Match 'Unhandled|Exception'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'checks the output path before the scan: no report, no scan when the folder is missing' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-LintSplit -o /missing/dir/x.sarif "oci-archive:$Fx/missing.tar"
        $r.ExitCode | Should -Be 2
        # The missing image is not even opened: the output path fails first.
        $r.Stderr | Should -Not -Match 'missing\.tar'
        $r.Stdout | Should -BeNullOrEmpty
    }
}
