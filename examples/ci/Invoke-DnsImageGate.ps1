<#
.SYNOPSIS
    CI gate: fails the build when an image ships a resolver with findings at or above -FailOn, and
    always writes the full report (SARIF for code scanning, JUnit for test tabs), an image that could
    not be read included.
.DESCRIPTION
    Exit codes, as dnstools-lint: 0 pass; 1 findings at or above -FailOn; 2 an image could not be read
    (it is in both reports as an error, so they never look clean). The reports are written first, in
    every case, so `if: always()` / `condition: always()` upload steps find them.
    Several images: repeat them in -Image, or separate them with commas in one argument (as a CI
    variable passes them through `pwsh -File`).
.EXAMPLE
    pwsh -NoProfile -File examples/ci/Invoke-DnsImageGate.ps1 -Image oci-archive:./app.tar -FailOn Warning -SarifFile dns.sarif -JUnitFile dns-junit.xml
#>
param(
    [Parameter(Mandatory)] [string[]] $Image,
    [ValidateSet('None', 'Info', 'Warning', 'Error')] [string] $FailOn = 'Warning',
    [string] $IgnoreFile,
    [string] $SarifFile = 'dns.sarif',
    [string] $JUnitFile = 'dns-junit.xml'
)
$ErrorActionPreference = 'Stop'
Import-Module DnsTools

# pwsh -File hands "-Image a,b" over as one string.
$images = @($Image | ForEach-Object { $_ -split ',' } | ForEach-Object Trim | Where-Object { $_ })
$ignore = @{}
if ($IgnoreFile) { $ignore.IgnoreFile = $IgnoreFile }

# The reports first, with every finding: the threshold decides the exit code, never the content. An
# unreadable image is a non-terminating error of Test-ImageDns (it goes into the report): -ErrorAction
# Continue keeps this script's Stop from ending the run before the report is written.
Test-ImageDns -Image $images @ignore -Format JUnit -OutFile $JUnitFile -Force -ErrorAction SilentlyContinue
$unreadable = @()
try {
    Test-ImageDns -Image $images @ignore -Format Sarif -OutFile $SarifFile -Force -FailOn $FailOn -ErrorAction Continue -ErrorVariable unreadable
    $failed = $null
}
catch {
    $failed = $_.Exception.Message
}
# The errors about images (their TargetObject is the image); the gate's own failure is in $failed.
$unreadable = @($unreadable | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and $_.TargetObject -is [string] -and $images -contains $_.TargetObject })
if ($unreadable.Count -gt 0) {
    Write-Host "DNS gate failed: $($unreadable.Count) image(s) could not be read: $(($unreadable | ForEach-Object TargetObject) -join ', ') (reports: $SarifFile, $JUnitFile)"
    exit 2
}
if ($failed) {
    Write-Host "DNS gate failed: $failed"
    exit 1
}
Write-Host "DNS gate passed ($FailOn): $($images -join ', ')"
