using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell.Commands;

/// <summary>The single offending item an ErrorRecord names as its TargetObject.</summary>
internal static class ErrorTargets
{
    /// <summary>The first rule text (of several, each maybe holding rules split by ';' or new lines) that does not parse.</summary>
    public static string? BadRule(IEnumerable<string> rules)
    {
        foreach (var rule in rules.SelectMany(r => r.Split(new[] { ';', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            try { ServerRule.Parse(rule); }
            catch (FormatException) { return rule; }
        }
        return null;
    }
}
