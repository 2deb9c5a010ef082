<#
.SYNOPSIS
    What `build.ps1 -Task Demo` shows: the resolv.conf of the incident report's pods, and what each
    resolver makes of it. Touches no network.
#>
param([string] $ModuleManifest = 'DnsTools')
$ErrorActionPreference = 'Stop'
$started = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $ModuleManifest
Write-Host "DnsTools $((Get-Module DnsTools).Version) imported in $($started.ElapsedMilliseconds) ms"
Get-Command -Module DnsTools | Format-Table -AutoSize | Out-Host

Write-Host '# The resolv.conf kubelet forms for a ClusterFirst pod in namespace tke-test (the incident report):'
$pod = New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10
$pod | ConvertTo-ResolvConf | Out-Host

Write-Host '# The same pod with a dnsConfig that asks for single-request-reopen — and what each resolver does with it:'
$tuned = New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10 -DnsConfig @{ options = 'single-request-reopen' }
$tuned.Resolvers | Format-Table Family, Ndots, SingleRequestReopen, SingleRequest, @{ n = 'Ignored'; e = { $_.IgnoredOptions -join ' ' } } -AutoSize | Out-Host
Write-Host '# musl lists single-request-reopen under Ignored: the option cannot help an Alpine image.'

$name = 'elink.spic.com.cn'
$dots = ($name.ToCharArray() | Where-Object { $_ -eq '.' }).Count
$ndots = $pod.Musl.Ndots
Write-Host "# '$name' has $dots dots < ndots:$ndots, so every resolver tries $($pod.Search.Count) search candidates before the name itself:"
$pod.Search | ForEach-Object { "    $name.$_." } | Out-Host
"    $name." | Out-Host
