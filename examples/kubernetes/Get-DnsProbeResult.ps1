<#
.SYNOPSIS
    Gathers dnstools-probe results from a cluster (the pods of daemonset.yaml or job.yaml) into PowerShell objects.
.DESCRIPTION
    For every pod with the label app.kubernetes.io/name=dnstools-probe, reads its log (kubectl logs) and turns
    the JSON lines into the objects Test-PodDnsLatency produces (Import-DnsProbeResult), each with the Pod, its
    Node and the Component (node-dns: the node's DNS config; pod-dns or job: a pod's) added.
    -LogDirectory reads logs saved earlier instead (one FILE.jsonl per pod, `kubectl logs POD > POD.jsonl`):
    then Pod is the file's name and nothing is asked of a cluster.
.EXAMPLE
    ./Get-DnsProbeResult.ps1 -Namespace dnstools | Format-Table Node, Component, ResolverSpec, Mitigation, Outcome, Duration
.EXAMPLE
    ./Get-DnsProbeResult.ps1 -LogDirectory ./logs | Group-Object Pod
#>
[CmdletBinding(DefaultParameterSetName = 'Cluster')]
param(
    [Parameter(ParameterSetName = 'Cluster')] [string] $Namespace = 'default',
    [Parameter(ParameterSetName = 'Cluster')] [string] $Selector = 'app.kubernetes.io/name=dnstools-probe',
    [Parameter(ParameterSetName = 'Cluster')] [string] $Kubectl = 'kubectl',
    [Parameter(Mandatory, ParameterSetName = 'Logs')] [string] $LogDirectory,
    # Import-DnsProbeResult comes from the DnsTools module; a path to its manifest when it is not installed.
    [string] $ModuleManifest = 'DnsTools'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if (-not (Get-Command Import-DnsProbeResult -ErrorAction SilentlyContinue)) { Import-Module $ModuleManifest }

function Add-Origin([object[]] $Results, [string] $Pod, [string] $Node, [string] $Component) {
    foreach ($r in $Results) {
        $r | Add-Member -NotePropertyName Pod -NotePropertyValue $Pod -PassThru |
            Add-Member -NotePropertyName Node -NotePropertyValue $Node -PassThru |
            Add-Member -NotePropertyName Component -NotePropertyValue $Component -PassThru
    }
}

if ($PSCmdlet.ParameterSetName -eq 'Logs') {
    foreach ($file in Get-ChildItem -LiteralPath $LogDirectory -Filter '*.jsonl' -File | Sort-Object Name) {
        Add-Origin @(Import-DnsProbeResult -Path $file.FullName) $file.BaseName $null $null
    }
    return
}

$pods = (& $Kubectl get pods -n $Namespace -l $Selector -o json | Out-String | ConvertFrom-Json).items
if ($LASTEXITCODE -ne 0) { throw "$Kubectl get pods -n $Namespace -l $Selector failed ($LASTEXITCODE)" }
foreach ($pod in $pods) {
    $name = $pod.metadata.name
    $lines = & $Kubectl logs -n $Namespace $name -c probe
    if ($LASTEXITCODE -ne 0) { Write-Warning "$name`: kubectl logs failed ($LASTEXITCODE)"; continue }
    $component = $pod.metadata.labels.'app.kubernetes.io/component'
    Add-Origin @($lines | Import-DnsProbeResult) $name $pod.spec.nodeName $component
}
