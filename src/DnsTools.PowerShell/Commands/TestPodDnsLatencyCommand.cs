using System.Management.Automation;
using System.Net;
using DnsTools.Core.Diagnosis;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.PowerShell.Commands;

/// <summary>Replays what a resolver sends for a name against a real DNS server, times every query and explains the delay.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PodDnsLatency")]
[OutputType(typeof(ObservedLookup), typeof(DnsProbeSummary), typeof(BehaviorVerification), typeof(string))]
public sealed class TestPodDnsLatencyCommand : PSCmdlet
{
    /// <summary>Set by the test runner: the machine's own resolv.conf must never be used.</summary>
    internal const string ForbidSystemResolvConf = "DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF";

    private readonly CancellationTokenSource _stop = new();
    private readonly PipedLookupInput _piped = new();

    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The pipeline: names (strings, objects with a Name or HostName), a ResolvConf (as -ResolvConf) or a lab server (as
    /// -Server). Anything else is a binding error: nothing is ever looked up by its ToString().
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.NameProperty | PipelineInputKinds.ResolvConf | PipelineInputKinds.LabServer,
        "names (strings, or objects with a Name or HostName property), a ResolvConf (as -ResolvConf) or a lab server from Start-DnsLabServer (as -Server)")]
    public object? InputObject { get; set; }

    [Parameter]
    [ResolvConfTransformation]
    public ResolvConf? ResolvConf { get; set; }

    /// <summary>host, host:port, [v6]:port, or a lab server object.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(LabServerCompleter))]
    public object[]? Server { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ResolverCompleter))]
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

    /// <summary>Json: one JSON array of the lookups (or, with -Count, the summaries; with -Verify, the verifications), written at the end (DnsTools.Core.Json.DnsJson).</summary>
    [Parameter]
    public ResultFormat Format { get; set; } = ResultFormat.Object;

    private readonly List<ObservedLookup> _jsonLookups = new();
    private readonly List<DnsProbeSummary> _jsonSummaries = new();
    private readonly List<BehaviorVerification> _jsonVerifications = new();

    private void Emit(ObservedLookup lookup)
    {
        if (Format == ResultFormat.Json) _jsonLookups.Add(lookup);
        else WriteObject(lookup);
    }

    private void Emit(DnsProbeSummary summary)
    {
        if (Format == ResultFormat.Json) _jsonSummaries.Add(summary);
        else WriteObject(summary);
    }

    private void Emit(BehaviorVerification verification)
    {
        if (Format == ResultFormat.Json) _jsonVerifications.Add(verification);
        else WriteObject(verification);
    }

    private void WriteJson()
    {
        if (Format != ResultFormat.Json) return;
        WriteObject(Verify ? Core.Json.DnsJson.Serialize(_jsonVerifications)
            : Count > 1 ? Core.Json.DnsJson.Serialize(_jsonSummaries) : Core.Json.DnsJson.Serialize(_jsonLookups));
    }


    /// <summary>With -Verify: the plan from these rules (or what Get-DnsServerBehavior returned) is set beside each replay.</summary>
    [Parameter]
    [ServerBehaviorTransformation]
    public string[]? ServerBehavior { get; set; }

    /// <summary>Each lookup is compared with the plan from -ServerBehavior (learned from the same server first when absent).</summary>
    [Parameter]
    public SwitchParameter Verify { get; set; }

    /// <summary>Keep the replay at normal scheduling (by default it runs at real-time priority during each lookup when permitted).</summary>
    [Parameter]
    public SwitchParameter NoRealtime { get; set; }


    protected override void BeginProcessing() => _piped.Names.AddRange(Name);

    protected override void ProcessRecord() => _piped.Add(this, InputObject, ResolvConf);

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
        if (_piped.Names.Count == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("No name to look up: give -Name or pipe names (strings, or objects with a Name or HostName property)."),
                "NameMissing", ErrorCategory.InvalidArgument, null));
        }
        var servers = ServerArguments.Parse(this, _piped.ServersAfter(Server));
        var conf = ResolvConf ?? _piped.ResolvConf ?? SystemResolvConf();
        if (conf is null) return;
        if (servers is null && conf.Nameservers.Count == 0)
            WriteWarning($"{conf.Source} names no nameserver: the resolvers fall back to 127.0.0.1.");

        var options = new DnsProbeOptions { Servers = servers, MaxLookupTime = TimeSpan.FromSeconds(Timeout), Realtime = !NoRealtime };
        string? saidScheduling = null;
        Core.Resolvers.ServerBehavior? behavior = null;
        if (ServerBehavior is not null && !Verify)
            WriteWarning("-ServerBehavior is used with -Verify only: the replay itself always meets the real server.");
        if (Verify) behavior = VerificationBehavior(conf, servers);
        if (Verify && behavior is null) return;
        var total = _piped.Names.Count * specs.Count * Mitigation.Length * Count;
        var done = 0;
        var progress = new ProgressRecord(1, "Test-PodDnsLatency", "starting");
        foreach (var name in _piped.Names)
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
                            WriteVerbose($"{spec} {mitigation} {name}: {lookup.Outcome} in {lookup.Duration.TotalMilliseconds:0.0} ms, {lookup.Queries.Count} queries, scheduling {lookup.Scheduling}");
                            // Why normal, once per reason.
                            if (lookup.NormalSchedulingReason is { } why && why != saidScheduling)
                                WriteVerbose($"Scheduling normal: {saidScheduling = why}");
                            if (behavior is not null)
                            {
                                var plan = BehaviorVerification.PlanFor(name, conf, spec, behavior, servers, mitigation);
                                var check = BehaviorVerification.Compare(plan, lookup, mitigation.ToString());
                                if (!check.Agrees) WriteWarning(check.ToString());
                                Emit(check);
                            }
                            else if (Count == 1) Emit(lookup);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }
                        done++;
                        if (Interval > 0 && i < Count - 1 && _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(Interval))) break;
                    }
                    // With -Count, one summary per resolver and mitigation; after Ctrl+C, of what was measured.
                    if (Count > 1 && lookups.Count > 0 && behavior is null) Emit(DnsProbeSummary.From(lookups));
                    if (_stop.IsCancellationRequested) { WriteJson(); return; }
                }
        progress.RecordType = ProgressRecordType.Completed;
        if (total > 1) WriteProgress(progress);
        WriteJson();
    }

    /// <summary>The rules to verify against: -ServerBehavior, or learned now from the servers the replay will use (one query per candidate and type).</summary>
    private Core.Resolvers.ServerBehavior? VerificationBehavior(ResolvConf conf, IReadOnlyList<IPEndPoint>? servers)
    {
        if (ServerBehavior is { Length: > 0 })
        {
            try { return Core.Resolvers.ServerBehavior.Parse(ServerBehavior); }
            catch (FormatException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "InvalidServerBehavior", ErrorCategory.InvalidArgument, ServerBehavior));
                return null;
            }
        }
        var targets = servers ?? conf.Nameservers.Take(ServerDiscoverer.MaxServers).Select(ns => new IPEndPoint(ns.Address, ns.Port)).ToList();
        if (targets.Count == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Verify without -ServerBehavior learns from the servers: name them with -Server or in the resolv.conf."),
                "NoServer", ErrorCategory.InvalidArgument, conf));
            return null;
        }
        try
        {
            var learned = ServerDiscoverer.Discover(new ServerDiscoveryOptions
            {
                Servers = targets,
                Names = _piped.Names,
                ResolvConf = conf,
                Count = 1,
                Timeout = TimeSpan.FromSeconds(Math.Min(Timeout, 10)),
            }, null, _stop.Token);
            WriteVerbose($"Learned from {string.Join(", ", targets)}: {learned}");
            foreach (var note in learned.Notes) WriteVerbose(note);
            return learned.ToServerBehavior();
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidDiscovery", ErrorCategory.InvalidArgument, _piped.Names.ToArray()));
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
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
