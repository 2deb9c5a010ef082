<#
.SYNOPSIS
    What `build.ps1 -Task Demo` shows: the resolv.conf of the incident report's pods, what each
    resolver makes of it, and the incident replayed against a lab DNS server on loopback (musl ~5 s,
    glibc ~1.7 s, without AAAA ~0), explained by the diagnosis. Touches only loopback.
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

# ---------------------------------------------------------------------------------------------
# Which resolver do the images ship? Real musl (Alpine layout) and glibc images, built with umoci and
# skopeo from Debian's files, inspected without a container runtime.
$fixtures = Join-Path ([IO.Path]::GetTempPath()) "dnstools-demo-$PID"
try {
    $script = Join-Path $PSScriptRoot '../tests/fixtures/New-DnsLintFixtures.sh'
    $log = & bash $script $fixtures 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) {
        Write-Host "# (image step skipped: the example images could not be built here: $($log.Trim()))"
    }
    else {
        $images = "oci-archive:$fixtures/alpine-apk.oci.tar", "oci-archive:$fixtures/glibc-dpkg.oci.tar"
        Write-Host '# The DNS profile of a musl (Alpine-like) and a glibc (Debian-like) image:'
        Get-ImageDnsProfile -Image $images | Format-Table @{ n = 'Image'; e = { Split-Path $_.Image -Leaf } }, Libc, LibcVersion -AutoSize | Out-Host
        Write-Host '# Their findings (Test-ImageDns; -FailOn Warning would fail a pipeline on the musl one):'
        Test-ImageDns -Image $images | Format-Table @{ n = 'Image'; e = { Split-Path $_.Image -Leaf } }, RuleId, Severity, Title -AutoSize -Wrap | Out-Host
    }
}
finally {
    if (Test-Path $fixtures) { Remove-Item $fixtures -Recurse -Force }
}

# ---------------------------------------------------------------------------------------------
# The incident, reproduced on loopback: a lab DNS server with the report's behaviour (NXDOMAIN for
# the cluster search expansions, A answered at once, AAAA SERVFAIL after ~1.7 s), and the resolvers
# replayed against it with the pod's resolv.conf (default timeout:5 attempts:2).
$lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN'
try {
    Write-Host "# Lab DNS server on $($lab.EndPoint): $($lab.Description)"
    $runs = @(
        @{ Resolver = 'musl-1.2.3'; Mitigation = 'None' }
        @{ Resolver = 'glibc-2.36'; Mitigation = 'None' }
        @{ Resolver = 'go-1.22'; Mitigation = 'None' }
        @{ Resolver = 'musl-1.2.3'; Mitigation = 'TrailingDot' }
        @{ Resolver = 'musl-1.2.3'; Mitigation = 'SingleRequestReopen' }
        @{ Resolver = 'glibc-2.36'; Mitigation = 'Ndots1' }
        @{ Resolver = 'glibc-2.36'; Mitigation = 'NoAaaa' }
    )
    $results = foreach ($r in $runs) {
        Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $pod -Server $lab -Resolver $r.Resolver -Mitigation $r.Mitigation
    }
    Write-Host '# The report''s table, replayed (musl ~5 s, glibc ~1.7 s, without AAAA ~0):'
    $results | Format-Table @(
        @{ n = 'Resolver'; e = { $_.ResolverSpec } }
        'Mitigation'
        @{ n = 'Result'; e = { $_.Outcome } }
        @{ n = 'Time'; e = { '{0:0.000} s' -f $_.Duration.TotalSeconds }; a = 'Right' }
        @{ n = 'Queries'; e = { $_.Queries.Count }; a = 'Right' }
        @{ n = 'Diagnosis'; e = { ($_.Diagnoses | ForEach-Object { "$($_.Code) $($_.Title)" }) -join '; ' } }
    ) -AutoSize -Wrap | Out-Host

    Write-Host '# Why musl takes 5 s — the diagnosis in full:'
    ($results[0].Diagnoses | Where-Object Code -eq 'DNS002') | Format-List | Out-Host
    Write-Host '# What the server saw from musl for the bare name (same id and port, re-sent after each SERVFAIL):'
    $results[0].Queries | Where-Object Name -eq 'elink.spic.com.cn.' | Format-Table -AutoSize | Out-Host
}
finally {
    $lab | Stop-DnsLabServer
}
Write-Host "Demo finished in $([math]::Round($started.Elapsed.TotalSeconds, 1)) s, loopback only."
