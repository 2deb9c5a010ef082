namespace DnsTools.Core.Images;

/// <summary>Files of an image layout, in a directory or inside a tar: read in place, never unpacked.</summary>
internal interface IFileStore : IDisposable
{
    string Location { get; }
    bool Exists(string relativePath);
    long? SizeOf(string relativePath);
    Stream Open(string relativePath);
}

internal sealed class DirectoryStore : IFileStore
{
    public DirectoryStore(string root)
    {
        if (!Directory.Exists(root)) throw new ImageException(ImageErrorKind.NotFound, root, $"'{root}': no such directory.");
        Location = Path.GetFullPath(root);
    }

    public string Location { get; }

    private string? Map(string relative)
    {
        var norm = TarIndex.Normalize(relative);
        if (norm.Length == 0 || relative.Split('/').Contains("..")) return null;
        var full = Path.GetFullPath(Path.Combine(Location, norm));
        return full.StartsWith(Location + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    // A dangling link is absent (File.Exists follows links); what exists must be a regular file before it is opened or
    // measured: a FIFO would block the open forever, a socket fails it.
    public bool Exists(string relativePath) => Map(relativePath) is { } p && File.Exists(p);

    public long? SizeOf(string relativePath)
    {
        if (Map(relativePath) is not { } p || !File.Exists(p)) return null;
        HostFileType.RequireRegular(p, Location, "file");
        return new FileInfo(p).Length;
    }

    public Stream Open(string relativePath)
    {
        var p = Map(relativePath);
        if (p is null || !File.Exists(p))
        {
            if (p is not null && HostFileType.Of(p, followLinks: false) == HostFileKind.SymbolicLink)
                throw new ImageException(ImageErrorKind.NotAnImage, Location, $"'{Location}': '{relativePath}' is a dangling link.");
            throw new ImageException(ImageErrorKind.NotAnImage, Location, $"'{Location}' has no file '{relativePath}'.");
        }
        HostFileType.RequireRegular(p, Location, "file");
        return new FileStream(p, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
    }

    public void Dispose() { }
}

internal sealed class TarStore : IFileStore
{
    private readonly TarIndex _index;

    public TarStore(string file)
    {
        if (Directory.Exists(file)) throw new ImageException(ImageErrorKind.NotAnImage, file, $"'{file}' is a directory, not an archive.");
        HostFileType.RequireRegular(file, file, "archive");
        _index = TarIndex.Open(file);
    }

    public string Location => _index.File;
    public bool Exists(string relativePath) => _index.SizeOf(relativePath) is not null;
    public long? SizeOf(string relativePath) => _index.SizeOf(relativePath);
    public Stream Open(string relativePath) => _index.OpenMember(relativePath);
    public void Dispose() => _index.Dispose();
}
