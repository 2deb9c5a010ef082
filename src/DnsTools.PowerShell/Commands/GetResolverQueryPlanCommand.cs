using System.Management.Automation;
using DnsTools.Core.ResolvConf;
using DnsTools.Core.Resolvers;

namespace DnsTools.PowerShell.Commands;

/// <summary>Lists the queries musl, glibc, Go or uClibc-ng would put on the wire for a name, with timing and result.</summary>
[Cmdlet(VerbsCommon.Get, "ResolverQueryPlan")]
[OutputType(typeof(QueryPlan), typeof(string))]
public sealed class GetResolverQueryPlanCommand : PSCmdlet
{
    private ServerBehavior? _server;
    private ResolverModel[] _models = Array.Empty<ResolverModel>();
    private readonly List<QueryPlan> _plans = new();

    [Parameter(Position = 0)]
    [Alias("HostName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The pipeline: names (strings, objects with a Name or HostName) or a ResolvConf (as -ResolvConf). Anything else is
    /// a binding error: nothing is planned for an object's ToString().
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.NameProperty | PipelineInputKinds.ResolvConf,
        "names (strings, or objects with a Name or HostName property) or a ResolvConf (as -ResolvConf)")]
    public object? InputObject { get; set; }

    // Required (here or from the pipeline) on purpose: no default may read this machine's /etc/resolv.conf.
    [Parameter]
    [ResolvConfTransformation]
    public ResolvConf? ResolvConf { get; set; }

    private ResolvConf? _conf;
    private readonly List<string> _waiting = new();

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ResolverCompleter))]
    public string[] Resolver { get; set; } = { "musl-1.2.3" };

    /// <summary>Rule strings, or what Get-DnsServerBehavior returns.</summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(ServerRuleCompleter))]
    [ServerBehaviorTransformation]
    public string[] ServerBehavior { get; set; } = Array.Empty<string>();

    /// <summary>Json: one JSON array of every plan, written at the end (DnsTools.Core.Json.DnsJson).</summary>
    [Parameter]
    public ResultFormat Format { get; set; } = ResultFormat.Object;

    protected override void BeginProcessing()
    {
        var models = new List<ResolverModel>();
        foreach (var r in Resolver)
        {
            try { models.Add(ResolverModel.For(r)); }
            catch (ArgumentException e) { ThrowTerminatingError(new ErrorRecord(e, "UnknownResolver", ErrorCategory.InvalidArgument, r)); }
            if (models[^1].Spec.Warning is { } warning) WriteWarning(warning);
        }
        _models = models.ToArray();
        try
        {
            _server = Core.Resolvers.ServerBehavior.Parse(ServerBehavior);
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidServerBehavior", ErrorCategory.InvalidArgument, ErrorTargets.BadRule(ServerBehavior)));
        }
    }

    protected override void ProcessRecord()
    {
        _conf ??= ResolvConf;
        var names = new List<string>();
        if (!_sawNames) { names.AddRange(Name); _sawNames = true; }
        foreach (var item in InputObject is object?[] items ? items : new[] { InputObject })
        {
            switch (item)
            {
                case string name:
                    names.Add(name);
                    break;
                case ResolvConf conf when _conf is not null:
                    ThrowTerminatingError(new ErrorRecord(new ArgumentException($"Two resolv.confs: {conf.Source} came down the pipeline, but {_conf.Source} is already in use. Give one."),
                        "ResolvConfGivenTwice", ErrorCategory.InvalidArgument, conf));
                    break;
                case ResolvConf conf:
                    _conf = conf;
                    break;
            }
        }
        // Names that came before a piped ResolvConf wait for it.
        if (_conf is null) { _waiting.AddRange(names); return; }
        names.InsertRange(0, _waiting);
        _waiting.Clear();
        Plan(names);
    }

    private bool _sawNames;

    protected override void EndProcessing()
    {
        if (_conf is null)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("No resolv.conf: give -ResolvConf (a ResolvConf, a path or the text) or pipe a ResolvConf. This machine's /etc/resolv.conf is never read by default."),
                "ResolvConfMissing", ErrorCategory.InvalidArgument, null));
        }
        if (_waiting.Count > 0) { Plan(_waiting); _waiting.Clear(); }
        if (!_sawAnyName)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("No name to plan: give -Name or pipe names (strings, or objects with a Name or HostName property)."),
                "NameMissing", ErrorCategory.InvalidArgument, null));
        }
        if (Format == ResultFormat.Json) WriteObject(Core.Json.DnsJson.Serialize(_plans));
    }

    private bool _sawAnyName;

    private void Plan(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _sawAnyName = true;
            foreach (var model in _models)
            {
                QueryPlan plan;
                try
                {
                    plan = model.Plan(name, _conf!, _server);
                }
                catch (ArgumentException e)
                {
                    WriteError(new ErrorRecord(e, "InvalidName", ErrorCategory.InvalidArgument, name));
                    continue;
                }
                foreach (var note in plan.Notes) WriteVerbose($"{plan.Resolver}: {note}");
                if (Format == ResultFormat.Json) _plans.Add(plan);
                else WriteObject(plan);
            }
        }
    }
}
