using System.Management.Automation;
using DnsTools.Core.Lab;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell;

/// <summary>
/// What a cmdlet that asks servers about names (Test-PodDnsLatency, Get-DnsServerBehavior) takes from the pipeline:
/// names, one ResolvConf (as -ResolvConf) and lab servers (as -Server). PipelineInputTransformationAttribute has
/// already refused anything else, so nothing here is ever looked up or asked for its ToString().
/// </summary>
internal sealed class PipedLookupInput
{
    private readonly List<object> _servers = new();

    public List<string> Names { get; } = new();

    public ResolvConf? ResolvConf { get; private set; }

    public void Add(PSCmdlet cmdlet, object? input, ResolvConf? givenResolvConf)
    {
        foreach (var item in input is object?[] items ? items : new[] { input })
        {
            switch (item)
            {
                case string name:
                    Names.Add(name);
                    break;
                case ResolvConf conf when givenResolvConf is not null || ResolvConf is not null:
                    cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"Two resolv.confs: {conf.Source} came down the pipeline, but {(givenResolvConf ?? ResolvConf)!.Source} is already in use. Give one."),
                        "ResolvConfGivenTwice", ErrorCategory.InvalidArgument, conf));
                    break;
                case ResolvConf conf:
                    ResolvConf = conf;
                    break;
                case DnsLabServer lab:
                    _servers.Add(lab);
                    break;
            }
        }
    }

    /// <summary>The -Server values, then the lab servers piped in.</summary>
    public object[] ServersAfter(object[]? given) => (given ?? Array.Empty<object>()).Concat(_servers).ToArray();
}
