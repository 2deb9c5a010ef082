using System.Management.Automation;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell.Commands;

/// <summary>Writes a ResolvConf object back as resolv.conf text.</summary>
[Cmdlet(VerbsData.ConvertTo, "ResolvConf")]
[OutputType(typeof(string))]
public sealed class ConvertToResolvConfCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public ResolvConf InputObject { get; set; } = null!;

    protected override void ProcessRecord() => WriteObject(InputObject.ToText());
}
