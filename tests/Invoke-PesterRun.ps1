<#
.SYNOPSIS
    Runs the Pester suite against a built module and writes the counts as JSON (called by build.ps1).
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultFile,
    [string[]] $Tag = @()
)
$ErrorActionPreference = 'Stop'
$env:NO_COLOR = '1'
Import-Module $PesterPath -Force
# Tests import the module from here, as a user would import an installed copy.
$env:DNSTOOLS_MODULE_MANIFEST = $ModuleManifest

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = 'Plaintext'
# build.ps1 passes several tags as one comma-separated argument (pwsh -File does not split it).
if ($Tag.Count -gt 0) { $config.Filter.Tag = @($Tag -split ',' | Where-Object { $_ }) }
$result = Invoke-Pester -Configuration $config

# Failed blocks and containers (a BeforeAll that threw, a file that did not parse) are failures too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
New-Item -ItemType Directory -Path (Split-Path $ResultFile) -Force | Out-Null
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
    # Named again at the end of the build's output, where a CI log's tail shows them.
    FailedNames = @(@($result.Failed) + @($result.FailedBlocks) + @($result.FailedContainers) |
        ForEach-Object { if ($_.ExpandedPath) { $_.ExpandedPath } elseif ($_.Item) { "$($_.Item)" } else { "$($_.Name)" } })
} | ConvertTo-Json | Set-Content $ResultFile
