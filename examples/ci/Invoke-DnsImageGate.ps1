<#
.SYNOPSIS
    CI gate: fails the build when an image ships a resolver with findings at or above -FailOn, and
    always writes the full report (SARIF for code scanning, JUnit for test tabs).
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

$ignore = @{}
if ($IgnoreFile) { $ignore.IgnoreFile = $IgnoreFile }

# The reports first, with every finding: the threshold decides the exit code, never the content.
Test-ImageDns -Image $Image @ignore -Format JUnit -OutFile $JUnitFile
try {
    Test-ImageDns -Image $Image @ignore -Format Sarif -OutFile $SarifFile -FailOn $FailOn
    Write-Host "DNS gate passed ($FailOn): $($Image -join ', ')"
}
catch {
    Write-Host "DNS gate failed: $($_.Exception.Message)"
    exit 1
}
