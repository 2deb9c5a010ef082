using System.Management.Automation;
using System.Text;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.PowerShell.Commands;

/// <summary>What Get-ImageDnsProfile and Test-ImageDns share: several images (from the pipeline), platform, credentials.</summary>
public abstract class ImageDnsCommandBase : ImageAccessCommandBase
{
    /// <summary>-Platform all: every platform a multi-platform image offers, one profile each.</summary>
    private bool AllPlatforms => string.Equals(Platform, "all", StringComparison.OrdinalIgnoreCase);

    /// <summary>Ceiling on the decompressed bytes read per image (ImageScanOptions.MaxDecompressedBytes).</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxDecompressedBytes { get; set; } = new ImageScanOptions().MaxDecompressedBytes;

    /// <summary>Largest configuration or database file kept in memory (ImageScanOptions.MaxContentBytes).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public long MaxContentBytes { get; set; } = new ImageScanOptions().MaxContentBytes;

    /// <summary>Largest program read whole for its analysis (ImageScanOptions.MaxProgramBytes).</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxProgramBytes { get; set; } = new ImageScanOptions().MaxProgramBytes;

    /// <summary>Most entries of the merged file system held in memory (ImageScanOptions.MaxEntries).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxEntries { get; set; } = new ImageScanOptions().MaxEntries;

    /// <summary>Most decompressed bytes a compressed layer may give per compressed byte (ImageScanOptions.MaxCompressionRatio).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxCompressionRatio { get; set; } = new ImageScanOptions().MaxCompressionRatio;

    /// <summary>Longest entry name or link target a layer may hold (ImageScanOptions.MaxPathLength).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxPathLength { get; set; } = ImageScanOptions.DefaultMaxPathLength;

    /// <summary>
    /// Profiles one image (each of its platforms with -Platform all); writes a non-terminating error (and adds it to
    /// <paramref name="errors"/>) and returns nothing when it cannot be read.
    /// </summary>
    protected IReadOnlyList<ImageDnsProfile> Profiles(string image, List<ImageReportError>? errors = null)
    {
        try
        {
            WriteVerbose($"{image}: reading the DNS profile{(AllPlatforms ? " of every platform" : "")}");
            var scan = ScanOptions(image, new ImageScanOptions
            {
                MaxDecompressedBytes = MaxDecompressedBytes, MaxContentBytes = MaxContentBytes, MaxProgramBytes = MaxProgramBytes,
                MaxEntries = MaxEntries, MaxPathLength = MaxPathLength, MaxCompressionRatio = MaxCompressionRatio,
            });
            var profiles = AllPlatforms
                ? ImageDnsInspector.InspectEachPlatform(image, OpenOptions(null), scan, CurrentDirectory, Token)
                : new[] { ImageDnsInspector.Inspect(image, OpenOptions(ParsePlatform()), scan, CurrentDirectory, Token) };
            foreach (var p in profiles)
                WriteVerbose($"{image}{(p.Platform is null ? "" : $" ({p.Platform})")}: {p.DecompressedBytes:N0} decompressed bytes in {p.LayerReads} read(s) of {p.Layers.Count} layer(s)");
            return profiles;
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
[Cmdlet(VerbsCommon.Get, "ImageDnsProfile")]
[OutputType(typeof(ImageDnsProfile))]
public sealed class GetImageDnsProfileCommand : ImageDnsCommandBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.ImageProperty | PipelineInputKinds.KubernetesPods,
        "image references (strings, or objects with an Image or FullName property) or Kubernetes pods and pod lists (kubectl ... -o json | ConvertFrom-Json)")]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string[] Image { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var image in Image)
        {
            foreach (var p in Profiles(image)) WriteObject(p);
        }
    }
}

/// <summary>Checks images against the DNS rule catalogue; a gate for pipelines.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ImageDns", SupportsShouldProcess = true)]
[OutputType(typeof(ImageDnsFinding), typeof(string))]
public sealed class TestImageDnsCommand : ImageDnsCommandBase
{
    private readonly List<ImageDnsFinding> _findings = new();
    private readonly List<string> _images = new();
    private readonly List<ImageReportError> _unreadable = new();
    private readonly List<ImageReportTarget> _targets = new();
    private readonly HashSet<string> _podImagesSeen = new(StringComparer.Ordinal);
    private IReadOnlyList<DnsIgnoreEntry> _ignore = Array.Empty<DnsIgnoreEntry>();

    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string[] Image { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The pipeline: image references (strings, objects with an Image or FullName property) or profiles from
    /// Get-ImageDnsProfile, which are checked as they are (the image is not read again). Anything else is a binding error.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.ImageProperty | PipelineInputKinds.ImageDnsProfile | PipelineInputKinds.KubernetesPods,
        "image references (strings, or objects with an Image or FullName property), profiles from Get-ImageDnsProfile, or Kubernetes pods and pod lists (kubectl ... -o json | ConvertFrom-Json)")]
    public object? InputObject { get; set; }

    private bool _sawImages;

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

    /// <summary>Overwrite an existing -OutFile (without it, an existing file is an error and is left as it is).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private string? _outPath;

    protected override void BeginProcessing()
    {
        if (OutFile is not null)
        {
            // Checked before any image is read, so a refused report costs nothing.
            _outPath = GetUnresolvedProviderPathFromPSPath(OutFile);
            if (File.Exists(_outPath) && !Force)
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"-OutFile {OutFile} exists: add -Force to overwrite it."),
                    "OutFileExists", ErrorCategory.ResourceExists, _outPath));
            }
            if (Directory.Exists(_outPath))
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"-OutFile {OutFile} is a directory."),
                    "OutFileIsDirectory", ErrorCategory.InvalidArgument, _outPath));
            }
        }
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
        if (!_sawImages)
        {
            _sawImages = true;
            foreach (var image in Image) Check(image);
        }
        foreach (var item in InputObject is object?[] items ? items : new[] { InputObject })
        {
            switch (item)
            {
                case string image:
                    Check(image);
                    break;
                case KubernetesImageReference pod:
                    // Every container image of every pod piped in, each reference once.
                    if (!_podImagesSeen.Add(pod.Reference)) break;
                    WriteVerbose($"pod {pod.Pod}: {pod.PodImage}{(pod.Reference == pod.PodImage ? "" : $" ({pod.Reference})")}");
                    Check(pod.Reference);
                    break;
                case ImageDnsProfile profile:
                    if (!_images.Contains(profile.Image, StringComparer.Ordinal)) _images.Add(profile.Image);
                    Evaluate(profile.Image, profile);
                    break;
            }
        }
    }

    private void Check(string image)
    {
        _images.Add(image);
        foreach (var profile in Profiles(image, _unreadable)) Evaluate(image, profile);
    }

    private void Evaluate(string image, ImageDnsProfile profile)
    {
        _targets.Add(new ImageReportTarget(image, profile.Platform, profile.ManifestDigest));
        var findings = ImageDnsRules.Evaluate(profile, ExcludeRule);
        foreach (var w in DnsIgnoreFile.Apply(findings, _ignore, DateOnly.FromDateTime(DateTime.UtcNow)))
            WriteWarning($"{image}: {w}");
        _findings.AddRange(findings);
        if (Streaming || PassThru) foreach (var f in findings) WriteObject(f);
    }

    protected override void EndProcessing()
    {
        if (_images.Count == 0)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("No image to check: give -Image or pipe image references or profiles from Get-ImageDnsProfile."),
                "ImageMissing", ErrorCategory.InvalidArgument, null));
        }
        if (!Streaming)
        {
            var version = MyInvocation.MyCommand.Module?.Version?.ToString() ?? typeof(ImageDnsFinding).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            var text = ImageDnsReport.Render(Format, _findings, _images, FailOn, version, _unreadable, _targets, "DnsTools");
            if (_outPath is not null)
            {
                if (ShouldProcess(_outPath, $"Write the {Format} report ({_findings.Count} findings, {_images.Count} images)"))
                {
                    try
                    {
                        using (var stream = new FileStream(_outPath, Force ? FileMode.Create : FileMode.CreateNew, FileAccess.Write))
                        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
                            writer.Write(text);
                        WriteVerbose($"Wrote {_findings.Count} findings for {_images.Count} images to {_outPath} ({Format}).");
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        ThrowTerminatingError(new ErrorRecord(e, File.Exists(_outPath) && !Force ? "OutFileExists" : "OutFileUnwritable",
                            File.Exists(_outPath) && !Force ? ErrorCategory.ResourceExists : ErrorCategory.WriteError, _outPath));
                    }
                }
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
        // The target is the first image that fails the gate (all are in the message).
        var firstFailing = failing.Count > 0 ? failing[0].Image : _unreadable[0].Image;
        ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message), "ImageDnsGateFailed", ErrorCategory.InvalidResult, firstFailing));
    }
}
