# Every script under examples/ runs here, so none of them can rot.
Describe 'examples/demo.ps1' {
    It 'runs and shows the incident pod''s resolv.conf and musl ignoring single-request-reopen' {
        $demo = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/demo.ps1'
        $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $demo -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Match 'search tke-test\.svc\.cluster\.local svc\.cluster\.local cluster\.local'
        $out | Should -Match 'Musl\s+5\s+False\s+False\s+single-request-reopen'
        $out | Should -Match 'Glibc\s+5\s+True\s+False'
        $out | Should -Match 'elink\.spic\.com\.cn\.tke-test\.svc\.cluster\.local\.'
    }
}
