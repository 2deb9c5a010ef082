using System.Text;

namespace DnsTools.Core.Images;

/// <summary>A file in an image's merged file system (all layers applied: whiteouts, opaque directories, replacements).</summary>
public sealed class ImageFileInfo
{
    public required string Image { get; init; }
    /// <summary>The path as asked for, or as found under a -Recurse path.</summary>
    public required string Path { get; init; }
    public required ImageFileType Type { get; init; }
    /// <summary>Bytes of a regular file (of the hard link's target for hard links; of the link text for symbolic links).</summary>
    public long Size { get; init; }
    public UnixFileMode Mode { get; init; }
    public int Uid { get; init; }
    public int Gid { get; init; }
    public DateTimeOffset? ModifiedTime { get; init; }
    /// <summary>Symbolic link text as stored, or a hard link's target path.</summary>
    public string? LinkTarget { get; init; }
    /// <summary>Where the path leads inside the image after every symbolic link (null when it leads nowhere: dangling).</summary>
    public string? ResolvedPath { get; init; }
    /// <summary>A symbolic link whose target does not exist in the image.</summary>
    public bool IsDangling { get; init; }
    /// <summary>Digest of the layer the entry comes from (null for directories only implied by their contents, and for dir: images).</summary>
    public string? Layer { get; init; }
    /// <summary>Index of that layer, bottom 0; -1 when implied.</summary>
    public int LayerIndex { get; init; }
    /// <summary>Text of the file (after links), when one path was asked for and the file is text of at most MaxContentBytes.</summary>
    public string? Content { get; init; }

    /// <summary>The bytes read, shared with the scan: the analysers only read them (a program may be up to MaxProgramBytes, so no copy).</summary>
    internal byte[]? ContentBytes { get; init; }

    /// <summary>The file's bytes (after links), when they were read; null otherwise.</summary>
    public byte[]? GetContentBytes() => ContentBytes?.ToArray();

    /// <summary>ls-style mode: "-rw-r--r--", "lrwxrwxrwx", "drwxr-xr-x".</summary>
    public string Permissions => ModeString(Type, Mode);

    internal static string ModeString(ImageFileType type, UnixFileMode mode)
    {
        var sb = new StringBuilder(10);
        sb.Append(type switch
        {
            ImageFileType.Directory => 'd',
            ImageFileType.SymbolicLink => 'l',
            ImageFileType.CharacterDevice => 'c',
            ImageFileType.BlockDevice => 'b',
            ImageFileType.Fifo => 'p',
            _ => '-',
        });
        var m = (int)mode;
        string[] x = { "x", "x", "x" };
        for (var shift = 6; shift >= 0; shift -= 3)
        {
            sb.Append((m & (4 << shift)) != 0 ? 'r' : '-');
            sb.Append((m & (2 << shift)) != 0 ? 'w' : '-');
            var exec = (m & (1 << shift)) != 0;
            var special = shift switch { 6 => (m & 0x800) != 0, 3 => (m & 0x400) != 0, _ => (m & 0x200) != 0 };
            sb.Append(special ? (shift == 0 ? (exec ? 't' : 'T') : (exec ? 's' : 'S')) : (exec ? 'x' : '-'));
        }
        return sb.ToString();
    }

    public override string ToString() => Path;
}
