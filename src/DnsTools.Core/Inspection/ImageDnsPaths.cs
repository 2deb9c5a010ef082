using System.Text.RegularExpressions;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>
/// Every path a DNS profile reads, in one place: the one scan of an image keeps these (and every link) while it reads
/// each layer once. A new fact that needs a file adds it here; what is not planned still works, at the cost of
/// another read of the layers.
/// </summary>
internal static class ImageDnsPaths
{
    /// <summary>Small text files read whole: OS identity, package databases, the resolver's configuration.</summary>
    internal static readonly string[] ConfigFiles =
    {
        "/etc/os-release", "/usr/lib/os-release",
        "/lib/apk/db/installed", "/var/lib/dpkg/status", "/var/lib/dpkg/status.d/libc6",
        "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/hosts",
    };

    /// <summary>Where the C library and its loader live.</summary>
    internal static readonly string[] LibraryDirectories = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };

    /// <summary>
    /// The C library's files, wherever below the library directories (multiarch subdirectories, alpine-pkg-glibc's
    /// /usr/glibc-compat): musl's loader and its libc name, glibc's loaders (x86-64, aarch64, arm, i386, ...) and libc.so.6.
    /// </summary>
    internal static readonly Regex LibcFileName = new(@"^(ld-musl-[A-Za-z0-9_]+\.so\.1|libc\.musl-[A-Za-z0-9_]+\.so\.1|ld-linux[A-Za-z0-9_.-]*\.so\.\d+|ld64\.so\.\d+|libc\.so\.6)$", RegexOptions.CultureInvariant);

    internal static readonly string[] LibcDirectories = LibraryDirectories.Append("/usr/glibc-compat").ToArray();

    /// <summary>distroless: one dpkg status file per package.</summary>
    internal const string DpkgStatusDirectory = "/var/lib/dpkg/status.d";

    /// <summary>
    /// Programs read whole (up to <see cref="ImageScanOptions.MaxProgramBytes"/>): the shell (with the programs /bin/sh usually links
    /// to, so the link resolves in the same read) and busybox, whose banner names busybox-only images.
    /// </summary>
    internal static readonly string[] Programs = { Shell, "/bin/dash", "/bin/bash", "/bin/ash", ImageOsFallback.Busybox };

    /// <summary>
    /// rpm's database files under both directories rpm uses: Fedora links /var/lib/rpm to /usr/lib/sysimage/rpm, so a
    /// name asked under one is looked up under the other, and must be planned there too.
    /// </summary>
    internal static readonly string[] RpmFiles =
        RpmDatabase.Paths.Concat(
            from dir in new[] { "/var/lib/rpm", "/usr/lib/sysimage/rpm" }
            from name in RpmDatabase.Paths.Select(p => p[(p.LastIndexOf('/') + 1)..]).Distinct()
            select dir + "/" + name).Distinct().ToArray();

    /// <summary>The shell whose C library stands for the image's when there is no C library file and no entrypoint.</summary>
    internal const string Shell = "/bin/sh";

    /// <summary>The plan for an image: the lists above, the rpm databases, and the programs its config may run.</summary>
    /// <remarks>
    /// Programs are kept up to <paramref name="maxProgramBytes"/> (<see cref="ImageScanOptions.MaxProgramBytes"/>): a
    /// larger or padded file is named with its size, not read (issue 15: a 500 MB all-zero entrypoint took 1.2 GB).
    /// </remarks>
    internal static ImagePathPlan For(ImageRunConfig? config, long maxProgramBytes) => new ImagePathPlan()
        .Files(ConfigFiles)
        .Files(ImageOsFallback.ReleaseFiles)
        .Files(RpmFiles, ImageDnsInspector.RpmDatabaseMaxBytes)
        .Files(Programs, maxProgramBytes)
        .Files(config is null ? Array.Empty<string>() : ImageEntrypointAnalyzer.PlannedPrograms(config), maxProgramBytes)
        .Matching(LibcDirectories, LibcFileName)
        .Matching(new[] { DpkgStatusDirectory }, new Regex("^[^.]", RegexOptions.CultureInvariant), anyDepth: false);
}
