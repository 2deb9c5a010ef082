using System.Management.Automation;
using System.Net;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell.Commands;

/// <summary>Replays what a resolver sends for a name against a real DNS server, times every query and explains the delay.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PodDnsLatency")]
[OutputType(typeof(ObservedLookup), typeof(DnsProbeSummary))]
public sealed class TestPodDnsLatencyCommand : PSCmdlet
{
    /// <summary>Set by the test runner: the machine's own resolv.conf must never be used.</summary>
    internal const string ForbidSystemResolvConf = "DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF";

    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _names = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    [ResolvConfTransformation]
    public ResolvConf? ResolvConf { get; set; }

    /// <summary>host, host:port, [v6]:port, or a lab server object.</summary>
    [Parameter]
    public object[]? Server { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Resolver { get; set; } = { "musl-1.2.3", "glibc-2.36", "go-1.22" };

    [Parameter]
    public DnsMitigation[] Mitigation { get; set; } = { DnsMitigation.None };

    [Parameter]
    [ValidateRange(1, 100000)]
    public int Count { get; set; } = 1;

    /// <summary>Seconds between lookups.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public double Interval { get; set; }

    /// <summary>Seconds one lookup may take at most.</summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double Timeout { get; set; } = 60;

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing()
    {
        var specs = new List<ResolverSpec>();
        foreach (var r in Resolver)
        {
            try { specs.Add(ResolverSpec.Parse(r)); }
            catch (ArgumentException e) { ThrowTerminatingError(new ErrorRecord(e, "UnknownResolver", ErrorCategory.InvalidArgument, r)); }
            if (specs[^1].Warning is { } warning) WriteWarning(warning);
        }
        var servers = ParseServers();
        var conf = ResolvConf ?? SystemResolvConf();
        if (conf is null) return;
        if (servers is null && conf.Nameservers.Count == 0)
            WriteWarning($"{conf.Source} names no nameserver: the resolvers fall back to 127.0.0.1.");

        var options = new DnsProbeOptions { Servers = servers, MaxLookupTime = TimeSpan.FromSeconds(Timeout) };
        var total = _names.Count * specs.Count * Mitigation.Length * Count;
        var done = 0;
        var progress = new ProgressRecord(1, "Test-PodDnsLatency", "starting");
        foreach (var name in _names)
            foreach (var spec in specs)
                foreach (var mitigation in Mitigation)
                {
                    var lookups = new List<ObservedLookup>();
                    for (var i = 0; i < Count; i++)
                    {
                        if (_stop.IsCancellationRequested) break;
                        if (total > 1)
                        {
                            progress.StatusDescription = $"{spec} {mitigation} {name} ({i + 1}/{Count})";
                            progress.PercentComplete = done * 100 / total;
                            WriteProgress(progress);
                        }
                        try
                        {
                            var lookup = DnsProbe.Run(name, conf, spec, options, mitigation, _stop.Token);
                            lookups.Add(lookup);
                            WriteVerbose($"{spec} {mitigation} {name}: {lookup.Outcome} in {lookup.Duration.TotalMilliseconds:0.0} ms, {lookup.Queries.Count} queries");
                            if (Count == 1) WriteObject(lookup);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                        done++;
                        if (Interval > 0 && i < Count - 1 && _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(Interval))) break;
                    }
                    // With -Count, one summary per resolver and mitigation; after Ctrl+C, of what was measured.
                    if (Count > 1 && lookups.Count > 0) WriteObject(DnsProbeSummary.From(lookups));
                    if (_stop.IsCancellationRequested) return;
                }
        progress.RecordType = ProgressRecordType.Completed;
        if (total > 1) WriteProgress(progress);
    }

    private IReadOnlyList<IPEndPoint>? ParseServers()
    {
        if (Server is null || Server.Length == 0) return null;
        var list = new List<IPEndPoint>();
        foreach (var item in Server)
        {
            var value = item is PSObject p ? p.BaseObject : item;
            try
            {
                list.Add(value switch
                {
                    DnsLabServer lab => lab.EndPoint,
                    IPEndPoint ep => ep,
                    IPAddress ip => new IPEndPoint(ip, 53),
                    _ => DnsProbe.ParseServer(value?.ToString() ?? string.Empty),
                });
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                ThrowTerminatingError(new ErrorRecord(e, "InvalidServer", ErrorCategory.InvalidArgument, value));
            }
        }
        return list;
    }

    /// <summary>This machine's (or pod's) /etc/resolv.conf — said out loud, and refused under the test runner.</summary>
    private ResolvConf? SystemResolvConf()
    {
        const string path = "/etc/resolv.conf";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ForbidSystemResolvConf)))
        {
            ThrowTerminatingError(new ErrorRecord(new InvalidOperationException($"No -ResolvConf given, and {ForbidSystemResolvConf} forbids reading {path} here: pass -ResolvConf (and -Server)."),
                "SystemResolvConfForbidden", ErrorCategory.SecurityError, path));
            return null;
        }
        try
        {
            var conf = ResolvConfParser.ParseFile(path);
            WriteVerbose($"Using {path} of this machine: nameservers {string.Join(", ", conf.Nameservers)}");
            return conf;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "NoResolvConf", ErrorCategory.ObjectNotFound, path));
            return null;
        }
    }
}
