# The CI gating example (examples/ci) runs here exactly as the GitHub Actions and Azure Pipelines
# snippets call it, against real fixture images, so neither the script nor the snippets can rot.
BeforeAll {
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'fx')
    if ($SkipReason) { return }
    $script:Pwsh = Join-Path $PSHOME 'pwsh'
    # As if installed: the built module's folder (out/DnsTools/<version>) on PSModulePath.
    $script:ModulePath = Split-Path (Split-Path (Split-Path $env:DNSTOOLS_MODULE_MANIFEST))

    # Runs one snippet line in the repository root, as the CI agent would, with IMAGE set.
    function script:Invoke-Snippet([string] $Line, [string] $Image, [string] $Work) {
        $command = $Line -replace '\$\{\{ env\.IMAGE \}\}', $Image -replace '\$\(IMAGE\)', $Image
        $command = $command -replace '^pwsh ', ''
        $command = $command -replace 'examples/ci/', (Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/ci/')
        $saved = $env:PSModulePath
        try {
            $env:PSModulePath = "$ModulePath$([IO.Path]::PathSeparator)$saved"
            Push-Location $Work
            $out = & bash -c "'$Pwsh' $command" 2>&1 | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
        }
        finally { Pop-Location; $env:PSModulePath = $saved }
    }

    function script:GateLine([string] $File) {
        $line = Get-Content (Join-Path $env:DNSTOOLS_REPO_ROOT "examples/ci/$File") | Where-Object { $_ -match 'Invoke-DnsImageGate\.ps1' } | Select-Object -First 1
        ($line -replace '^\s*(run|- script):\s*', '').Trim()
    }
}

Describe 'examples/ci: the DNS image gate as CI runs it' {
    It '<_> fails on the musl image and still writes every finding' -ForEach 'github-actions.yml', 'azure-pipelines.yml' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $work = New-Item -ItemType Directory (Join-Path $TestDrive "musl-$_") -Force
        $r = Invoke-Snippet (GateLine $_) "oci-archive:$Fx/alpine-apk.oci.tar" $work
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $r.Output | Should -Match 'DNS gate failed.*DNS-MUSL-001'
        $sarif = Get-Content (Join-Path $work 'dns.sarif') -Raw | ConvertFrom-Json
        $sarif.version | Should -Be '2.1.0'
        $ruleIds = $sarif.runs[0].results.ruleId
        $ruleIds | Should -Contain 'DNS-MUSL-001'
        $ruleIds | Should -Contain 'DNS-CONF-002'   # an Info finding, below the threshold, is in the report too
        [xml] $junit = Get-Content (Join-Path $work 'dns-junit.xml') -Raw
        $junit.SelectNodes('//testcase').Count | Should -BeGreaterThan 0
    }

    It '<_> passes the glibc image' -ForEach 'github-actions.yml', 'azure-pipelines.yml' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $work = New-Item -ItemType Directory (Join-Path $TestDrive "glibc-$_") -Force
        $r = Invoke-Snippet (GateLine $_) "oci-archive:$Fx/glibc-dpkg.oci.tar" $work
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'DNS gate passed'
        Test-Path (Join-Path $work 'dns.sarif') | Should -BeTrue
    }

    It '<_> writes both reports when one image cannot be read, and exits 2' -ForEach 'github-actions.yml', 'azure-pipelines.yml' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $work = New-Item -ItemType Directory (Join-Path $TestDrive "missing-$_") -Force
        # A CI variable naming several images, one of them missing: the YAML line as it stands, run as the agent runs it.
        $missing = "oci-archive:$Fx/no-such-image.oci.tar"
        $images = "oci-archive:$Fx/glibc-dpkg.oci.tar,$missing,oci-archive:$Fx/alpine-apk.oci.tar"
        $r = Invoke-Snippet (GateLine $_) $images $work
        $r.ExitCode | Should -Be 2 -Because $r.Output
        $r.Output | Should -Match 'DNS gate failed: 1 image\(s\) could not be read: .*no-such-image'
        $sarif = Get-Content (Join-Path $work 'dns.sarif') -Raw | ConvertFrom-Json
        # The readable images' findings are there, and the unreadable image is reported as such.
        $sarif.runs[0].results.ruleId | Should -Contain 'DNS-MUSL-001'
        $sarif.runs[0].invocations[0].executionSuccessful | Should -BeFalse
        ($sarif.runs[0].invocations[0].toolExecutionNotifications.message.text -join ' ') | Should -Match 'no-such-image'
        [xml] $junit = Get-Content (Join-Path $work 'dns-junit.xml') -Raw
        $errors = $junit.SelectNodes('//testcase/error')
        $errors.Count | Should -Be 1
        $errors[0].ParentNode.ParentNode.name | Should -BeLike '*no-such-image*'
        $junit.SelectNodes('//testsuite').Count | Should -Be 3
    }

    It '<_> exits 2 for an unreadable image even when nothing fails on findings (-FailOn None)' -ForEach 'github-actions.yml' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $work = New-Item -ItemType Directory (Join-Path $TestDrive "none-$_") -Force
        $line = (GateLine $_) -replace '-FailOn Warning', '-FailOn None'
        $r = Invoke-Snippet $line "oci-archive:$Fx/no-such-image.oci.tar,oci-archive:$Fx/glibc-dpkg.oci.tar" $work
        $r.ExitCode | Should -Be 2 -Because $r.Output
        Test-Path (Join-Path $work 'dns.sarif') | Should -BeTrue
        Test-Path (Join-Path $work 'dns-junit.xml') | Should -BeTrue
    }
}
