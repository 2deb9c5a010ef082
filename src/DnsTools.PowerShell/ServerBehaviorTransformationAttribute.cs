using System.Collections;
using System.Management.Automation;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.PowerShell;

/// <summary>
/// Lets a server-behaviour parameter (string[] of rules) take what Get-DnsServerBehavior returns, a
/// ServerBehavior, a learned rule, or rule strings, mixed in one array.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ServerBehaviorTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var rules = new List<string>();
        Add(inputData, rules, 0);
        return rules.ToArray();
    }

    private static void Add(object? item, List<string> rules, int depth)
    {
        var value = item is PSObject p ? p.BaseObject : item;
        switch (value)
        {
            case null:
                return;
            case string text:
                rules.Add(text);
                return;
            case DnsServerBehavior learned:
                rules.AddRange(learned.Rules);
                return;
            case ServerBehavior behavior:
                rules.AddRange(behavior.Rules.Select(r => r.Text));
                return;
            case ServerRule rule:
                rules.Add(rule.Text);
                return;
            case LearnedServerRule learnedRule:
                rules.Add(learnedRule.Rule);
                return;
            case IEnumerable items when depth < 4:
                foreach (var i in items) Add(i, rules, depth + 1);
                return;
            default:
                throw new ArgumentTransformationMetadataException($"Cannot use a {value.GetType().Name} as server behaviour: pass rule strings ('AAAA * -> SERVFAIL after 1700ms') or what Get-DnsServerBehavior returns.");
        }
    }
}
