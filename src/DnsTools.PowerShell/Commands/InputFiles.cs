using System.Management.Automation;

namespace DnsTools.PowerShell.Commands;

/// <summary>Resolves -Path (wildcards) and -LiteralPath the way Get-Content does, each failure an error naming the one path.</summary>
internal static class InputFiles
{
    /// <summary>
    /// The files a path names. A wildcard that matches nothing, or a missing file, is a non-terminating error with
    /// <paramref name="notFoundId"/> and the path as its target (never zero files in silence: `pod[1].pcap` as -Path is a
    /// wildcard for pod1.pcap, and the message says to use -LiteralPath).
    /// </summary>
    public static IReadOnlyList<string> Resolve(PSCmdlet cmdlet, string path, bool literal, string notFoundId)
    {
        try
        {
            if (literal)
            {
                var file = cmdlet.GetUnresolvedProviderPathFromPSPath(path);
                if (File.Exists(file)) return new[] { file };
                cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"Cannot find '{path}': no such file."), notFoundId, ErrorCategory.ObjectNotFound, path));
                return Array.Empty<string>();
            }
            var files = cmdlet.GetResolvedProviderPathFromPSPath(path, out _);
            if (files.Count > 0) return files;
            var hint = WildcardPattern.ContainsWildcardCharacters(path) ? " (it is read as a wildcard pattern: for a name with [ ] * ? in it, use -LiteralPath)" : string.Empty;
            cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException($"No file matches '{path}'{hint}."), notFoundId, ErrorCategory.ObjectNotFound, path));
            return Array.Empty<string>();
        }
        catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException)
        {
            var hint = !literal && WildcardPattern.ContainsWildcardCharacters(path) ? " (read as a wildcard pattern: use -LiteralPath for a name with [ ] * ? in it)" : string.Empty;
            cmdlet.WriteError(new ErrorRecord(new ItemNotFoundException(e.Message + hint, e), notFoundId, ErrorCategory.ObjectNotFound, path));
            return Array.Empty<string>();
        }
    }
}
