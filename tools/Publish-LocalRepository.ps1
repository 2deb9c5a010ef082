<#
.SYNOPSIS
    Publishes a built module folder to a local PSResource repository folder, without ever
    contacting the PowerShell Gallery (a temporary repository registration, removed afterwards).
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDirectory,
    [Parameter(Mandatory)] [string] $RepositoryPath
)
$ErrorActionPreference = 'Stop'
# A private repository store for this one registration: the user's own list stays untouched, and
# PSResourceGet never falls back to writing its store into the current directory (it does when
# LocalApplicationData does not exist).
$store = Join-Path ([IO.Path]::GetTempPath()) "dnstools-psresource-$PID"
New-Item -ItemType Directory $store -Force | Out-Null
$env:XDG_DATA_HOME = $store
$name = "DnsToolsLocal$([guid]::NewGuid().ToString('N').Substring(0, 8))"
Register-PSResourceRepository -Name $name -Uri $RepositoryPath -Trusted -Force
try {
    Publish-PSResource -Path $ModuleDirectory -Repository $name -SkipDependenciesCheck
}
finally {
    Unregister-PSResourceRepository -Name $name
    Remove-Item $store -Recurse -Force -ErrorAction SilentlyContinue
}
