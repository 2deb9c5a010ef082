namespace DnsTools.Core.Images;

/// <summary>Options for opening an image.</summary>
public sealed class ImageOpenOptions
{
    /// <summary>The platform to pick from an index; null means linux/amd64 where there is a choice.</summary>
    public ImagePlatform? Platform { get; init; }
    /// <summary>When an index has no manifest for the platform, take its first one instead of failing (to learn <see cref="IImageSource.Platforms"/>).</summary>
    public bool AnyPlatform { get; init; }
    /// <summary>Registry credentials (user, password); anonymous when null.</summary>
    public (string User, string Password)? Credentials { get; init; }
    /// <summary>Allow plain HTTP to registries that are not on loopback.</summary>
    public bool AllowInsecureRegistry { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);
    /// <summary>Docker/Podman API socket (unix path); defaults to DOCKER_HOST or /var/run/docker.sock.</summary>
    public string? DaemonSocket { get; init; }

    /// <summary>Most layers a manifest may list (Docker's own limit is 127). Default 500.</summary>
    public int MaxLayers { get; init; } = 500;
    /// <summary>Most times a manifest may list the same layer blob. Default 16.</summary>
    public int MaxDuplicateLayers { get; init; } = 16;

    /// <summary>These options with another platform choice.</summary>
    public ImageOpenOptions WithPlatform(ImagePlatform? platform, bool anyPlatform = false) => new()
    {
        Platform = platform, AnyPlatform = anyPlatform, Credentials = Credentials, AllowInsecureRegistry = AllowInsecureRegistry,
        Timeout = Timeout, DaemonSocket = DaemonSocket, MaxLayers = MaxLayers, MaxDuplicateLayers = MaxDuplicateLayers,
    };
}
