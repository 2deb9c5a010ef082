using System.Management.Automation;
using System.Text;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.PowerShell.Commands;

/// <summary>What Get-ImageDnsProfile and Test-ImageDns share: several images (from the pipeline), platform, credentials.</summary>
public abstract class ImageDnsCommandBase : ImageAccessCommandBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string[] Image { get; set; } = Array.Empty<string>();

    protected const string ImageSet = "Image", PodListSet = "KubernetesList", PodSet = "KubernetesPod";

    /// <summary>The items of `kubectl get pods -o json | ConvertFrom-Json` (a List or PodList), bound by property name.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PodListSet, DontShow = true)]
    [AllowEmptyCollection]
    public object[] Items { get; set; } = Array.Empty<object>();

    /// <summary>The spec of one pod from `kubectl get pod NAME -o json | ConvertFrom-Json`, bound by property name.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PodSet, DontShow = true)]
    public object? Spec { get; set; }

    /// <summary>The metadata of that pod (for messages); a list has one too, so it belongs to both sets.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = PodSet, DontShow = true)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = PodListSet, DontShow = true)]
    public object? Metadata { get; set; }

    private readonly HashSet<string> _podImagesSeen = new(StringComparer.Ordinal);

    /// <summary>
    /// The images of this pipeline record: -Image, or every container image of the piped pods (initContainers,
    /// containers, ephemeralContainers), each reference once over the whole pipeline.
    /// </summary>
    protected IEnumerable<string> ImagesOfRecord()
    {
        if (ParameterSetName == ImageSet) return Image;
        var pods = ParameterSetName == PodSet
            ? new[] { (Spec, Metadata) }
            : Items.Select(i => (Spec: KubernetesObjects.Get(i, "spec"), Metadata: KubernetesObjects.Get(i, "metadata"))).Where(p => p.Spec is not null).ToArray();
        var images = new List<string>();
        foreach (var (spec, metadata) in pods)
        {
            foreach (var podImage in KubernetesObjects.Images(spec))
            {
                if (!_podImagesSeen.Add(podImage)) continue;
                var reference = KubernetesObjects.ImageReference(podImage);
                WriteVerbose($"pod {KubernetesObjects.Describe(metadata)}: {podImage}{(reference == podImage ? "" : $" ({reference})")}");
                images.Add(reference);
            }
        }
        return images;
    }

    /// <summary>-Platform all: every platform a multi-platform image offers, one profile each.</summary>
    private bool AllPlatforms => string.Equals(Platform, "all", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Profiles one image (each of its platforms with -Platform all); writes a non-terminating error (and adds it to
    /// <paramref name="errors"/>) and returns nothing when it cannot be read.
    /// </summary>
    protected IReadOnlyList<ImageDnsProfile> Profiles(string image, List<ImageReportError>? errors = null)
    {
        try
        {
            WriteVerbose($"{image}: reading the DNS profile{(AllPlatforms ? " of every platform" : "")}");
            var scan = ScanOptions(image);
            if (AllPlatforms) return ImageDnsInspector.InspectEachPlatform(image, OpenOptions(null), scan, CurrentDirectory, Token);
            return new[] { ImageDnsInspector.Inspect(image, OpenOptions(ParsePlatform()), scan, CurrentDirectory, Token) };
        }
        catch (FormatException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "InvalidPlatform", ErrorCategory.InvalidArgument, Platform));
            return Array.Empty<ImageDnsProfile>();
        }
        catch (ImageException e)
        {
            WriteError(new ErrorRecord(e, "Image" + e.Kind, CategoryOf(e.Kind), image));
            errors?.Add(new ImageReportError(image, e.Message));
            return Array.Empty<ImageDnsProfile>();
        }
        finally
        {
            CompleteProgress(image);
        }
    }
}

/// <summary>What resolves names in an image: OS, C library and version, the resolver configuration baked in.</summary>
[Cmdlet(VerbsCommon.Get, "ImageDnsProfile", DefaultParameterSetName = ImageSet)]
[OutputType(typeof(ImageDnsProfile))]
public sealed class GetImageDnsProfileCommand : ImageDnsCommandBase
{
    protected override void ProcessRecord()
    {
        foreach (var image in ImagesOfRecord())
        {
            foreach (var p in Profiles(image)) WriteObject(p);
        }
    }
}

/// <summary>Checks images against the DNS rule catalogue; a gate for pipelines.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ImageDns", DefaultParameterSetName = ImageSet)]
[OutputType(typeof(ImageDnsFinding), typeof(string))]
public sealed class TestImageDnsCommand : ImageDnsCommandBase
{
    private readonly List<ImageDnsFinding> _findings = new();
    private readonly List<string> _images = new();
    private readonly List<ImageReportError> _unreadable = new();
    private readonly List<ImageReportTarget> _targets = new();
    private IReadOnlyList<DnsIgnoreEntry> _ignore = Array.Empty<DnsIgnoreEntry>();

    [Parameter]
    public DnsRuleSeverity FailOn { get; set; } = DnsRuleSeverity.None;

    [Parameter]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string[] ExcludeRule { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IgnoreFile { get; set; }

    [Parameter]
    public DnsReportFormat Format { get; set; } = DnsReportFormat.Table;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        foreach (var id in ExcludeRule)
        {
            if (ImageDnsRules.Find(id) is null) WriteWarning($"-ExcludeRule {id}: no such rule (known: {string.Join(", ", ImageDnsRules.All.Select(r => r.Id))}).");
        }
        if (IgnoreFile is not null)
        {
            var path = GetUnresolvedProviderPathFromPSPath(IgnoreFile);
            try
            {
                _ignore = DnsIgnoreFile.Parse(File.ReadAllText(path), IgnoreFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                ThrowTerminatingError(new ErrorRecord(e, "InvalidIgnoreFile", ErrorCategory.InvalidData, IgnoreFile));
            }
            foreach (var e in _ignore.Where(e => ImageDnsRules.Find(e.RuleId) is null))
                WriteWarning($"{IgnoreFile}:{e.LineNumber}: no such rule '{e.RuleId}'.");
        }
    }

    private bool Streaming => Format == DnsReportFormat.Table && OutFile is null;

    protected override void ProcessRecord()
    {
        foreach (var image in ImagesOfRecord())
        {
            _images.Add(image);
            foreach (var profile in Profiles(image, _unreadable))
            {
                _targets.Add(new ImageReportTarget(image, profile.Platform, profile.ManifestDigest));
                var findings = ImageDnsRules.Evaluate(profile, ExcludeRule);
                foreach (var w in DnsIgnoreFile.Apply(findings, _ignore, DateOnly.FromDateTime(DateTime.UtcNow)))
                    WriteWarning($"{image}: {w}");
                _findings.AddRange(findings);
                if (Streaming || PassThru) foreach (var f in findings) WriteObject(f);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (!Streaming)
        {
            var version = MyInvocation.MyCommand.Module?.Version?.ToString() ?? typeof(ImageDnsFinding).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            var text = ImageDnsReport.Render(Format, _findings, _images, FailOn, version, _unreadable, _targets, "DnsTools");
            if (OutFile is not null)
            {
                var path = GetUnresolvedProviderPathFromPSPath(OutFile);
                File.WriteAllText(path, text, new UTF8Encoding(false));
                WriteVerbose($"Wrote {_findings.Count} findings for {_images.Count} images to {path} ({Format}).");
            }
            else WriteObject(text);
        }

        if (FailOn == DnsRuleSeverity.None) return;
        var failing = ImageDnsReport.Failing(_findings, FailOn);
        if (failing.Count == 0 && _unreadable.Count == 0) return;
        var parts = failing.GroupBy(f => f.Image, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(f => f.RuleId).Distinct())}").ToList();
        parts.AddRange(_unreadable.Select(e => $"{e.Image}: could not be read"));
        var message = $"Test-ImageDns -FailOn {FailOn}: {string.Join("; ", parts)}.";
        ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message), "ImageDnsGateFailed", ErrorCategory.InvalidResult, failing.Select(f => f.RuleId).Distinct().ToArray()));
    }
}
