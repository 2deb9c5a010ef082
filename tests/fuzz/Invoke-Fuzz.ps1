<#
.SYNOPSIS
    Runs the SharpFuzz harnesses of tests/fuzz/DnsTools.Fuzz under afl++ (build.ps1 -Task Fuzz).
.DESCRIPTION
    Publishes the fuzz executable (Release) to out/fuzz, instruments DnsTools.Core.dll and PacketDotNet.dll
    with the sharpfuzz tool, then runs each harness under afl-fuzz for -Minutes minutes, one after the other,
    at the lowest CPU priority (nice 19; the machine may be shared). afl++'s state is kept in
    out/fuzz-findings/<harness> and resumed by the next run. Every crash and hang afl++ saved is copied into
    tests/fuzz/crashes/<harness>/ (named by its SHA-256, so a copy is made once) — to be committed: the
    xunit FuzzRegressionTests replay them in -Task Test. A line per harness (minutes, execs, crashes, hangs)
    is printed and appended to out/fuzz-log.tsv; add it to the table in tests/fuzz/README.md.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Root,
    [double] $Minutes = 10,
    [string[]] $Harness = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$fuzzOut = Join-Path $Root 'out/fuzz'
$findings = Join-Path $Root 'out/fuzz-findings'
$project = Join-Path $Root 'tests/fuzz/DnsTools.Fuzz/DnsTools.Fuzz.csproj'

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') exited with $LASTEXITCODE" }
}

if (-not (Get-Command afl-fuzz -ErrorAction SilentlyContinue)) { throw 'afl-fuzz not found: install the Debian package afl++' }
if (Test-Path $fuzzOut) { Remove-Item $fuzzOut -Recurse -Force }
Invoke-Native dotnet @('publish', $project, '-c', 'Release', '-o', $fuzzOut, '--nologo', '-v', 'quiet')
# The instrumented assemblies report edge coverage to afl++'s shared memory; they only run under afl-fuzz.
foreach ($assembly in 'DnsTools.Core.dll', 'PacketDotNet.dll') {
    Invoke-Native dotnet @('tool', 'run', 'sharpfuzz', (Join-Path $fuzzOut $assembly))
}

$Harness = @($Harness | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$all = & dotnet (Join-Path $fuzzOut 'DnsTools.Fuzz.dll') --list | ForEach-Object { ($_ -split '\s+')[0] }
$selected = if ($Harness.Count -gt 0) { $Harness } else { $all }
foreach ($h in $selected) { if ($h -notin $all) { throw "unknown harness '$h' (known: $($all -join ', '))" } }

$env:AFL_SKIP_BIN_CHECK = '1'        # the target is dotnet, not an afl-compiled binary; SharpFuzz provides the fork server
$env:AFL_NO_UI = '1'
$env:AFL_AUTORESUME = '1'            # continue from out/fuzz-findings/<harness> when it exists
$env:AFL_SKIP_CPUFREQ = '1'
$env:AFL_NO_AFFINITY = '1'           # shared machine: no CPU pinning
$env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
$log = Join-Path $Root 'out/fuzz-log.tsv'
# A fresh clone has no afl++ state yet: afl-fuzz makes its own folder, but the log beside it needs the parent.
New-Item -ItemType Directory -Path $findings -Force | Out-Null
$seconds = [int][math]::Max(10, $Minutes * 60)

foreach ($h in $selected) {
    $corpus = Join-Path $Root "tests/fuzz/corpus/$h"
    $state = Join-Path $findings $h
    # afl++ carries execs_done and the saved counts over when it resumes: the row records this run's share.
    $before = @{ execs_done = 0; saved_crashes = 0; saved_hangs = 0 }
    $statsFile = Join-Path $state 'default/fuzzer_stats'
    if (Test-Path $statsFile) {
        foreach ($line in Get-Content $statsFile) { $k, $v = $line -split '\s*:\s*', 2; if ($before.ContainsKey($k)) { $before[$k] = [long]$v } }
    }
    Write-Host "fuzzing $h for $seconds s"
    $started = Get-Date
    # -t: an input taking over 5 s is a hang (the issue bounds any input under 1 MB at 2 s; 5 s leaves room for a loaded machine); -m none: .NET reserves far more address space than afl's default.
    & nice -n 19 afl-fuzz -i $corpus -o $state -t 5000 -m none -V $seconds -- dotnet (Join-Path $fuzzOut 'DnsTools.Fuzz.dll') $h *> (Join-Path $findings "$h.log")
    $stats = @{ execs_done = 0; saved_crashes = 0; saved_hangs = 0 }
    if (Test-Path $statsFile) {
        foreach ($line in Get-Content $statsFile) { $k, $v = $line -split '\s*:\s*', 2; if ($stats.ContainsKey($k)) { $stats[$k] = [math]::Max(0, [long]$v - $before[$k]) } }
    }
    $kept = 0
    foreach ($kind in 'crashes', 'hangs') {
        $dir = Join-Path $state "default/$kind"
        if (-not (Test-Path $dir)) { continue }
        $target = Join-Path $Root "tests/fuzz/crashes/$h"
        foreach ($file in Get-ChildItem $dir -File | Where-Object Name -like 'id:*') {
            $hash = (Get-FileHash $file.FullName -Algorithm SHA256).Hash.ToLowerInvariant().Substring(0, 16)
            $name = "$(if ($kind -eq 'crashes') { 'crash' } else { 'hang' })-$hash"
            New-Item -ItemType Directory -Path $target -Force | Out-Null
            $dest = Join-Path $target $name
            if (-not (Test-Path $dest)) { Copy-Item $file.FullName $dest; $kept++ }
        }
    }
    $minutesRun = ((Get-Date) - $started).TotalMinutes
    $row = (Get-Date -Format 'yyyy-MM-dd'), $h, ('{0:0.0}' -f $minutesRun), $stats['execs_done'], $stats['saved_crashes'], $stats['saved_hangs'], $kept -join "`t"
    Add-Content -Path $log -Value $row
    Write-Host ("{0}: {1:0.0} min, {2} execs, {3} crashes, {4} hangs saved by afl++; {5} new input(s) copied to tests/fuzz/crashes/{0}" -f $h, $minutesRun, $stats['execs_done'], $stats['saved_crashes'], $stats['saved_hangs'], $kept)
}
