<#
.SYNOPSIS
    Image-scan benchmark (called by build.ps1 -Task Bench): Get-ImageFile over a multi-layer image
    of several hundred MB against a bare GZipStream read loop over the same layer blobs, measured in
    the same run. Prints each scenario's best of -Runs, its ratio to the reference and the peak
    working set of the process that ran it.
.DESCRIPTION
    The image is built once under -WorkDir with umoci from files of this machine (/usr/lib/gcc,
    /usr/share/locale, /usr/lib/python3*, ...), gzip layers, plus a small layer with a whiteout.
    Every scenario runs in a fresh pwsh so peak working sets are comparable.
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
$layout = Join-Path $WorkDir 'bench-oci'
$sources = @(
    @('usr/lib/gcc'),
    @('usr/share/locale'),
    @('usr/lib/python3', 'usr/lib/python3.11', 'usr/share/perl', 'usr/share/perl5'),
    @('usr/share/man')
) | ForEach-Object { , @($_ | Where-Object { Test-Path "/$_" }) } | Where-Object { $_.Count -gt 0 }

$done = Join-Path $WorkDir 'bench-oci.done'
if (-not (Test-Path $done)) {
    if (Test-Path $layout) { Remove-Item -Recurse -Force $layout }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & umoci init --layout $layout
    & umoci new --image "${layout}:bench"
    $i = 0
    foreach ($dirs in $sources) {
        $i++
        $tar = Join-Path $WorkDir "layer$i.tar"
        & tar --numeric-owner -C / -cf $tar @dirs 2>$null
        & umoci raw add-layer --history.created_by "bench layer $i" --image "${layout}:bench" $tar 2>$null
        if ($LASTEXITCODE -ne 0) { throw "umoci raw add-layer $tar failed" }
        Remove-Item $tar
    }
    # A top layer that deletes a directory from below (a whiteout).
    $top = Join-Path $WorkDir 'top'
    New-Item -ItemType Directory "$top/usr/share/locale" -Force | Out-Null
    New-Item -ItemType File "$top/usr/share/locale/.wh.de" -Force | Out-Null
    & tar --numeric-owner -C $top -cf "$WorkDir/top.tar" usr
    & umoci raw add-layer --history.created_by 'bench whiteout' --image "${layout}:bench" "$WorkDir/top.tar" 2>$null
    Remove-Item -Recurse -Force $top, "$WorkDir/top.tar"
    Set-Content $done 'complete'
    Write-Host "Built the benchmark image in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s -> $layout"
}

$pwsh = Join-Path $PSHOME 'pwsh'
function Invoke-Scenario([string] $Name, [string] $Body) {
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$layout = '$layout'
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$bytes = & { $Body }
`$seconds = `$sw.Elapsed.TotalSeconds
[pscustomobject]@{ Seconds = `$seconds; Bytes = [long]`$bytes; PeakMB = [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB) } | ConvertTo-Json -Compress
"@
    $best = $null
    for ($r = 0; $r -lt $Runs; $r++) {
        $json = & $pwsh -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw "$Name failed: $json" }
        $m = $json | Select-Object -Last 1 | ConvertFrom-Json
        if (-not $best -or $m.Seconds -lt $best.Seconds) { $best = $m }
    }
    [pscustomobject]@{ Scenario = $Name; Seconds = [math]::Round($best.Seconds, 2); Bytes = $best.Bytes; PeakMB = $best.PeakMB }
}

# Reference: what any reader must at least do — inflate every layer blob (64 KB buffer), nothing else.
$reference = Invoke-Scenario 'GZipStream read loop (reference)' @'
$total = 0L
$buffer = [byte[]]::new(65536)
foreach ($l in (Get-ImageLayer -Image "oci-dir:${layout}:bench")) {
    $fs = [IO.File]::OpenRead("$layout/blobs/sha256/$($l.Digest.Substring(7))")
    $gz = [IO.Compression.GZipStream]::new($fs, [IO.Compression.CompressionMode]::Decompress)
    while (($n = $gz.Read($buffer, 0, $buffer.Length)) -gt 0) { $total += $n }
    $gz.Dispose(); $fs.Dispose()
}
$total
'@
$scan = Invoke-Scenario 'Get-ImageFile -Path / -Recurse (whole merged tree)' @'
$files = Get-ImageFile -Image "oci-dir:${layout}:bench" -Path / -Recurse
$files.Count
'@
$lookup = Invoke-Scenario 'Get-ImageFile -Path <one file> (content)' @'
$f = Get-ImageFile -Image "oci-dir:${layout}:bench" -Path /usr/lib/python3.11/os.py
if (-not $f.Content) { throw 'no content' }
$f.Size
'@

$decompressed = $reference.Bytes
Write-Host ''
$layerCount = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifest'; (Get-ImageLayer -Image 'oci-dir:${layout}:bench').Count"
$compressed = (Get-ChildItem "$layout/blobs/sha256" | Measure-Object Length -Sum).Sum
Write-Host ("Image: {0} layers, {1:N0} MB compressed, {2:N0} MB decompressed ({3} runs each, best shown; ratios from this run)" -f $layerCount, ($compressed / 1MB), ($decompressed / 1MB), $Runs)
foreach ($s in $reference, $scan, $lookup) {
    $ratio = $s.Seconds / $reference.Seconds
    Write-Host ("{0,-52} {1,7:N2} s {2,8:N0} MB/s  x{3,5:N2} of reference  peak working set {4,5} MB" -f $s.Scenario, $s.Seconds, ($decompressed / 1MB / $s.Seconds), $ratio, $s.PeakMB)
}
Write-Host ("Entries listed by the full scan: {0:N0}" -f $scan.Bytes)
