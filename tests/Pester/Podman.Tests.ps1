# podman: sources against a REAL Podman service (Debian podman 4.3, Docker-compatible API) started
# here with its own --root/--runroot under TestDrive and vfs storage; images loaded by the podman
# CLI from the umoci/skopeo fixtures. The service is stopped by its PID in AfterAll.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:SkipReason = $null
    $script:Service = $null
    $script:OldContainerHost = $env:CONTAINER_HOST
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $script:SkipReason = Get-MissingRequirement -Tools 'podman', 'umoci', 'skopeo', 'find' -Files '/usr/lib/x86_64-linux-musl/libc.so=musl'
    if ($SkipReason) { return }
    if ((& id -u) -ne '0') { $script:SkipReason = 'the podman service is started as root here'; return }

    $script:Fx = Join-Path $TestDrive 'fx'
    $log = & bash (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-ImageFixtures.sh') $Fx 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "New-ImageFixtures.sh failed ($LASTEXITCODE): $log" }

    $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'pm') -Force
    $script:PodmanArgs = @('--root', "$dir/root", '--runroot', "$dir/run", '--storage-driver', 'vfs')
    foreach ($t in 'musl', 'layers', 'glibc-entry') {
        $out = & podman @PodmanArgs load -i "$Fx/$t.docker.tar" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "podman load $t failed: $out" }
    }
    # Asked before CONTAINER_HOST is set: with it, the podman CLI turns into a remote client.
    $script:ExpectedDiffIds = & podman @PodmanArgs image inspect --format '{{json .RootFS.Layers}}' dnstools/musl:latest | ConvertFrom-Json
    $sock = "$dir/podman.sock"
    $podmanExe = (Get-Command podman -CommandType Application | Select-Object -First 1).Source
    $script:Service = Start-Process -FilePath $podmanExe -PassThru -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log" `
        -ArgumentList ($PodmanArgs + @('system', 'service', '--time=0', "unix://$sock"))
    for ($i = 0; $i -lt 100 -and -not (Test-Path $sock); $i++) {
        if ($Service.HasExited) { throw "podman system service exited with $($Service.ExitCode): $(Get-Content "$dir/err.log" -Raw)" }
        Start-Sleep -Milliseconds 100
    }
    if (-not (Test-Path $sock)) { throw 'the podman service made no socket within 10 s' }
    $env:CONTAINER_HOST = "unix://$sock"
}

AfterAll {
    $env:CONTAINER_HOST = $OldContainerHost
    if ($Service -and -not $Service.HasExited) {
        & kill -TERM $Service.Id
        if (-not $Service.WaitForExit(15000)) { Stop-Process -Id $Service.Id -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'podman: (Podman''s Docker-compatible service)' {
    It 'lists the diff ids podman image inspect reports and reads the merged tree' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageLayer -Image podman:dnstools/musl:latest).DiffId | Should -Be $ExpectedDiffIds
        $f = Get-ImageFile -Image podman:dnstools/musl:latest -Path /lib/libc.musl-x86_64.so.1
        $f.ResolvedPath | Should -Be '/lib/ld-musl-x86_64.so.1'
        $tree = Get-ImageFile -Image podman:dnstools/layers:latest -Path / -Recurse
        $tree.Path | Should -Contain '/data/stays.txt'
        $tree.Path | Should -Not -Contain '/data/gone.txt'
        $tree.Path | Should -Not -Contain '/etc/old.conf'
    }

    It 'follows the entrypoint from the image config the service reports' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $e = (Get-ImageDnsProfile -Image podman:dnstools/glibc-entry:latest).Entrypoint
        $e.Command | Should -Be 'docker-entrypoint.sh', 'env'
        $e.Via | Should -Be '/usr/local/bin/docker-entrypoint.sh'
        $e.Path | Should -Be '/usr/bin/env'
        $e.Resolver | Should -Be 'Glibc'
    }
}
