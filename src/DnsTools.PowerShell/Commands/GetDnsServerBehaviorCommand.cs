using System.Management.Automation;
using System.Net;
using DnsTools.Core.Lab;
using DnsTools.Core.Probe;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.ServerDiscovery;

namespace DnsTools.PowerShell.Commands;

/// <summary>Asks real DNS servers how they answer each candidate name and writes that down as server-behaviour rules.</summary>
[Cmdlet(VerbsCommon.Get, "DnsServerBehavior")]
[OutputType(typeof(DnsServerBehavior), typeof(string))]
public sealed class GetDnsServerBehaviorCommand : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PipedLookupInput _piped = new();

    [Parameter(Position = 0)]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The pipeline: names (strings, objects with a Name or HostName), a ResolvConf (as -ResolvConf) or lab servers (as
    /// -Server). Anything else is a binding error: nothing is asked for an object's ToString().
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.NameProperty | PipelineInputKinds.ResolvConf | PipelineInputKinds.LabServer,
        "names (strings, or objects with a Name or HostName property), a ResolvConf (as -ResolvConf) or a lab server from Start-DnsLabServer (as -Server)")]
    public object? InputObject { get; set; }


    /// <summary>host, host:port, [v6]:port, or a lab server object.</summary>
    [Parameter]
    public object[]? Server { get; set; }

    [Parameter]
    [ResolvConfTransformation]
    public ResolvConf? ResolvConf { get; set; }

    [Parameter]
    [ValidateRange(1, ServerDiscoverer.MaxCount)]
    public int Count { get; set; } = 3;

    /// <summary>Types asked besides A and AAAA.</summary>
    [Parameter]
    public string[] Type { get; set; } = Array.Empty<string>();

    /// <summary>Seconds one query waits for its reply.</summary>
    [Parameter]
    [ValidateRange(0.05, 60)]
    public double Timeout { get; set; } = 5;

    [Parameter]
    [ValidateRange(0.1, 1000)]
    public double QueriesPerSecond { get; set; } = 20;

    [Parameter]
    [ValidateRange(1, 100000)]
    public int MaxQueries { get; set; } = 1000;

    [Parameter]
    public SwitchParameter CheckTcp { get; set; }

    [Parameter]
    public SwitchParameter NoEdns { get; set; }

    /// <summary>Json: the DnsServerBehavior as one JSON string (DnsTools.Core.Json.DnsJson), as the other cmdlets' -Format Json.</summary>
    [Parameter]
    public ResultFormat Format { get; set; } = ResultFormat.Object;

    protected override void BeginProcessing() => _piped.Names.AddRange(Name);

    protected override void ProcessRecord() => _piped.Add(this, InputObject, ResolvConf);

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing()
    {
        if (_piped.Names.Count == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("No name to ask: give -Name or pipe names (strings, or objects with a Name or HostName property)."),
                "NameMissing", ErrorCategory.InvalidArgument, null));
        }
        ResolvConf ??= _piped.ResolvConf;
        var servers = ServerArguments.Parse(this, _piped.ServersAfter(Server));
        if (servers is null)
        {
            // Never this machine's /etc/resolv.conf: only the servers named or the resolv.conf given.
            if (ResolvConf is null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("Name the servers to ask (-Server) or give a resolv.conf (-ResolvConf): Get-DnsServerBehavior never asks a server it was not given."),
                    "NoServer", ErrorCategory.InvalidArgument, null));
                return;
            }
            if (ResolvConf.Nameservers.Count == 0)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"{ResolvConf.Source} names no nameserver: name the servers to ask with -Server."),
                    "NoServer", ErrorCategory.InvalidArgument, ResolvConf));
                return;
            }
            servers = ResolvConf.Nameservers.Take(ServerDiscoverer.MaxServers).Select(ns => new IPEndPoint(ns.Address, ns.Port)).ToList();
        }
        else if (ResolvConf is not null)
            WriteVerbose($"Asking {string.Join(", ", servers)} (not the resolv.conf's nameservers); the resolv.conf gives the search list and ndots.");

        var types = new List<string> { "A", "AAAA" };
        types.AddRange(Type.Where(t => !types.Contains(t, StringComparer.OrdinalIgnoreCase)));
        var options = new ServerDiscoveryOptions
        {
            Servers = servers,
            Names = _piped.Names,
            ResolvConf = ResolvConf,
            Types = types,
            Count = Count,
            Timeout = TimeSpan.FromSeconds(Timeout),
            QueriesPerSecond = QueriesPerSecond,
            MaxQueries = MaxQueries,
            CheckEdns = !NoEdns,
            CheckTcp = CheckTcp,
        };
        var record = new ProgressRecord(2, "Get-DnsServerBehavior", "starting");
        try
        {
            var behavior = ServerDiscoverer.Discover(options, p =>
            {
                record.StatusDescription = p.Activity;
                record.PercentComplete = Math.Min(100, p.Sent * 100 / Math.Max(1, p.Planned));
                WriteProgress(record);
            }, _stop.Token);
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
            foreach (var note in behavior.Notes) WriteVerbose(note);
            WriteVerbose($"{behavior.QueriesSent} queries in {behavior.Duration.TotalSeconds:0.0} s");
            WriteObject(Format == ResultFormat.Json ? Core.Json.DnsJson.Serialize(behavior) : behavior);
        }
        catch (ArgumentException e)
        {
            // The limits and options apply to the run as a whole: no single item to name.
            ThrowTerminatingError(new ErrorRecord(e, "InvalidDiscovery", ErrorCategory.InvalidArgument, null));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
