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

    public static DnsLabServer[] All() { lock (Running) return Running.ToArray(); }

    public static void Stop(DnsLabServer server)
    {
        server.Stop();
        lock (Running) Running.Remove(server);
    }
}

/// <summary>Starts an in-process DNS server with fault-injection rules.</summary>
[Cmdlet(VerbsLifecycle.Start, "DnsLabServer")]
[OutputType(typeof(DnsLabServer))]
public sealed class StartDnsLabServerCommand : PSCmdlet
{
    /// <summary>Rules in Get-ResolverQueryPlan's -ServerBehavior syntax.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(ServerRuleCompleter))]
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

    protected override void EndProcessing()
    {
        ServerBehavior behavior;
        try
        {
            behavior = ServerBehavior.Parse(Rule);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidRule", ErrorCategory.InvalidArgument, Rule));
            return;
        }
        if (!IPAddress.IsLoopback(Address))
            WriteWarning($"Listening on {Address}, which is not a loopback address: other hosts can reach this server.");
        try
        {
            var server = DnsLabServer.Start(new DnsLabServerOptions
            {
                Address = Address,
                Port = Port,
                Policy = DnsLabPolicy.FromBehavior(behavior, Address.ToString(), IPv4Answer, IPv6Answer),
                Description = behavior.ToString(),
            });
            LabServers.Add(server);
            WriteVerbose($"DNS lab server on {server.EndPoint}: {behavior}");
            WriteObject(server);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "CannotListen", ErrorCategory.ResourceUnavailable, $"{Address}:{Port}"));
        }
    }
}

/// <summary>Stops lab servers.</summary>
[Cmdlet(VerbsLifecycle.Stop, "DnsLabServer", DefaultParameterSetName = "Server")]
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
            WriteVerbose($"Stopping the DNS lab server on {s.EndPoint} ({s.Queries.Count} queries logged)");
            LabServers.Stop(s);
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
