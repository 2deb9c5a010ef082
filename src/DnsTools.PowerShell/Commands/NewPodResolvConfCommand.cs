using System.Management.Automation;
using System.Net;
using DnsTools.Core.Kubernetes;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell.Commands;

/// <summary>Forms the resolv.conf kubelet gives a pod.</summary>
[Cmdlet(VerbsCommon.New, "PodResolvConf")]
[OutputType(typeof(ResolvConf))]
public sealed class NewPodResolvConfCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "default";

    [Parameter]
    [AllowEmptyString]
    public string ClusterDomain { get; set; } = "cluster.local";

    [Parameter]
    [ValidateNotNull]
    public string[] ClusterDns { get; set; } = Array.Empty<string>();

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PodDnsPolicy DnsPolicy { get; set; } = PodDnsPolicy.ClusterFirst;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter HostNetwork { get; set; }

    [Parameter]
    [ResolvConfTransformation]
    public ResolvConf? HostResolvConf { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [PodDnsConfigTransformation]
    public PodDnsConfig? DnsConfig { get; set; }

    [Parameter]
    public SwitchParameter LegacySearchLimits { get; set; }

    /// <summary>The spec of a pod piped from `kubectl get pod NAME -o json | ConvertFrom-Json`: dnsPolicy, dnsConfig, hostNetwork.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public object? Spec { get; set; }

    /// <summary>The metadata of that pod: its namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
    public object? Metadata { get; set; }

    private HashSet<string> _givenOnCommandLine = new(StringComparer.OrdinalIgnoreCase);

    protected override void BeginProcessing() =>
        // Only command-line arguments are bound yet: they win over what a piped pod says.
        _givenOnCommandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);

    /// <summary>Takes namespace, dnsPolicy, hostNetwork and dnsConfig from a piped pod, where the command line did not set them.</summary>
    private bool ReadPod()
    {
        if (Spec is null && Metadata is null) return true;
        if (!_givenOnCommandLine.Contains(nameof(Namespace)) && KubernetesObjects.Get(Metadata, "namespace") is string { Length: > 0 } ns) Namespace = ns;
        if (!_givenOnCommandLine.Contains(nameof(DnsPolicy)) && KubernetesObjects.Get(Spec, "dnsPolicy") is string policy)
        {
            if (!Enum.TryParse<PodDnsPolicy>(policy, ignoreCase: false, out var p) || !Enum.IsDefined(p))
            {
                WriteError(new ErrorRecord(new ArgumentException($"Pod {KubernetesObjects.Describe(Metadata)}: dnsPolicy '{policy}' is not one of {string.Join(", ", Enum.GetNames<PodDnsPolicy>())}."),
                    "InvalidPodDnsPolicy", ErrorCategory.InvalidData, policy));
                return false;
            }
            DnsPolicy = p;
        }
        if (!_givenOnCommandLine.Contains(nameof(HostNetwork)) && KubernetesObjects.Get(Spec, "hostNetwork") is bool host) HostNetwork = host;
        if (!_givenOnCommandLine.Contains(nameof(DnsConfig)) && KubernetesObjects.Get(Spec, "dnsConfig") is { } config)
        {
            try
            {
                DnsConfig = (PodDnsConfig)new PodDnsConfigTransformationAttribute().Transform(null!, config);
            }
            catch (ArgumentTransformationMetadataException e)
            {
                WriteError(new ErrorRecord(new ArgumentException($"Pod {KubernetesObjects.Describe(Metadata)}: {e.Message}", e), "InvalidPodDnsConfig", ErrorCategory.InvalidData, config));
                return false;
            }
        }
        return true;
    }

    protected override void ProcessRecord()
    {
        if (!ReadPod()) return;
        foreach (var ip in ClusterDns)
        {
            if (!IPAddress.TryParse(ip, out _))
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-ClusterDns '{ip}' is not an IP address (kubelet --cluster-dns takes IP addresses)."),
                    "InvalidClusterDns", ErrorCategory.InvalidArgument, ip));
            }
        }
        var effective = PodResolvConfGenerator.EffectivePolicy(DnsPolicy, HostNetwork);
        if (HostResolvConf is null && (effective == PodDnsPolicy.Default || (effective == PodDnsPolicy.ClusterFirst && ClusterDns.Length == 0)))
        {
            WriteWarning("No -HostResolvConf: this forms what kubelet writes when its --resolv-conf is empty (nameserver 127.0.0.1, search .). Pass the node's resolv.conf to model a real node.");
        }

        PodResolvConfResult result;
        try
        {
            result = PodResolvConfGenerator.Generate(
                new KubeletDnsSettings
                {
                    ClusterDns = ClusterDns,
                    ClusterDomain = ClusterDomain,
                    HostResolvConf = HostResolvConf,
                    LegacySearchLimits = LegacySearchLimits,
                },
                Namespace, DnsPolicy, HostNetwork, DnsConfig);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            WriteError(new ErrorRecord(e, "InvalidPodDnsConfig", ErrorCategory.InvalidArgument, DnsConfig));
            return;
        }
        WriteVerbose($"dnsPolicy {DnsPolicy}{(HostNetwork ? " on the host network" : string.Empty)} acts as {effective}");
        foreach (var w in result.Warnings) WriteWarning(w);
        foreach (var w in result.ResolvConf.Warnings) WriteWarning(w.ToString());
        WriteObject(result.ResolvConf);
    }
}
