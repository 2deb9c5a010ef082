using System.Runtime.InteropServices;
using System.Text;

namespace DnsTools.Core.Images;

/// <summary>What a path on this machine is, before anything opens it: opening a FIFO waits for a writer forever.</summary>
internal enum HostFileKind { Missing, Regular, Directory, SymbolicLink, Fifo, Socket, CharacterDevice, BlockDevice, Unknown }

/// <summary>
/// The file type from stat/lstat. .NET has no public API for it (FileSystemInfo says "Normal" for FIFOs and sockets), so
/// this calls the runtime's own System.Native shim (SystemNative_Stat/LStat, shipped with every .NET runtime), whose
/// FileStatus begins with Flags and then Mode (the raw st_mode) on every platform (dotnet/runtime src/native/libs/
/// System.Native/pal_io.h). Where the shim cannot be called, the kind is Unknown and callers go on as before.
/// </summary>
internal static partial class HostFileType
{
    private const int S_IFMT = 0xF000, S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFDIR = 0x4000, S_IFBLK = 0x6000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFSOCK = 0xC000;

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    private static extern int Stat([In] byte[] path, [Out] byte[] status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat")]
    private static extern int LStat([In] byte[] path, [Out] byte[] status);

    /// <summary>The kind of <paramref name="path"/>, following links (<paramref name="followLinks"/>) or not.</summary>
    public static HostFileKind Of(string path, bool followLinks = true)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return HostFileKind.Unknown;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        var status = new byte[256]; // larger than FileStatus in every runtime version
        int rc;
        try
        {
            rc = followLinks ? Stat(bytes, status) : LStat(bytes, status);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return HostFileKind.Unknown;
        }
        if (rc != 0) return HostFileKind.Missing;
        var mode = BitConverter.ToInt32(status, 4);
        return (mode & S_IFMT) switch
        {
            S_IFREG => HostFileKind.Regular,
            S_IFDIR => HostFileKind.Directory,
            S_IFLNK => HostFileKind.SymbolicLink,
            S_IFIFO => HostFileKind.Fifo,
            S_IFSOCK => HostFileKind.Socket,
            S_IFCHR => HostFileKind.CharacterDevice,
            S_IFBLK => HostFileKind.BlockDevice,
            _ => HostFileKind.Unknown,
        };
    }

    /// <summary>Throws unless <paramref name="path"/> (after links) is a regular file: a FIFO, socket or device is refused, a dangling link is missing.</summary>
    public static void RequireRegular(string path, string image, string what)
    {
        switch (Of(path))
        {
            case HostFileKind.Regular or HostFileKind.Unknown:
                return;
            case HostFileKind.Missing:
                throw new ImageException(ImageErrorKind.NotFound, image, $"'{image}': {what} '{path}' does not exist{(Of(path, followLinks: false) == HostFileKind.SymbolicLink ? " (a dangling link)" : "")}.");
            case var kind:
                throw new ImageException(ImageErrorKind.NotAnImage, image, $"'{image}': {what} '{path}' is a {Describe(kind)}, not a regular file; refused.");
        }
    }

    public static string Describe(HostFileKind kind) => kind switch
    {
        HostFileKind.Fifo => "FIFO",
        HostFileKind.Socket => "unix socket",
        HostFileKind.CharacterDevice => "character device",
        HostFileKind.BlockDevice => "block device",
        HostFileKind.Directory => "directory",
        HostFileKind.SymbolicLink => "symbolic link",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
