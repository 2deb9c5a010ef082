using System.Management.Automation;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell;

/// <summary>Lets a ResolvConf parameter take an object, a path, or resolv.conf text.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ResolvConfTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case ResolvConf conf:
                return conf;
            case string text:
                try
                {
                    var cwd = engineIntrinsics.SessionState.Path.CurrentFileSystemLocation.ProviderPath;
                    return ResolvConfInput.Load(text, cwd);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    throw new ArgumentTransformationMetadataException(e.Message, e);
                }
            case object[] lines when lines.All(l => (l is PSObject p ? p.BaseObject : l) is string):
                // Get-Content without -Raw gives an array of lines.
                return ResolvConfParser.Parse(string.Join("\n", lines.Select(l => l.ToString())), "text");
            default:
                throw new ArgumentTransformationMetadataException($"Cannot use a {value?.GetType().Name ?? "null"} as a resolv.conf: pass a ResolvConf object, a path or resolv.conf text.");
        }
    }
}
