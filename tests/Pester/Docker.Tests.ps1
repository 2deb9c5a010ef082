# docker: sources against a REAL dockerd (Debian docker.io, engine 20.10) started here with everything
# under TestDrive (vfs storage, no network set-up), as tests/../infrastructure notes describe; images
# loaded by the docker CLI from the umoci/skopeo fixtures. dockerd is stopped by its PID in AfterAll.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:SkipReason = $null
    $script:Dockerd = $null
    $script:DataRoot = $null
    $script:OldDockerHost = $env:DOCKER_HOST
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $script:SkipReason = Get-MissingRequirement -Tools 'dockerd', 'docker', 'umoci', 'skopeo', 'find' -Files '/usr/lib/x86_64-linux-musl/libc.so=musl'
    if ($SkipReason) { return }
    if ((& id -u) -ne '0') { $script:SkipReason = 'dockerd needs root'; return }

    $script:Fx = Join-Path $TestDrive 'fx'
    $log = & bash (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-ImageFixtures.sh') $Fx 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "New-ImageFixtures.sh failed ($LASTEXITCODE): $log" }

    $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'dk') -Force
    $script:Sock = "$dir/docker.sock"
    $dockerdExe = (Get-Command dockerd -CommandType Application | Select-Object -First 1).Source
    $script:DataRoot = "$dir/data"
    $script:Dockerd = Start-Process -FilePath $dockerdExe -PassThru -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log" -ArgumentList @(
        '--host', "unix://$Sock", '--data-root', "$dir/data", '--exec-root', "$dir/exec", '--pidfile', "$dir/docker.pid",
        '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none')
    $ready = $false
    for ($i = 0; $i -lt 100 -and -not $ready; $i++) {
        if ($Dockerd.HasExited) { throw "dockerd exited with $($Dockerd.ExitCode): $(Get-Content "$dir/err.log" -Raw)" }
        if (Test-Path $Sock) { & docker -H "unix://$Sock" version *> $null; $ready = $LASTEXITCODE -eq 0 }
        if (-not $ready) { Start-Sleep -Milliseconds 200 }
    }
    if (-not $ready) { throw 'dockerd did not answer within 20 s' }
    foreach ($t in 'musl', 'layers', 'glibc-entry') {
        $out = & docker -H "unix://$Sock" load -i "$Fx/$t.docker.tar" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "docker load $t failed: $out" }
    }
    $env:DOCKER_HOST = "unix://$Sock"

    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/ImageTrees.ps1')
}

AfterAll {
    $env:DOCKER_HOST = $OldDockerHost
    if ($Dockerd -and -not $Dockerd.HasExited) {
        # SIGTERM, so dockerd stops the containerd it started; SIGKILL only if it does not exit.
        & kill -TERM $Dockerd.Id
        if (-not $Dockerd.WaitForExit(15000)) { Stop-Process -Id $Dockerd.Id -Force -ErrorAction SilentlyContinue }
    }
    # dockerd bind-mounts its data root onto itself and may leave it mounted: undo it so TestDrive can go.
    if ($DataRoot -and (Test-Path $DataRoot)) {
        & mountpoint -q $DataRoot
        if ($LASTEXITCODE -eq 0) { & umount $DataRoot }
    }
}

Describe 'docker: (local daemon through Docker.DotNet)' {
    It 'lists the layers docker image inspect reports' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $expected = & docker -H "unix://$Sock" image inspect --format '{{json .RootFS.Layers}}' dnstools/musl:latest | ConvertFrom-Json
        $layers = Get-ImageLayer -Image docker:dnstools/musl:latest
        $layers.DiffId | Should -Be $expected
        $layers[0] | Should -BeOfType 'DnsTools.Core.Images.ImageLayerInfo'
    }

    It 'reads files through links and merges whiteouts and opaque directories like umoci unpack' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $f = Get-ImageFile -Image docker:dnstools/musl:latest -Path /etc/os-release, /lib/libc.musl-x86_64.so.1
        $f[0].Content | Should -BeExactly ([IO.File]::ReadAllText("$Fx/expected/musl/etc/os-release"))
        $f[1].ResolvedPath | Should -Be '/lib/ld-musl-x86_64.so.1'
        (ActualTree (Get-ImageFile -Image docker:dnstools/layers:latest -Path / -Recurse)) | Should -Be (ExpectedTree 'layers')
    }

    It 'follows the entrypoint from the config image inspect reports' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $config = & docker -H "unix://$Sock" image inspect --format '{{json .Config}}' dnstools/glibc-entry:latest | ConvertFrom-Json
        $e = (Get-ImageDnsProfile -Image docker:dnstools/glibc-entry:latest).Entrypoint
        $e.Command | Should -Be (@($config.Entrypoint) + @($config.Cmd))
        $e.Via | Should -Be '/usr/local/bin/docker-entrypoint.sh'
        $e.Path | Should -Be '/usr/bin/env'
        $e.Resolver | Should -Be 'Glibc'
    }

    It 'names an image the daemon does not have' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageLayer -Image docker:dnstools/nope:1 -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match 'dnstools/nope:1'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}
