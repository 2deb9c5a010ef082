using System.Management.Automation;
using System.Net;
using DnsTools.Core.Lab;
using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell.Commands;

/// <summary>The lab servers this session started, so Stop-DnsLabServer -All and module removal find them.</summary>
internal static class LabServers
{
    private static readonly List<DnsLabServer> Running = new();

    public static void Add(DnsLabServer server) { lock (Running) Running.Add(server); }

    public static DnsLabServer[] All() { lock (Running) return Running.Where(s => s.IsRunning).ToArray(); }

    public static void Stop(DnsLabServer server)
    {
        server.Stop();
        lock (Running) Running.Remove(server);
    }
}

/// <summary>Starts an in-process DNS server with fault-injection rules.</summary>
[Cmdlet(VerbsLifecycle.Start, "DnsLabServer", SupportsShouldProcess = true)]
[OutputType(typeof(DnsLabServer))]
public sealed class StartDnsLabServerCommand : PSCmdlet
{
    /// <summary>Rules in Get-ResolverQueryPlan's -ServerBehavior syntax, or what Get-DnsServerBehavior returns.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(ServerRuleCompleter))]
    [Alias("Behavior", "ServerBehavior")]
    [ServerBehaviorTransformation]
    public string[] Rule { get; set; } = Array.Empty<string>();

    [Parameter]
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public IPAddress IPv4Answer { get; set; } = DnsLabPolicy.DefaultIPv4Answer;

    [Parameter]
    public IPAddress IPv6Answer { get; set; } = DnsLabPolicy.DefaultIPv6Answer;

    /// <summary>Refuse TCP connections (an upstream that serves UDP only).</summary>
    [Parameter]
    public SwitchParameter NoTcp { get; set; }

    protected override void EndProcessing()
    {
        ServerBehavior behavior;
        try
        {
            behavior = ServerBehavior.Parse(Rule);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidRule", ErrorCategory.InvalidArgument, ErrorTargets.BadRule(Rule)));
            return;
        }
        if (!ShouldProcess($"{Address}:{Port}", $"Start a DNS lab server ({behavior})")) return;
        if (!IPAddress.IsLoopback(Address))
            WriteWarning($"Listening on {Address}, which is not a loopback address: other hosts can reach this server.");
        try
        {
            var server = DnsLabServer.Start(new DnsLabServerOptions
            {
                Address = Address,
                Port = Port,
                Policy = DnsLabPolicy.FromBehavior(behavior, Address.ToString(), IPv4Answer, IPv6Answer),
                Description = behavior.ToString() + (NoTcp ? " (TCP refused)" : ""),
                NoTcp = NoTcp,
            });
            LabServers.Add(server);
            WriteVerbose($"DNS lab server on {server.EndPoint}: {behavior}");
            WriteObject(server);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "CannotListen", ErrorCategory.ResourceUnavailable, new IPEndPoint(Address, Port)));
        }
    }
}

/// <summary>Stops lab servers.</summary>
[Cmdlet(VerbsLifecycle.Stop, "DnsLabServer", DefaultParameterSetName = "Server", SupportsShouldProcess = true)]
public sealed class StopDnsLabServerCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Server")]
    public DnsLabServer[] Server { get; set; } = Array.Empty<DnsLabServer>();

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var s in All ? LabServers.All() : Server)
        {
            if (!ShouldProcess(s.EndPoint.ToString(), $"Stop the DNS lab server ({s.Queries.Count} queries logged)")) continue;
            LabServers.Stop(s);
        }
    }
}

/// <summary>The lab servers this session started and that still run.</summary>
[Cmdlet(VerbsCommon.Get, "DnsLabServer")]
[OutputType(typeof(DnsLabServer))]
public sealed class GetDnsLabServerCommand : PSCmdlet
{
    /// <summary>Only servers on these ports.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    protected override void EndProcessing()
    {
        foreach (var s in LabServers.All())
        {
            if (Port is { Length: > 0 } && !Port.Contains(s.EndPoint.Port)) continue;
            WriteObject(s);
        }
    }
}

/// <summary>The queries a lab server received, with what it answered and when.</summary>
[Cmdlet(VerbsCommon.Get, "DnsLabQuery")]
[OutputType(typeof(DnsLabQueryRecord))]
public sealed class GetDnsLabQueryCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public DnsLabServer[] Server { get; set; } = Array.Empty<DnsLabServer>();

    /// <summary>Forget the returned queries, so the next call shows only new ones.</summary>
    [Parameter]
    public SwitchParameter Clear { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var s in Server)
        {
            WriteObject(s.Queries, enumerateCollection: true);
            if (s.UnloggedQueries > 0) WriteWarning($"{s.EndPoint}: {s.UnloggedQueries} queries were not logged (log limit reached)");
            if (Clear) s.ClearLog();
        }
    }
}
