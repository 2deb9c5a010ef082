using System.Management.Automation;
using DnsTools.Core.Images;

namespace DnsTools.PowerShell.Commands;

/// <summary>
/// What every cmdlet that opens images shares: -Platform, -Credential, -AllowInsecureRegistry,
/// cancellation, the open options built from them, and the error category of each image error.
/// </summary>
public abstract class ImageAccessCommandBase : PSCmdlet
{
    private readonly CancellationTokenSource _cts = new();

    /// <summary>os/arch[/variant] to pick from a multi-platform index; default linux/amd64.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PlatformCompleter))]
    public string? Platform { get; set; }

    /// <summary>Registry user name and password (basic auth, or for the bearer token realm).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Allow plain HTTP to a registry that is not on loopback.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureRegistry { get; set; }

    /// <summary>Most layers a manifest may list (ImageOpenOptions.MaxLayers).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxLayers { get; set; } = new ImageOpenOptions().MaxLayers;

    /// <summary>Most times a manifest may list one layer blob (ImageOpenOptions.MaxDuplicateLayers).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxDuplicateLayers { get; set; } = new ImageOpenOptions().MaxDuplicateLayers;

    protected CancellationToken Token => _cts.Token;

    protected override void StopProcessing() => _cts.Cancel();

    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary>The -Platform value; a malformed one throws <see cref="FormatException"/>.</summary>
    protected ImagePlatform? ParsePlatform() => Platform is null ? null : ImagePlatform.Parse(Platform);

    /// <summary>
    /// Scan options whose progress callback writes a progress bar for <paramref name="image"/> (at most every 250 ms;
    /// the engine calls it on the pipeline thread, between reads) and says so in -Verbose when the layers are read again.
    /// </summary>
    protected ImageScanOptions ScanOptions(string image, ImageScanOptions limits)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var lastPass = 0;
        var activity = $"Reading {image}";
        return new ImageScanOptions
        {
            MaxDecompressedBytes = limits.MaxDecompressedBytes,
            MaxContentBytes = limits.MaxContentBytes,
            MaxEntries = limits.MaxEntries,
            MaxPathLength = limits.MaxPathLength,
            MaxCompressionRatio = limits.MaxCompressionRatio,
            MaxProgramBytes = limits.MaxProgramBytes,
            Progress = p =>
            {
                if (p.BytesRead != 0 && watch.ElapsedMilliseconds < 250) return;
                watch.Restart();
                if (p.Pass != lastPass && p.Pass > 1) WriteVerbose($"{image}: reading the layers again (pass {p.Pass}) for link targets");
                lastPass = p.Pass;
                var percent = p.LayerSize is > 0 ? (int)Math.Min(100, 100 * p.BytesRead / p.LayerSize.Value) : -1;
                WriteProgress(new ProgressRecord(1, activity, $"layer {p.LayerIndex + 1}/{p.LayerCount} {p.Layer}") { PercentComplete = percent });
            },
        };
    }

    /// <summary>Ends the progress bar <see cref="ScanOptions"/> started.</summary>
    protected void CompleteProgress(string image) =>
        WriteProgress(new ProgressRecord(1, $"Reading {image}", "done") { RecordType = ProgressRecordType.Completed });

    protected virtual ImageOpenOptions OpenOptions(ImagePlatform? platform) => new()
    {
        Platform = platform,
        Credentials = Credential is null ? null : (Credential.UserName, Credential.GetNetworkCredential().Password),
        AllowInsecureRegistry = AllowInsecureRegistry,
        MaxLayers = MaxLayers,
        MaxDuplicateLayers = MaxDuplicateLayers,
    };

    protected static ErrorCategory CategoryOf(ImageErrorKind kind) => kind switch
    {
        ImageErrorKind.NotFound or ImageErrorKind.PlatformNotFound => ErrorCategory.ObjectNotFound,
        ImageErrorKind.NotAnImage or ImageErrorKind.Corrupt or ImageErrorKind.SymlinkLoop => ErrorCategory.InvalidData,
        ImageErrorKind.DigestMismatch or ImageErrorKind.UnsafePath => ErrorCategory.SecurityError,
        ImageErrorKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        ImageErrorKind.Unsupported => ErrorCategory.NotImplemented,
        ImageErrorKind.Unauthorized => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.ConnectionError,
    };
}

/// <summary>What the image cmdlets share: -Image, -Platform, cancellation, error mapping.</summary>
public abstract class ImageCommandBase : ImageAccessCommandBase
{

    /// <summary>docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH, registry:REF, or a bare path or reference.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImageCompleter))]
    [PipelineInputTransformation(PipelineInputKinds.Text | PipelineInputKinds.ImageProperty, "image references (strings, or objects with an Image or FullName property)")]
    public string Image { get; set; } = "";

    protected IImageSource? OpenImage()
    {
        try
        {
            return ImageSource.Open(Image, OpenOptions(ParsePlatform()), CurrentDirectory, Token);
        }
        catch (FormatException e)
        {
            WriteError(new ErrorRecord(e, "InvalidPlatform", ErrorCategory.InvalidArgument, Platform));
            return null;
        }
        catch (ImageException e)
        {
            WriteImageError(e);
            return null;
        }
    }

    protected void WriteImageError(ImageException e)
        => WriteError(new ErrorRecord(e, "Image" + e.Kind, CategoryOf(e.Kind), e.Input));
}
