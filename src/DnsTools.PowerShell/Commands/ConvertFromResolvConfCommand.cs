using System.Management.Automation;
using System.Text;
using DnsTools.Core.ResolvConf;

namespace DnsTools.PowerShell.Commands;

/// <summary>Parses resolv.conf text or files into ResolvConf objects.</summary>
[Cmdlet(VerbsData.ConvertFrom, "ResolvConf", DefaultParameterSetName = TextSet)]
[OutputType(typeof(ResolvConf))]
public sealed class ConvertFromResolvConfCommand : PSCmdlet
{
    private const string TextSet = "Text";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private readonly StringBuilder _text = new();
    private bool _sawText;

    /// <summary>
    /// resolv.conf text: whole (Get-Content -Raw) or line by line (Get-Content); files from Get-ChildItem are read
    /// (their path taken literally). Anything else is a binding error, never its ToString() parsed as text.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.File, "resolv.conf text (strings) or files (Get-ChildItem)")]
    public object InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Paths of resolv.conf files; wildcards allowed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Paths of resolv.conf files, taken literally (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == TextSet)
        {
            foreach (var item in InputObject is object?[] items ? items : new[] { InputObject })
            {
                switch (item)
                {
                    case string chunk:
                        _text.Append(chunk);
                        if (!chunk.EndsWith('\n')) _text.Append('\n');
                        _sawText = true;
                        break;
                    case PipelinePath file:
                        ReadFile(GetUnresolvedProviderPathFromPSPath(file.Path));
                        break;
                }
            }
            return;
        }

        var literal = ParameterSetName == LiteralPathSet;
        foreach (var path in literal ? LiteralPath : Path)
        {
            foreach (var file in InputFiles.Resolve(this, path, literal, "ResolvConfNotFound")) ReadFile(file);
        }
    }

    private void ReadFile(string file)
    {
        try
        {
            Emit(ResolvConfParser.ParseFile(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            WriteError(new ErrorRecord(e, "ResolvConfUnreadable", ErrorCategory.ReadError, file));
        }
    }

    protected override void EndProcessing()
    {
        if (_sawText) Emit(ResolvConfParser.Parse(_text.ToString(), "pipeline"));
    }

    private void Emit(ResolvConf conf)
    {
        WriteVerbose($"{conf.Source}: {conf.Lines.Count} lines, {conf.Nameservers.Count} nameservers, {conf.Search.Count} search domains, {conf.Options.Count} options");
        foreach (var warning in conf.Warnings) WriteWarning(warning.ToString());
        WriteObject(conf);
    }
}
