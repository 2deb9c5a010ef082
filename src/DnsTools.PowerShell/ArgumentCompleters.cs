using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;
using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell;

/// <summary>What the completers share: prefix matching and quoting of values with spaces.</summary>
internal static class Completion
{
    public static string Unquote(string word) => word.Trim('\'', '"');

    public static CompletionResult Result(string value, string? tooltip = null)
    {
        var text = value.IndexOfAny(new[] { ' ', '\'', '$', '`', ';', '(', ')', '{', '}', '@', ',', '#' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
        return new CompletionResult(text, value, CompletionResultType.ParameterValue, tooltip ?? value);
    }

    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string word) =>
        values.Where(v => v.StartsWith(Unquote(word), StringComparison.OrdinalIgnoreCase)).Select(v => Result(v));
}

/// <summary>-Resolver: the families and known releases (ResolverSpec.KnownNames, so new releases there appear here).</summary>
public sealed class ResolverCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Matching(ResolverSpec.KnownNames, wordToComplete);
}

/// <summary>-ExcludeRule: the rule ids of the catalogue, with their titles as tooltips.</summary>
public sealed class RuleIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ImageDnsRules.All.Where(r => r.Id.StartsWith(Completion.Unquote(wordToComplete), StringComparison.OrdinalIgnoreCase))
            .Select(r => Completion.Result(r.Id, $"{r.Id} ({r.Severity}): {r.Title}"));
}

/// <summary>-ServerBehavior / -Rule: whole example rules, then, after "->", the outcomes of the grammar.</summary>
public sealed class ServerRuleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = Completion.Unquote(wordToComplete);
        var arrow = word.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0) return Completion.Matching(ServerRule.Examples, word);
        var head = word[..(arrow + 2)] + " ";
        var outcome = word[(arrow + 2)..].TrimStart();
        return ServerRule.Outcomes.Where(o => o.StartsWith(outcome, StringComparison.OrdinalIgnoreCase)).Select(o => Completion.Result(head + o));
    }
}

/// <summary>-Server: the lab servers this session runs (their address:port), as Start-DnsLabServer started them.</summary>
public sealed class LabServerCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Commands.LabServers.All().Select(s => s.EndPoint.ToString()).Where(e => e.StartsWith(Completion.Unquote(wordToComplete), StringComparison.OrdinalIgnoreCase))
            .Select(e => Completion.Result(e, $"DnsTools lab server on {e}"));
}

/// <summary>
/// -Image: the transport schemes; after a path scheme (oci-archive:, docker-archive:, oci-dir:, oci:, dir:) files and
/// folders; after docker: or podman: the image names the daemon holds, when it answers within a second.
/// </summary>
public sealed class ImageCompleter : IArgumentCompleter
{
    private static readonly string[] Schemes = { "oci-archive:", "docker-archive:", "oci-dir:", "dir:", "registry:", "docker:", "podman:" };
    private static readonly string[] PathSchemes = { "oci-archive:", "docker-archive:", "oci-dir:", "oci:", "dir:" };

    /// <summary>How long a completion waits for a daemon: tab must stay quick.</summary>
    public static readonly TimeSpan DaemonTimeout = TimeSpan.FromSeconds(1);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = Completion.Unquote(wordToComplete);
        if (PathSchemes.FirstOrDefault(s => word.StartsWith(s, StringComparison.OrdinalIgnoreCase)) is { } pathScheme)
            return Paths(pathScheme, word[pathScheme.Length..]);
        foreach (var (scheme, transport) in new[] { ("docker:", ImageTransport.Docker), ("podman:", ImageTransport.Podman) })
        {
            if (!word.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) continue;
            var names = DaemonImages.Names(transport, new ImageOpenOptions(), DaemonTimeout) ?? Array.Empty<string>();
            return names.Select(n => scheme + n).Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Select(n => Completion.Result(n));
        }
        return Completion.Matching(Schemes, word);
    }

    private static IEnumerable<CompletionResult> Paths(string scheme, string typed)
    {
        var cwd = CurrentDirectory();
        var dirPart = typed.Contains('/') ? typed[..(typed.LastIndexOf('/') + 1)] : "";
        var folder = Path.GetFullPath(dirPart.Length == 0 ? "." : dirPart, cwd);
        if (!Directory.Exists(folder)) return Array.Empty<CompletionResult>();
        var prefix = typed[dirPart.Length..];
        var results = new List<CompletionResult>();
        try
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).Take(500))
            {
                if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var isDir = entry is DirectoryInfo;
                results.Add(Completion.Result(scheme + dirPart + entry.Name + (isDir ? "/" : "")));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder completes to nothing.
        }
        return results;
    }

    private static string CurrentDirectory()
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            return ps.AddCommand("Get-Location").Invoke<PathInfo>().FirstOrDefault()?.ProviderPath ?? Environment.CurrentDirectory;
        }
        catch (Exception e) when (e is InvalidOperationException or PSInvalidOperationException)
        {
            return Environment.CurrentDirectory;
        }
    }
}

/// <summary>-Platform: "all", then the platforms the index of the bound -Image offers (opened with a short timeout).</summary>
public sealed class PlatformCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var values = new List<string> { "all" };
        var image = fakeBoundParameters["Image"] switch { string s => s, IEnumerable e => e.Cast<object>().FirstOrDefault()?.ToString(), _ => null };
        if (!string.IsNullOrEmpty(image))
        {
            try
            {
                using var source = ImageSource.Open(image, new ImageOpenOptions { AnyPlatform = true, Timeout = TimeSpan.FromSeconds(2) }, CurrentDirectory());
                values.AddRange(source.Platforms.Select(p => p.ToString()));
            }
            catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException or FormatException or OperationCanceledException)
            {
                // An image that cannot be opened offers no platforms.
            }
        }
        if (commandName == "Get-ImageFile" || commandName == "Get-ImageLayer") values.Remove("all");
        return Completion.Matching(values.Distinct(StringComparer.Ordinal), wordToComplete);
    }

    private static string CurrentDirectory()
    {
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        return ps.AddCommand("Get-Location").Invoke<PathInfo>().FirstOrDefault()?.ProviderPath ?? Environment.CurrentDirectory;
    }
}
