# Every script under examples/ runs here, so none of them can rot.
Describe 'examples/demo.ps1' {
    It 'runs and shows the incident pod''s resolv.conf and musl ignoring single-request-reopen' {
        $demo = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/demo.ps1'
        $out = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $demo -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
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
