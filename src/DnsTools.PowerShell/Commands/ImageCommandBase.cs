using System.Management.Automation;
using DnsTools.Core.Images;

namespace DnsTools.PowerShell.Commands;

/// <summary>What the image cmdlets share: -Image, -Platform, cancellation, error mapping.</summary>
public abstract class ImageCommandBase : PSCmdlet
{
    private readonly CancellationTokenSource _cts = new();

    /// <summary>docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH, registry:REF, or a bare path or reference.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = "";

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

    protected IImageSource? OpenImage()
    {
        try
        {
            ImagePlatform? platform = Platform is null ? null : ImagePlatform.Parse(Platform);
            var cwd = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
            return ImageSource.Open(Image, OpenOptions(platform), cwd, Token);
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

    protected virtual ImageOpenOptions OpenOptions(ImagePlatform? platform) => new()
    {
        Platform = platform,
        Credentials = Credential is null ? null : (Credential.UserName, Credential.GetNetworkCredential().Password),
        AllowInsecureRegistry = AllowInsecureRegistry,
    };

    protected void WriteImageError(ImageException e)
    {
        var category = e.Kind switch
        {
            ImageErrorKind.NotFound => ErrorCategory.ObjectNotFound,
            ImageErrorKind.NotAnImage => ErrorCategory.InvalidData,
            ImageErrorKind.Corrupt => ErrorCategory.InvalidData,
            ImageErrorKind.DigestMismatch => ErrorCategory.SecurityError,
            ImageErrorKind.PlatformNotFound => ErrorCategory.ObjectNotFound,
            ImageErrorKind.UnsafePath => ErrorCategory.SecurityError,
            ImageErrorKind.SymlinkLoop => ErrorCategory.InvalidData,
            ImageErrorKind.LimitExceeded => ErrorCategory.LimitsExceeded,
            ImageErrorKind.Unsupported => ErrorCategory.NotImplemented,
            ImageErrorKind.Unauthorized => ErrorCategory.PermissionDenied,
            _ => ErrorCategory.ConnectionError,
        };
        WriteError(new ErrorRecord(e, "Image" + e.Kind, category, e.Input));
    }
}
