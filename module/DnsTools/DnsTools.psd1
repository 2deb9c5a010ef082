@{
    RootModule           = 'DnsTools.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0d3c1e-8a47-4f5e-9d55-2b9c0e7a6d41'
    Author               = 'DnsTools contributors'
    CompanyName          = 'DnsTools'
    Copyright            = '(c) DnsTools contributors. MIT License.'
    Description          = 'Find out why DNS is slow in Kubernetes pods: model what musl, glibc and Go resolvers do with a resolv.conf, form the resolv.conf kubelet gives a pod, and inspect container images for the resolver they ship.'

    # net8.0 binaries: PowerShell 7.4 (the first release on .NET 8) is the oldest that can load them.
    # Tested on PowerShell 7.6.9.
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')

    FormatsToProcess     = @('DnsTools.Format.ps1xml')
    TypesToProcess       = @('DnsTools.Types.ps1xml')

    CmdletsToExport      = @(
        'ConvertFrom-ResolvConf'
        'ConvertTo-ResolvConf'
        'New-PodResolvConf'
        'Read-DnsCapture'
        'Measure-DnsCapture'
        'Get-ResolverQueryPlan'
        'Test-PodDnsLatency'
        'Import-DnsProbeResult'
        'Get-DnsServerBehavior'
        'Start-DnsLabServer'
        'Stop-DnsLabServer'
        'Get-DnsLabServer'
        'Get-DnsLabQuery'
        'Get-ImageFile'
        'Get-ImageLayer'
        'Get-ImageDnsProfile'
        'Test-ImageDns'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()

    PrivateData          = @{
        PSData = @{
            Tags         = @('DNS', 'Kubernetes', 'resolv.conf', 'musl', 'glibc', 'Alpine', 'containers', 'troubleshooting', 'Linux')
            LicenseUri   = 'https://opensource.org/license/mit'
            ReleaseNotes = @'
0.1.0
- ConvertFrom-ResolvConf / ConvertTo-ResolvConf: resolv.conf as a typed object, with what musl, glibc and Go each make of it (caps, defaults, ignored options) and warnings that name the line.
- New-PodResolvConf: the resolv.conf kubelet forms for a pod (dnsPolicy, dnsConfig, search-list limits).
- Read-DnsCapture / Measure-DnsCapture: pcap, pcapng or tcpdump text to query objects, lookups, the resolver behind them and a diagnosis.
- Get-ResolverQueryPlan: every query musl, glibc or Go would send for a name (candidate, type, server, socket, attempt, reason, timing) and the result, against rules for how the servers answer; checked against the real musl 1.2.3, glibc 2.36 and Go pure resolver.
- Test-PodDnsLatency: replays the musl, glibc or Go resolver on the wire against a real server, times every query, diagnoses the delay, compares mitigations; Start-DnsLabServer / Stop-DnsLabServer / Get-DnsLabServer / Get-DnsLabQuery: a fault-injecting DNS server on loopback.
- Get-ImageFile / Get-ImageLayer: read any container image without a runtime (docker-archive, OCI layout and archive, unpacked rootfs, registry, Docker or Podman daemon): layers, and files of the merged file system with whiteouts, opaque directories and links resolved inside the image; digests verified while streaming.
- Get-ImageDnsProfile / Test-ImageDns: what resolves names in an image (OS, musl or glibc and its version, resolv.conf, nsswitch.conf, gai.conf, hosts, each with its layer) and a rule catalogue (DNS-MUSL-001...) with -FailOn gating, ignore files with expiry, and Table, JSON, SARIF 2.1.0 or JUnit reports; the entrypoint's own resolver (ELF loader, Go build info) for file-based images.
'@
        }
    }
}
