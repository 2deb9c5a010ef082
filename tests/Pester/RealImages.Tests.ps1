# Get-ImageDnsProfile and Test-ImageDns on the real upstream images in ../shared/real-libc (or $env:DNSTOOLS_REAL_LIBC):
# the six official Alpine minirootfs tarballs as single-layer images (umoci) and the official busybox:1.38.0 glibc,
# musl and uclibc OCI layouts, copied to a temporary folder. The expected family, version, resolver and rules come
# from other tools: each Alpine's own musl loader (it prints its version), /etc/alpine-release, glibc's loader
# (--version), `readelf -l` (the interpreter), `file` (static or not), `strings` (the libc's own strings) and the
# publisher's image history ("BusyBox 1.38.0 (musl)").
BeforeDiscovery {
    $script:Cases = @('3.8.5', '3.12.12', '3.13.12', '3.17.10', '3.18.9', '3.20.3' | ForEach-Object { @{ Name = "alpine-$_" } }) +
        @('glibc', 'musl', 'uclibc' | ForEach-Object { @{ Name = "busybox-$_" } })
}

BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $real = if ($env:DNSTOOLS_REAL_LIBC) { $env:DNSTOOLS_REAL_LIBC } else { Join-Path $env:DNSTOOLS_REPO_ROOT '../shared/real-libc' }
    $script:SkipReason = if (-not (Test-Path (Join-Path $real 'README.md'))) { "no real libc artifacts at $real (set DNSTOOLS_REAL_LIBC to their folder)" }
        else { Get-MissingRequirement -Tools 'umoci', 'tar', 'gzip', 'file', 'strings', 'readelf' }
    if ($SkipReason) { return }
    $script:Images = @{}
    $script:Truth = @{}
    $layout = Join-Path $TestDrive 'alpine-oci'
    & umoci init --layout $layout
    & umoci new --image "${layout}:empty"

    # What the rules must say for a C library, from the rule catalogue's own boundaries (docs/rules).
    function script:Expected-Rules([string] $Family, [version] $Version) {
        switch ($Family) {
            'Musl' {
                'DNS-MUSL-001'
                if ($Version -and $Version -lt [version]'1.2.4') { 'DNS-MUSL-002' }
                if ($Version -and $Version -lt [version]'1.1.13') { 'DNS-MUSL-003' }
            }
            'Glibc' { if ($Version -ge [version]'2.36') { 'DNS-GLIBC-001' }; 'DNS-GLIBC-002' }
            'UClibcNg' { 'DNS-UCLIBC-001' }
        }
    }

    # The entrypoint's resolver as readelf and strings see /bin/sh (busybox) of an unpacked root.
    function script:Shell-Truth([string] $Root) {
        $sh = Join-Path $Root 'bin/busybox'
        $m = & readelf -l $sh 2>$null | Select-String 'Requesting program interpreter: (\S+)\]' | Select-Object -First 1
        $interp = if ($m) { $m.Matches[0].Groups[1].Value }
        $isStatic = (& file -L $sh) -match 'static(-pie)? linked|statically linked'
        $strings = & strings -n 6 $sh
        [pscustomobject]@{
            Interpreter = $interp
            Static = [bool] $isStatic
            Musl = [bool] ($strings -contains 'No error information')
            Glibc = [bool] ($strings -contains 'GLIBC_PRIVATE' -or $strings -contains 'GLIBC_TUNABLES')
            UClibc = [bool] (($strings | Select-String -SimpleMatch 'Host name lookup failure').Count -gt 0 -and $strings -contains 'Error 0')
        }
    }

    foreach ($tarball in Get-ChildItem (Join-Path $real 'alpine') -Filter 'alpine-minirootfs-*-x86_64.tar.gz') {
        $version = $tarball.Name -replace '^alpine-minirootfs-(.*)-x86_64\.tar\.gz$', '$1'
        $name = "alpine-$version"
        $root = Join-Path $TestDrive "root-$name"; New-Item -ItemType Directory $root | Out-Null
        & tar -xzf $tarball.FullName -C $root 2>$null
        & gzip -dc $tarball.FullName > (Join-Path $TestDrive "$name.tar")
        & umoci raw add-layer --image "${layout}:empty" --tag $name (Join-Path $TestDrive "$name.tar")
        & umoci config --image "${layout}:$name" --config.cmd /bin/sh   # as the Docker official alpine image
        # musl's loader run with no program prints "Version X" (musl ldso/dynlink.c); it exits 1.
        $musl = (& (Join-Path $root 'lib/ld-musl-x86_64.so.1') 2>&1 | Out-String) -replace '(?s).*Version ([0-9.]+).*', '$1'
        $shell = Shell-Truth $root
        $Images[$name] = "oci-dir:${layout}:$name"
        $Truth[$name] = [pscustomobject]@{
            Family = 'Musl'; Version = $musl.Trim(); Os = "alpine $((Get-Content (Join-Path $root 'etc/alpine-release')).Trim())"
            Resolver = if ($shell.Interpreter -like '*ld-musl*') { 'Musl' } else { "unexpected $($shell.Interpreter)" }
            Rules = @(Expected-Rules 'Musl' ([version] $musl.Trim()))
        }
    }

    foreach ($libc in 'glibc', 'musl', 'uclibc') {
        $name = "busybox-$libc"
        $dir = Join-Path $TestDrive $name
        Copy-Item -Recurse (Join-Path $real "busybox/$libc") $dir
        $root = Join-Path $TestDrive "root-$name"; New-Item -ItemType Directory $root | Out-Null
        & tar -xzf (Join-Path $dir 'rootfs.tar.gz') -C $root 2>$null
        $history = (Get-Content -Raw (Join-Path $dir 'image-config.json') | ConvertFrom-Json).history[0].created_by   # "BusyBox 1.38.0 (musl), …"
        $shell = Shell-Truth $root
        $version = $null
        $family = switch ($libc) {
            'glibc' {
                # glibc's loader prints "ld.so (Debian GLIBC 2.41-12) stable release version 2.41." (elf/rtld.c).
                $version = (& (Join-Path $root 'lib/ld-linux-x86-64.so.2') --version | Select-Object -First 1) -replace '.*version ([0-9.]+)\.$', '$1'
                'Glibc'
            }
            'musl' { if ($shell.Static -and $shell.Musl -and $history -match '\(musl\)') { 'Musl' } else { 'unexpected' } }
            'uclibc' { if ($shell.Static -and $shell.UClibc -and $history -match '\(uclibc\)') { 'UClibcNg' } else { 'unexpected' } }
        }
        $Images[$name] = "oci-dir:$dir"
        $Truth[$name] = [pscustomobject]@{
            Strings = @(& strings -n 6 (Join-Path $root 'bin/busybox'))
            Family = $family; Version = $version; Os = 'busybox ' + ($history -replace '^BusyBox ([0-9.]+).*', '$1')
            Resolver = if ($shell.Interpreter -like '*ld-linux*') { 'Glibc' } elseif ($shell.Static) { $family } else { "unexpected $($shell.Interpreter)" }
            Rules = @(Expected-Rules $family $(if ($version) { [version] $version }))
        }
    }
    $script:Table = [System.Collections.Generic.List[string]]::new()
}

Describe 'Real upstream images' -Tag RealImages {
    It '<Name> profiles as its own tools say (family, version, OS, entrypoint resolver, rules)' -ForEach $Cases {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $t = $Truth[$Name]
        $t | Should -Not -BeNullOrEmpty -Because "the artifact for $Name is in the real libc folder"
        $p = Get-ImageDnsProfile -Image $Images[$Name] -ErrorAction Stop
        $rules = @((Test-ImageDns -Image $Images[$Name] -ErrorAction Stop).RuleId | Sort-Object)
        $Table.Add(('{0,-16} {1,-10} {2,-8} {3,-10} {4}' -f $Name, $p.Libc, $p.Entrypoint.Resolver, "$($p.Os.Id) $($p.Os.VersionId)", ($rules -join ',')))
        "$($p.Libc.Family)" | Should -Be $t.Family
        $p.Libc.Version | Should -Be $t.Version
        if (-not $t.Version -and $t.Family -ne 'Musl') { $p.Libc.Note | Should -Match 'version unknown' -Because 'a static libc carries no version string, and the profile says so' }
        if (-not $t.Version -and $t.Family -eq 'Musl') {
            # busybox:1.38.0-musl is built on Alpine 3.23 (musl 1.2.5): its strerror table shows 1.2.3 or later
            # (`strings` finds "Required key not available"); it links no gai_strerror, so 1.2.4 is not shown.
            $t.Strings | Should -Contain 'Required key not available'
            $p.Libc.MinimumVersion | Should -Be '1.2.3'
            $p.Libc.BeforeVersion | Should -BeNullOrEmpty
            $p.Libc.Note | Should -Match 'version 1\.2\.3 or later'
        }
        "$($p.Os.Id) $($p.Os.VersionId)" | Should -Be $t.Os
        "$($p.Entrypoint.Resolver)" | Should -Be $t.Resolver
        $rules | Should -Be @($t.Rules | Sort-Object)
        # One read per layer (issue 11): the busybox layers store the binary as "bin/[" with /bin/sh and /bin/busybox
        # hard links to it (tar -tv says "link to bin/["), which the path plan does not name.
        $p.LayerReads | Should -Be 1 -Because 'the path plan covers every file the profile reads, hard-linked programs included'
    }

    It 'an unpacked busybox:<_> root (dir:, no image config) is read through /bin/sh' -ForEach 'musl', 'uclibc' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $p = Get-ImageDnsProfile -Image "dir:$(Join-Path $TestDrive "root-busybox-$_")" -ErrorAction Stop
        $p.Entrypoint | Should -BeNullOrEmpty
        "$($p.Libc.Family)" | Should -Be $Truth["busybox-$_"].Family
        $p.Libc.Evidence.Path | Should -Be '/bin/sh'
    }

    AfterAll {
        # The unpacked roots hold absolute links (Alpine's /var/run -> /run): Pester's TestDrive cleanup lists the drive
        # with .NET, which follows them into this machine's /run and /dev/shm. rm removes the links, never what they name.
        Get-ChildItem -LiteralPath $TestDrive -Directory -Filter 'root-*' | ForEach-Object { & rm -rf -- $_.FullName }
        if ($Table.Count) { Write-Host ("`nimage            libc       resolver os         rules`n" + ($Table -join "`n")) }
    }
}
