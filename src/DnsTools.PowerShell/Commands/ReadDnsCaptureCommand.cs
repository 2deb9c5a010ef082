using System.Management.Automation;
using DnsTools.Core.Capture;
using DnsTools.Core.Diagnosis;

namespace DnsTools.PowerShell.Commands;

/// <summary>Reads DNS queries and answers from a pcap/pcapng file or tcpdump text.</summary>
[Cmdlet(VerbsCommunications.Read, "DnsCapture", DefaultParameterSetName = TextSet)]
[OutputType(typeof(ObservedQuery))]
public sealed class ReadDnsCaptureCommand : CaptureCommandBase
{
    protected override void Emit(IEnumerable<ObservedQuery> queries)
    {
        foreach (var q in queries) WriteObject(q);
    }
}

/// <summary>Groups a capture's queries into lookups per client, infers the resolver and explains the delays.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "DnsCapture", DefaultParameterSetName = QuerySet)]
[OutputType(typeof(ObservedLookup))]
public sealed class MeasureDnsCaptureCommand : CaptureCommandBase
{
    private const string QuerySet = "Query";
    private readonly List<ObservedQuery> _queries = new();

    /// <summary>Query objects from Read-DnsCapture (they also come down the pipeline, through -InputObject).</summary>
    [Parameter(Mandatory = true, ParameterSetName = QuerySet)]
    public ObservedQuery[] Query { get; set; } = Array.Empty<ObservedQuery>();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == QuerySet) _queries.AddRange(Query);
        else base.ProcessRecord();
    }

    protected override void Take(ObservedQuery query) => _queries.Add(query);

    protected override void EndProcessing()
    {
        if (ParameterSetName == QuerySet || _queries.Count > 0) Emit(_queries.OrderBy(q => q.SentAt));
        if (ParameterSetName != QuerySet) base.EndProcessing();
    }

    protected override void Emit(IEnumerable<ObservedQuery> queries)
    {
        foreach (var lookup in CaptureAnalyzer.Lookups(queries, Limits))
        {
            if (_clients is { Length: > 0 } && !_clients.Any(c => c.IsMatch(lookup.Client))) continue;
            WriteObject(lookup);
        }
    }

    /// <summary>Only lookups of these clients (wildcards allowed).</summary>
    [Parameter]
    public string[]? Client { get; set; }

    private WildcardPattern[]? _clients;

    protected override void BeginProcessing()
    {
        var patterns = new List<WildcardPattern>();
        foreach (var c in Client ?? Array.Empty<string>())
        {
            var pattern = new WildcardPattern(c, WildcardOptions.IgnoreCase);
            try { pattern.IsMatch(string.Empty); }
            catch (WildcardPatternException e) { ThrowTerminatingError(new ErrorRecord(e, "InvalidClientPattern", ErrorCategory.InvalidArgument, c)); }
            patterns.Add(pattern);
        }
        _clients = patterns.ToArray();
    }
}

/// <summary>What Read-DnsCapture and Measure-DnsCapture share: reading files or tcpdump text.</summary>
public abstract class CaptureCommandBase : PSCmdlet
{
    protected const string PathSet = "Path";
    protected const string TextSet = "Text";
    protected const string LiteralPathSet = "LiteralPath";
    private readonly List<string> _lines = new();
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Capture files: pcap, pcapng, or tcpdump's text output.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Capture files, taken literally (no wildcards: pod[1].pcap is that file).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>
    /// tcpdump text lines (Get-Content), capture files (Get-ChildItem; their path taken literally), and for
    /// Measure-DnsCapture the queries Read-DnsCapture writes. Anything else is a binding error, never its ToString() read as text.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.File | PipelineInputKinds.ObservedQuery,
        "tcpdump text (strings), capture files (Get-ChildItem) or, for Measure-DnsCapture, queries from Read-DnsCapture")]
    public object InputObject { get; set; } = Array.Empty<string>();

    /// <summary>A query that came down the pipeline: Measure-DnsCapture measures it; Read-DnsCapture has nothing to read in it.</summary>
    protected virtual void Take(ObservedQuery query) =>
        WriteError(new ErrorRecord(new ArgumentException("Read-DnsCapture reads captures; pipe the queries it wrote to Measure-DnsCapture."),
            "QueryNotACapture", ErrorCategory.InvalidArgument, query));

    /// <summary>Queries held at once while waiting for their answers (and, for Measure-DnsCapture, lookups gathered at once); beyond it the oldest is settled as it stands.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxPendingQueries { get; set; } = CaptureLimits.Default.MaxPendingQueries;

    /// <summary>Longest tcpdump text line read (characters); longer lines are skipped and counted in a warning.</summary>
    [Parameter]
    [ValidateRange(80, int.MaxValue)]
    public int MaxLineLength { get; set; } = CaptureLimits.Default.MaxLineLength;

    protected CaptureLimits Limits => new()
    {
        MaxPendingQueries = MaxPendingQueries,
        MaxRunningLookups = Math.Max(1, Math.Min(MaxPendingQueries, CaptureLimits.Default.MaxRunningLookups)),
        MaxLineLength = MaxLineLength,
    };

    protected abstract void Emit(IEnumerable<ObservedQuery> queries);

    private bool _sawText;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == TextSet)
        {
            foreach (var item in InputObject is object?[] items ? items : new[] { InputObject })
            {
                switch (item)
                {
                    case string chunk:
                        _lines.AddRange(chunk.Split('\n'));
                        _sawText = true;
                        break;
                    case PipelinePath file:
                        ReadFile(GetUnresolvedProviderPathFromPSPath(file.Path));
                        break;
                    case ObservedQuery query:
                        Take(query);
                        break;
                }
            }
            return;
        }
        var literal = ParameterSetName == LiteralPathSet;
        foreach (var path in literal ? LiteralPath : Path)
        {
            foreach (var file in InputFiles.Resolve(this, path, literal, "CaptureNotFound")) ReadFile(file);
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName != TextSet || !_sawText) return;
        var stats = new CaptureReadStatistics();
        Emit(CaptureAnalyzer.Pair(TcpdumpTextReader.Read(_lines, stats, "pipeline", MaxLineLength), Limits));
        foreach (var w in stats.Warnings("pipeline")) WriteWarning(w);
        if (stats.DnsMessages == 0) WriteWarning("pipeline: no DNS lines found (expected tcpdump output such as '09:13:49.074130 IP a.59071 > b.53: 47843+ A? name. (62)')");
    }

    protected override void StopProcessing() => _stop.Cancel();

    private void ReadFile(string file)
    {
        var stats = new CaptureReadStatistics();
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var total = stream.Length;
            var magic = new byte[4];
            var n = stream.Read(magic, 0, 4);
            stream.Position = 0;
            var isCapture = n == 4 && BitConverter.ToUInt32(magic, 0) is 0x0A0D0D0A or 0xA1B2C3D4 or 0xD4C3B2A1 or 0xA1B23C4D or 0x4D3CB2A1;
            var progress = new ProgressRecord(1, "Reading DNS capture", file);
            var lastPercent = -1;
            var reporter = new SynchronousProgress(bytes =>
            {
                var percent = total == 0 ? 100 : (int)(bytes * 100 / total);
                if (percent == lastPercent) return;
                lastPercent = percent;
                progress.PercentComplete = percent;
                WriteProgress(progress);
            });
            IEnumerable<DnsPacket> packets = isCapture
                ? PcapReader.Read(stream, stats, file, reporter, _stop.Token)
                : TcpdumpTextReader.Read(ReadLines(stream, reporter), stats, file, MaxLineLength);
            WriteVerbose($"{file}: reading as {(isCapture ? "a packet capture" : "tcpdump text")}");
            Emit(CaptureAnalyzer.Pair(packets, Limits));
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            WriteVerbose($"{file}: {stats.PacketsRead} packets, {stats.DnsMessages} DNS messages");
            foreach (var w in stats.Warnings(file)) WriteWarning(w);
            if (stats.DnsMessages == 0) WriteWarning($"{file}: no DNS messages found");
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            WriteError(new ErrorRecord(e, "CaptureUnreadable", ErrorCategory.InvalidData, file));
        }
    }

    private IEnumerable<string> ReadLines(Stream stream, IProgress<long> progress)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        // Bounded lines: a line of a gigabyte is cut at -MaxLineLength (and skipped), never held whole.
        foreach (var line in TcpdumpTextReader.ReadLines(reader, MaxLineLength, _ => progress.Report(stream.Position)))
        {
            _stop.Token.ThrowIfCancellationRequested();
            yield return line;
        }
    }

    /// <summary>Reports on the calling (pipeline) thread, unlike Progress&lt;T&gt;.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
