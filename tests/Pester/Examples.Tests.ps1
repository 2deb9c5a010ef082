# Every script under examples/ runs here, so none of them can rot; under Set-StrictMode -Version Latest, as a
# careful user's profile may set it (strict mode set by the caller holds in the scripts it calls).
BeforeAll {
    function script:Invoke-Strict([string] $Script, [string] $Arguments) {
        $command = "Set-StrictMode -Version Latest; `$ErrorActionPreference = 'Stop'; & '$Script' $Arguments"
        $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $command 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
    }
}

Describe 'examples/demo.ps1' {
    It 'runs and shows the incident pod''s resolv.conf and musl ignoring single-request-reopen' {
        $demo = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/demo.ps1'
        $r = Invoke-Strict $demo "-ModuleManifest '$env:DNSTOOLS_MODULE_MANIFEST'"
        $out = $r.Output
        $r.ExitCode | Should -Be 0 -Because $out
        $out | Should -Match 'search tke-test\.svc\.cluster\.local svc\.cluster\.local cluster\.local'
        $out | Should -Match 'Musl\s+5\s+False\s+False\s+single-request-reopen'
        $out | Should -Match 'Glibc\s+5\s+True\s+False'
        # The report's table, replayed on loopback: musl ~5 s and failing, glibc ~1.7 s, without AAAA ~0.
        $out | Should -Match 'musl-1\.2\.3\s+None\s+EAI_AGAIN\s+5\.0\d\d s'
        $out | Should -Match 'glibc-2\.36\s+None\s+ok\s+1\.7\d\d s'
        $out | Should -Match 'glibc-2\.36\s+NoAaaa\s+ok\s+0\.0\d\d s'
        $out | Should -Match 'DNS002'
        # The image step: musl found in the Alpine-like image and flagged (or skipped, saying why).
        $out | Should -Match 'alpine-apk\.oci\.tar\s+musl\s+1\.2\.3|image step skipped'
        $out | Should -Match 'alpine-apk\.oci\.tar\s+DNS-MUSL-001\s+Warning|image step skipped'
        $out | Should -Match 'elink\.spic\.com\.cn\.tke-test\.svc\.cluster\.local\.'
    }
}

Describe 'examples/Get-ImageResolver.ps1' -Tag ImageDns {
    BeforeAll {
        . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
        $script:Example = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/Get-ImageResolver.ps1'
    }

    It 'tells <Image> apart under strict mode: <Libc>' -ForEach @(
        @{ Image = 'alpine-apk.oci.tar'; Libc = 'musl'; ResolvConfIs = 'a file' }
        @{ Image = 'glibc-dpkg.oci.tar'; Libc = 'glibc'; ResolvConfIs = 'a file' }
        @{ Image = 'static.oci.tar'; Libc = 'none found (static or distroless?)'; ResolvConfIs = 'absent (the runtime provides it)' }
    ) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-Strict $Example "-Image 'oci-archive:$Fx/$Image' -ModuleManifest '$env:DNSTOOLS_MODULE_MANIFEST' | ConvertTo-Json -Compress"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $result = $r.Output | ConvertFrom-Json
        $result.Libc | Should -Be $Libc
        $result.ResolvConfIs | Should -Be $ResolvConfIs
    }
}
