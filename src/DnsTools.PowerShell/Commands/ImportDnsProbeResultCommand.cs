using System.Management.Automation;
using System.Text;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Probe;

namespace DnsTools.PowerShell.Commands;

/// <summary>
/// Reads dnstools-probe's JSON (jsonl lines, or a --format json array) back into the objects
/// Test-PodDnsLatency and Measure-DnsCapture produce, so the module's views and the diagnosis apply.
/// </summary>
[Cmdlet(VerbsData.Import, "DnsProbeResult", DefaultParameterSetName = TextSet)]
[OutputType(typeof(ObservedLookup), typeof(DnsProbeSummary))]
public sealed class ImportDnsProbeResultCommand : PSCmdlet
{
    private const string TextSet = "Text";
    private const string PathSet = "Path";
    private readonly StringBuilder _array = new();
    private int _line;

    /// <summary>Lines of dnstools-probe output (Get-Content, or kubectl logs piped in).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Files of dnstools-probe output (jsonl or json); wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string[] Path { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == TextSet)
        {
            foreach (var chunk in InputObject) ReadText(chunk, "pipeline");
            return;
        }
        foreach (var path in Path)
        {
            IEnumerable<string> files;
            try { files = GetResolvedProviderPathFromPSPath(path, out _); }
            catch (ItemNotFoundException e)
            {
                WriteError(new ErrorRecord(e, "ProbeResultNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }
            foreach (var file in files)
            {
                string text;
                try { text = File.ReadAllText(file); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    WriteError(new ErrorRecord(e, "ProbeResultUnreadable", ErrorCategory.ReadError, file));
                    continue;
                }
                _line = 0;
                ReadText(text, file);
                FlushArray(file);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == TextSet) FlushArray("pipeline");
    }

    // jsonl: one object a line. A --format json array spans lines: gathered and read at the end.
    private void ReadText(string chunk, string source)
    {
        foreach (var raw in chunk.Split('\n'))
        {
            _line++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (_array.Length > 0 || line.StartsWith('['))
            {
                _array.AppendLine(line);
                continue;
            }
            try { WriteObject(ProbeJson.FromJson(line)); }
            catch (FormatException e)
            {
                WriteError(new ErrorRecord(new FormatException($"{source} line {_line}: {e.Message}", e), "InvalidProbeResult", ErrorCategory.InvalidData, line));
            }
        }
    }

    private void FlushArray(string source)
    {
        if (_array.Length == 0) return;
        var text = _array.ToString();
        _array.Clear();
        try
        {
            foreach (var result in ProbeJson.FromJsonDocument(text)) WriteObject(result);
        }
        catch (FormatException e)
        {
            WriteError(new ErrorRecord(new FormatException($"{source}: {e.Message}", e), "InvalidProbeResult", ErrorCategory.InvalidData, source));
        }
    }
}
