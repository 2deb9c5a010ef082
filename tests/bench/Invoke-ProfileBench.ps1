<#
.SYNOPSIS
    Image DNS profile benchmark (called by build.ps1 -Task Bench): Get-ImageDnsProfile and Test-ImageDns against a
    bare single-thread GZipStream decode of the same layer blobs, measured in the same run, on two images:
    a real Debian 12 minbase (debootstrap, built here when root with debootstrap; else the largest real image at
    hand) and a generated 500 MB image of 5 layers.
.DESCRIPTION
    Prints per image and scenario: best wall time of -Runs, its ratio to the reference (and the CPU time of that run:
    on a loaded machine the steadier figure; the profile's includes digest checks on a second thread), the decompressed bytes the
    profile reports against the uncompressed size (the reference's byte count), and the peak working set of the
    fresh pwsh that ran it (the reference's peak is pwsh's own baseline). Targets (issue 11): bytes <= 1.0x the
    uncompressed size, profile <= 1.3x the reference, Test-ImageDns no slower than the profile, peak < 200 MB.
    Both cmdlets run alike (-Verbose, output collected, nothing formatted) and the three scenarios take turns, run by
    run, so the machine's load falls on each alike.
    The debootstrap mirror is read from apt's sources at run time.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $WorkDir,
    [int] $Runs = 3
)
$ErrorActionPreference = 'Stop'
$ModuleManifest = (Resolve-Path $ModuleManifest).Path
foreach ($tool in 'umoci', 'tar') {
    if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) { throw "The benchmark needs $tool (Debian package)." }
}
New-Item -ItemType Directory -Path $WorkDir -Force | Out-Null
$WorkDir = (Resolve-Path $WorkDir).Path
$pwsh = Join-Path $PSHOME 'pwsh'

# --- A real Debian 12 minbase, by debootstrap -----------------------------------------------------------------
function Get-DebianMirror {
    # deb822 sources: the first URIs of a stanza whose Suites has bookworm (not the security archive).
    $file = '/etc/apt/sources.list.d/debian.sources'
    if (-not (Test-Path $file)) { return $null }
    foreach ($stanza in ((Get-Content $file -Raw) -split "\n\s*\n")) {
        $uris = [regex]::Match($stanza, '(?m)^URIs:\s*(\S+)').Groups[1].Value
        $suites = [regex]::Match($stanza, '(?m)^Suites:\s*(.+)$').Groups[1].Value
        if ($uris -and ($suites -split '\s+') -contains 'bookworm') { return $uris }
    }
    $null
}

function New-DebianImage {
    $layout = Join-Path $WorkDir 'debian-oci'
    $done = Join-Path $WorkDir 'debian-oci.done'
    if (Test-Path $done) { return "oci-dir:${layout}:minbase" }
    $isRoot = (& id -u) -eq '0'
    $mirror = Get-DebianMirror
    if (-not $isRoot -or -not (Get-Command debootstrap -ErrorAction SilentlyContinue) -or -not $mirror) {
        Write-Host "No debootstrap image: needs root, debootstrap and a Debian mirror in apt's sources."
        return $null
    }
    $rootfs = Join-Path $WorkDir 'debian-rootfs'
    if (Test-Path $rootfs) { Remove-Item -Recurse -Force $rootfs }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & debootstrap --variant=minbase bookworm $rootfs $mirror *> (Join-Path $WorkDir 'debootstrap.log')
    if ($LASTEXITCODE -ne 0) { Write-Host "debootstrap failed ($LASTEXITCODE); see $WorkDir/debootstrap.log"; return $null }
    if (Test-Path $layout) { Remove-Item -Recurse -Force $layout }
    & umoci init --layout $layout
    & umoci new --image "${layout}:minbase"
    $tar = Join-Path $WorkDir 'debian.tar'
    & tar --numeric-owner --sort=name -C $rootfs -cf $tar .
    & umoci raw add-layer --history.created_by 'debootstrap --variant=minbase bookworm' --image "${layout}:minbase" $tar 2>$null
    if ($LASTEXITCODE -ne 0) { throw 'umoci raw add-layer failed' }
    # As Docker's debian image: Cmd ["bash"].
    & umoci config --image "${layout}:minbase" --config.cmd bash
    Remove-Item $tar
    Remove-Item -Recurse -Force $rootfs
    Set-Content $done 'complete'
    Write-Host "Built the Debian minbase image in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s -> $layout"
    "oci-dir:${layout}:minbase"
}

function Get-RealImageAtHand {
    # The official busybox glibc image (the largest real one among the shared artifacts).
    $dir = if ($env:DNSTOOLS_REAL_LIBC) { $env:DNSTOOLS_REAL_LIBC } else { Join-Path $PSScriptRoot '../../../shared/real-libc' }
    $glibc = Join-Path $dir 'busybox/glibc'
    if (Test-Path (Join-Path $glibc 'index.json')) {
        $copy = Join-Path $WorkDir 'busybox-glibc'
        if (-not (Test-Path $copy)) { Copy-Item -Recurse $glibc $copy }
        return "oci-dir:$copy"
    }
    $null
}

# --- A generated 500 MB image of 5 layers ------------------------------------------------------------------------
function New-GeneratedImage {
    $layout = Join-Path $WorkDir 'gen-oci'
    $done = Join-Path $WorkDir 'gen-oci.done'
    if (Test-Path $done) { return "oci-dir:${layout}:gen" }
    if (Test-Path $layout) { Remove-Item -Recurse -Force $layout }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & umoci init --layout $layout
    & umoci new --image "${layout}:gen"
    for ($i = 1; $i -le 5; $i++) {
        $r = Join-Path $WorkDir "gen-layer$i"
        if (Test-Path $r) { Remove-Item -Recurse -Force $r }
        New-Item -ItemType Directory "$r/srv/data$i" -Force | Out-Null
        if ($i -eq 1) {
            # A glibc base: the host's libc and loader, a dpkg database, os-release, resolv.conf; /usr/bin/env as entrypoint.
            New-Item -ItemType Directory "$r/usr/lib/x86_64-linux-gnu", "$r/usr/lib64", "$r/etc", "$r/usr/bin", "$r/var/lib/dpkg" -Force | Out-Null
            Copy-Item /lib/x86_64-linux-gnu/libc.so.6 "$r/usr/lib/x86_64-linux-gnu/libc.so.6"
            Copy-Item (& readlink -f /lib64/ld-linux-x86-64.so.2) "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
            & ln -s usr/lib "$r/lib"; & ln -s usr/lib64 "$r/lib64"
            & ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/usr/lib64/ld-linux-x86-64.so.2"
            Copy-Item (& readlink -f /usr/bin/env) "$r/usr/bin/env"
            Set-Content "$r/var/lib/dpkg/status" "Package: libc6`nStatus: install ok installed`nVersion: 2.36-9+deb12u14`n"
            Set-Content "$r/usr/lib/os-release" "ID=debian`nVERSION_ID=`"12`"`n"
            & ln -s ../usr/lib/os-release "$r/etc/os-release"
            Set-Content "$r/etc/resolv.conf" "nameserver 192.0.2.53`noptions ndots:5`n"
        }
        # 100 MB per layer: 400 files of 250 KB, base64 of random bytes (compresses to about 3/4, like binaries and data).
        & bash -c "cd '$r/srv/data$i' && head -c 75000000 /dev/urandom | base64 -w 76 | split -b 256000 -a 3 - f"
        $tar = Join-Path $WorkDir "gen-layer$i.tar"
        & tar --numeric-owner --sort=name -C $r -cf $tar .
        & umoci raw add-layer --history.created_by "generated layer $i" --image "${layout}:gen" $tar 2>$null
        if ($LASTEXITCODE -ne 0) { throw "umoci raw add-layer $tar failed" }
        Remove-Item $tar; Remove-Item -Recurse -Force $r
    }
    & umoci config --image "${layout}:gen" --config.entrypoint /usr/bin/env
    Set-Content $done 'complete'
    Write-Host "Built the generated image in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s -> $layout"
    "oci-dir:${layout}:gen"
}

# One fresh pwsh per run. The timed part is the body alone; what the figures need from its output (byte count, reads)
# is taken after the clock stops, so each leg times only the user-visible work of its cmdlet.
function Invoke-Run([pscustomobject] $Scenario, [string] $Image) {
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$image = '$Image'
`$process = [Diagnostics.Process]::GetCurrentProcess()
`$cpu0 = `$process.TotalProcessorTime
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$result = & { $($Scenario.Body) }
`$seconds = `$sw.Elapsed.TotalSeconds
`$process.Refresh()
`$cpu = (`$process.TotalProcessorTime - `$cpu0).TotalSeconds
`$counts = & { $($Scenario.Counts) }
[pscustomobject]@{ Seconds = `$seconds; Cpu = `$cpu; Bytes = [long]`$counts[0]; Reads = [int]`$counts[1]; PeakMB = [math]::Round(`$process.PeakWorkingSet64 / 1MB) } | ConvertTo-Json -Compress
"@
    $json = & $pwsh -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "$($Scenario.Name) failed: $json" }
    $json | Select-Object -Last 1 | ConvertFrom-Json
}

# The scenarios take turns (reference, profile, test, then again) rather than running -Runs times each in a row, so a
# change in the machine's load during the bench falls on all of them alike; the best run of each is shown.
function Invoke-Scenarios([pscustomobject[]] $Scenarios, [string] $Image) {
    $best = @{}
    for ($r = 0; $r -lt $Runs; $r++) {
        foreach ($s in $Scenarios) {
            $m = Invoke-Run $s $Image
            if (-not $best[$s.Name] -or $m.Seconds -lt $best[$s.Name].Seconds) { $best[$s.Name] = $m }
        }
    }
    foreach ($s in $Scenarios) {
        $b = $best[$s.Name]
        [pscustomobject]@{ Scenario = $s.Name; Seconds = $b.Seconds; Cpu = $b.Cpu; Bytes = $b.Bytes; Reads = $b.Reads; PeakMB = $b.PeakMB }
    }
}

# Reference: a bare single-thread GZipStream decode of every layer blob (64 KB buffer), nothing else.
$referenceLeg = [pscustomobject]@{ Name = 'GZipStream decode (reference)'; Counts = '$result'; Body = @'
$total = 0L
$buffer = [byte[]]::new(65536)
$dir = ($image -replace '^oci-dir:', '') -replace ':[^:/]+$', ''
foreach ($l in (Get-ImageLayer -Image $image)) {
    $fs = [IO.File]::OpenRead("$dir/blobs/sha256/$($l.Digest.Substring(7))")
    $gz = [IO.Compression.GZipStream]::new($fs, [IO.Compression.CompressionMode]::Decompress)
    while (($n = $gz.Read($buffer, 0, $buffer.Length)) -gt 0) { $total += $n }
    $gz.Dispose(); $fs.Dispose()
}
$total, 0
'@ }
# The two cmdlets run alike: -Verbose, the output and the verbose records collected (nothing formatted). Both write the
# same "decompressed bytes" verbose line; the profile's own properties give the figures of the first.
$profileLeg = [pscustomobject]@{ Name = 'Get-ImageDnsProfile'; Body = 'Get-ImageDnsProfile -Image $image -Verbose 4>&1'; Counts = @'
$p = $result | Where-Object { $_ -is [DnsTools.Core.Inspection.ImageDnsProfile] }
if (-not $p.Libc) { throw 'no profile' }
$p.DecompressedBytes, $p.LayerReads
'@ }
$testLeg = [pscustomobject]@{ Name = 'Test-ImageDns'; Body = 'Test-ImageDns -Image $image -Verbose 4>&1'; Counts = @'
$v = $result | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'decompressed bytes' }
$m = [regex]::Match($v[0].Message, '([\d,.]+) decompressed bytes in (\d+) read')
($m.Groups[1].Value -replace '[^\d]', ''), $m.Groups[2].Value
'@ }

$images = @()
$debian = New-DebianImage
if ($debian) { $images += [pscustomobject]@{ Name = 'Debian 12 minbase (debootstrap)'; Ref = $debian } }
elseif ($real = Get-RealImageAtHand) { $images += [pscustomobject]@{ Name = 'busybox:1.38.0-glibc (official, largest real image at hand)'; Ref = $real } }
$images += [pscustomobject]@{ Name = 'generated, 5 layers'; Ref = (New-GeneratedImage) }

Write-Host ''
Write-Host "Profile benchmark ($Runs runs each, taking turns, best shown; $([Environment]::ProcessorCount) cores; load average $((Get-Content /proc/loadavg) -replace ' \d+/.*$', ''))"
foreach ($img in $images) {
    $dir = ($img.Ref -replace '^oci-dir:', '') -replace ':[^:/]+$', ''
    $layerCount = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; (Get-ImageLayer -Image '$($img.Ref)').Count"
    $compressed = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; (Get-ImageLayer -Image '$($img.Ref)' | Measure-Object CompressedSize -Sum).Sum"
    $reference, $profile, $test = Invoke-Scenarios @($referenceLeg, $profileLeg, $testLeg) $img.Ref
    $uncompressed = $reference.Bytes
    Write-Host ''
    Write-Host ("{0}: {1} layer(s), {2:N1} MB compressed, {3:N1} MB uncompressed" -f $img.Name, $layerCount, ($compressed / 1MB), ($uncompressed / 1MB))
    foreach ($s in $reference, $profile, $test) {
        $bytes = if ($s -eq $reference) { '' } else { 'decompressed {0:N1} MB = x{1:N2} of uncompressed in {2} read(s)' -f ($s.Bytes / 1MB), ($s.Bytes / $uncompressed), $s.Reads }
        Write-Host ("  {0,-32} {1,7:N2} s  x{2,5:N2} of reference  (CPU {3,6:N2} s, x{4,5:N2})  peak working set {5,4} MB  {6}" -f $s.Scenario, $s.Seconds, ($s.Seconds / $reference.Seconds), $s.Cpu, ($s.Cpu / $reference.Cpu), $s.PeakMB, $bytes)
    }
    Write-Host ("  Test-ImageDns / Get-ImageDnsProfile: x{0:N2} (CPU x{1:N2})" -f ($test.Seconds / $profile.Seconds), ($test.Cpu / $profile.Cpu))
}
