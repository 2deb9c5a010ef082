namespace DnsTools.Core.Images;

/// <summary>Opens any <see cref="ImageReference"/>.</summary>
public static class ImageSource
{
    public static IImageSource Open(string reference, ImageOpenOptions? options = null, string? currentDirectory = null, CancellationToken cancellationToken = default) =>
        Open(ImageReference.Parse(reference, currentDirectory), options, cancellationToken);

    public static IImageSource Open(ImageReference reference, ImageOpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageOpenOptions();
        return reference.Transport switch
        {
            ImageTransport.OciDirectory => new OciLayoutSource(reference, new DirectoryStore(reference.Location), options),
            ImageTransport.OciArchive => new OciLayoutSource(reference, new TarStore(reference.Location), options),
            ImageTransport.DockerArchive => new DockerArchiveSource(reference, Directory.Exists(reference.Location) ? new DirectoryStore(reference.Location) : new TarStore(reference.Location), options),
            ImageTransport.Directory => new RootfsSource(reference),
            ImageTransport.Registry => RegistrySource.Open(reference, options, cancellationToken),
            ImageTransport.Docker or ImageTransport.Podman => DaemonSource.Open(reference, options, cancellationToken),
            _ => throw new ImageException(ImageErrorKind.Unsupported, reference.Original, $"'{reference.Original}': the {reference.Transport} transport is not supported yet; save the image (docker save / podman save) and read it as docker-archive:PATH."),
        };
    }
}
