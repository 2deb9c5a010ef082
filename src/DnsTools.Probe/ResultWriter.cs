using System.Globalization;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Probe;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.Probe;

public enum ResultKind { Lookup, Summary, Plan, Capture, Behavior }

/// <summary>
/// Writes results as they come: a table (columns as the module's default views), JSON lines, or
/// one JSON array at the end. The JSON is Core's <see cref="ProbeJson"/>, which Import-DnsProbeResult reads.
/// </summary>
public sealed class ResultWriter(OutputFormat format, TextWriter output)
{
    private readonly List<object> _all = new();
    private ResultKind _kind;
    private bool _finished, _headerWritten;

    public void Begin(ResultKind kind) => _kind = kind;

    // The table's header, written with the first row (an error before any result leaves stdout empty).
    private void Header()
    {
        if (_headerWritten) return;
        _headerWritten = true;
        var header = _kind switch
        {
            ResultKind.Lookup => Row(LookupWidths, "RESOLVER", "MITIGATION", "RESULT", "TIME", "QUERIES", "DIAGNOSIS"),
            ResultKind.Summary => Row(SummaryWidths, "RESOLVER", "MITIGATION", "COUNT", "OK", "RESULT", "P50", "P95", "P99", "MAX", "TIMEOUTS", "DIAGNOSES"),
            ResultKind.Capture => Row(CaptureWidths, "CLIENT", "RESOLVER", "RESULT", "START", "TIME", "QUERIES", "NAME", "DIAGNOSIS"),
            ResultKind.Behavior => Row(BehaviorWidths, "SERVER", "TYPE", "RCODE", "ANSWERS", "P50", "MAX", "TC", "EDNS", "TCP", "NAME"),
            _ => null,
        };
        if (header is not null) output.WriteLine(header);
    }

    public void Write(object result)
    {
        switch (format)
        {
            case OutputFormat.Json: _all.Add(result); return;
            case OutputFormat.Jsonl:
                output.WriteLine(ProbeJson.ToJsonLine(result));
                output.Flush();
                return;
        }
        Header();
        switch (result)
        {
            case DnsProbeSummary s:
                var outcomes = s.Lookups.GroupBy(l => l.Outcome).OrderByDescending(g => g.Count()).Select(g => g.Key);
                output.WriteLine(Row(SummaryWidths, s.Resolver, s.Mitigation, s.Count.ToString(CultureInfo.InvariantCulture), s.Succeeded.ToString(CultureInfo.InvariantCulture),
                    string.Join('/', outcomes), Seconds(s.P50Ms), Seconds(s.P95Ms), Seconds(s.P99Ms), Seconds(s.MaxMs),
                    s.TimeoutRate.ToString("P0", CultureInfo.InvariantCulture), Codes(s.Diagnoses.OrderBy(d => d.Key).Select(d => $"{d.Key}x{d.Value}"))));
                break;
            case ObservedLookup l when _kind == ResultKind.Capture:
                output.WriteLine(Row(CaptureWidths, l.Client, l.Resolver.ToString(), l.Outcome, Seconds(l.StartMs), Seconds(l.DurationMs),
                    l.Queries.Count.ToString(CultureInfo.InvariantCulture), l.Name, Codes(l.Diagnoses.Select(d => d.Code))));
                break;
            case ObservedLookup l:
                output.WriteLine(Row(LookupWidths, l.ResolverSpec ?? l.Resolver.ToString(), l.Mitigation ?? "None", l.Outcome, Seconds(l.DurationMs),
                    l.Queries.Count.ToString(CultureInfo.InvariantCulture), Codes(l.Diagnoses.Select(d => $"{d.Code} {d.Title}"), "; ")));
                break;
            case DnsServerBehavior b:
                foreach (var ob in b.Observations)
                    output.WriteLine(Row(BehaviorWidths, ob.Server, ob.Type, (ob.Rcode ?? ob.Outcome.ToString()) + (ob.Consistent ? "" : "*"),
                        ob.AnswerCount.ToString(CultureInfo.InvariantCulture), Seconds(ob.P50Ms), Seconds(ob.MaxMs), ob.Truncated ? "TC" : "-",
                        ob.Edns is null ? "-" : ob.Edns.Rcode ?? ob.Edns.Outcome.ToString(), ob.TcpResult.Length == 0 ? "-" : ob.TcpResult, ob.Name));
                output.WriteLine();
                output.WriteLine(b.Rules.Count == 0 ? "Rules: none (every query answered at once)" : "Rules (--server-behavior / lab --rule):");
                foreach (var rule in b.Rules) output.WriteLine("  " + rule);
                break;
            case QueryPlan p:
                output.WriteLine($"{p.Resolver}: {p.Name} -> {p.ResultCode} after {Seconds(p.TotalTimeMs)}, {p.QueryCount} queries on {p.SocketCount} sockets");
                output.WriteLine(Row(PlanWidths, "  #", "SENT", "SOCKET", "TYPE", "SERVER", "TRY", "REASON", "REPLY", "NAME"));
                foreach (var q in p.Queries)
                    output.WriteLine(Row(PlanWidths, "  " + q.Index.ToString(CultureInfo.InvariantCulture), Seconds(q.SendTimeMs), q.Socket.ToString(CultureInfo.InvariantCulture),
                        q.Type.ToString(), q.Server, q.Attempt.ToString(CultureInfo.InvariantCulture), q.Reason.ToString(),
                        q.ResponseTimeMs is { } t ? $"{q.Response} {Seconds(t)}" : q.Response.ToString(), q.Name));
                output.WriteLine();
                break;
        }
        output.Flush();
    }

    /// <summary>Writes what is pending (the --format json array); once.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (format == OutputFormat.Json) output.WriteLine(ProbeJson.ToJsonArray(_all));
        output.Flush();
    }

    private static string Seconds(double ms) => ms >= 1000
        ? (ms / 1000).ToString("0.000", CultureInfo.InvariantCulture) + " s"
        : ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Codes(IEnumerable<string> codes, string separator = " ")
    {
        var text = string.Join(separator, codes);
        return text.Length == 0 ? "-" : text;
    }

    // Fixed widths per table (the last column takes the rest), so rows line up as they stream.
    private static readonly int[] LookupWidths = { 12, 21, 12, 11, 8 };
    private static readonly int[] SummaryWidths = { 12, 21, 6, 5, 14, 10, 10, 10, 10, 9 };
    private static readonly int[] CaptureWidths = { 22, 9, 12, 11, 11, 8, 32 };
    private static readonly int[] BehaviorWidths = { 22, 6, 10, 8, 10, 10, 3, 10, 10 };
    private static readonly int[] PlanWidths = { 5, 11, 7, 5, 16, 4, 20, 22 };

    private static string Row(int[] widths, params string[] cells)
    {
        var line = new System.Text.StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i == cells.Length - 1 || i >= widths.Length) line.Append(cells[i]).Append(' ');
            else line.Append(cells[i].PadRight(widths[i] - 1)).Append(' ');
        }
        return line.ToString().TrimEnd();
    }
}
