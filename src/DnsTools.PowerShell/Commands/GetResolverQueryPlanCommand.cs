using System.Management.Automation;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell.Commands;

/// <summary>Lists the queries musl, glibc, Go or uClibc-ng would put on the wire for a name, with timing and result.</summary>
[Cmdlet(VerbsCommon.Get, "ResolverQueryPlan")]
[OutputType(typeof(QueryPlan))]
public sealed class GetResolverQueryPlanCommand : PSCmdlet
{
    private ServerBehavior? _server;
    private ResolverModel[] _models = Array.Empty<ResolverModel>();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    // Mandatory on purpose: no default may read this machine's /etc/resolv.conf.
    [Parameter(Mandatory = true)]
    [ResolvConfTransformation]
    public ResolvConf ResolvConf { get; set; } = null!;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Resolver { get; set; } = { "musl-1.2.3" };

    [Parameter]
    [AllowEmptyCollection]
    public string[] ServerBehavior { get; set; } = Array.Empty<string>();

    protected override void BeginProcessing()
    {
        try
        {
            _models = Resolver.Select(ResolverModel.For).ToArray();
            foreach (var model in _models)
                if (model.Spec.Warning is { } warning) WriteWarning(warning);
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "UnknownResolver", ErrorCategory.InvalidArgument, Resolver));
        }
        try
        {
            _server = Core.Resolvers.ServerBehavior.Parse(ServerBehavior);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidServerBehavior", ErrorCategory.InvalidArgument, ServerBehavior));
        }
    }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            foreach (var model in _models)
            {
                QueryPlan plan;
                try
                {
                    plan = model.Plan(name, ResolvConf, _server);
                }
                catch (ArgumentException e)
                {
                    WriteError(new ErrorRecord(e, "InvalidName", ErrorCategory.InvalidArgument, name));
                    continue;
                }
                foreach (var note in plan.Notes) WriteVerbose($"{plan.Resolver}: {note}");
                WriteObject(plan);
            }
        }
    }
}
