using System.Collections;
using System.Management.Automation;
using DnsTools.Core.Kubernetes;

namespace DnsTools.PowerShell;

/// <summary>
/// Lets a PodDnsConfig parameter take a hashtable shaped like the pod spec's dnsConfig, or the object ConvertFrom-Json
/// makes of it (`(kubectl get pod NAME -o json | ConvertFrom-Json).spec.dnsConfig`).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PodDnsConfigTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = Unwrap(inputData);
        return value switch
        {
            PodDnsConfig config => config,
            IDictionary dictionary => Read(dictionary),
            _ => throw new ArgumentTransformationMetadataException("-DnsConfig takes a pod's spec.dnsConfig (as ConvertFrom-Json reads it from kubectl) or a hashtable such as @{ nameservers = '1.1.1.1'; searches = 'corp.example'; options = 'ndots:2', @{ name = 'single-request-reopen' } }."),
        };
    }

    private static PodDnsConfig Read(IDictionary dictionary)
    {
        try
        {
            return PodDnsConfigReader.Read((IDictionary)Unwrap(dictionary)!);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }

    /// <summary>Strips PSObject wrappers at every depth, so Core sees plain strings, arrays and dictionaries.</summary>
    internal static object? Unwrap(object? value)
    {
        if (value is PSObject { BaseObject: PSCustomObject } custom)
        {
            // A JSON object read by ConvertFrom-Json: its note properties are the keys.
            var fromJson = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var property in custom.Properties) fromJson[property.Name] = Unwrap(property.Value);
            return fromJson;
        }
        value = value is PSObject p ? p.BaseObject : value;
        switch (value)
        {
            case string:
                return value;
            case IDictionary d:
                var copy = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry e in d) copy[Unwrap(e.Key)!] = Unwrap(e.Value);
                return copy;
            case IEnumerable items:
                return items.Cast<object?>().Select(Unwrap).ToArray();
            default:
                return value;
        }
    }
}
