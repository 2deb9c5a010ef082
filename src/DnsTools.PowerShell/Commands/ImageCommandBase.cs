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
    public string? Platform { get; set; }

    /// <summary>Registry user name and password (basic auth, or for the bearer token realm).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Allow plain HTTP to a registry that is not on loopback.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureRegistry { get; set; }

    protected CancellationToken Token => _cts.Token;

    protected override void StopProcessing() => _cts.Cancel();

    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary>The -Platform value; a malformed one throws <see cref="FormatException"/>.</summary>
    protected ImagePlatform? ParsePlatform() => Platform is null ? null : ImagePlatform.Parse(Platform);

    protected virtual ImageOpenOptions OpenOptions(ImagePlatform? platform) => new()
    {
        Platform = platform,
        Credentials = Credential is null ? null : (Credential.UserName, Credential.GetNetworkCredential().Password),
        AllowInsecureRegistry = AllowInsecureRegistry,
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
