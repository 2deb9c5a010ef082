using System.Text;
using System.Text.RegularExpressions;
using DnsTools.Core.Images;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Inspection;

/// <summary>
/// Builds an <see cref="ImageDnsProfile"/> from an image through the lookup API: it names the few paths it needs
/// (package databases, os-release, resolver configuration) and reads the layers for those only. When the package
/// databases do not name the C library, the library directories are listed and the loader or libc.so.6 is read for
/// its version string.
/// </summary>
public static class ImageDnsInspector
{
    internal static readonly string[] LibraryDirectories = ImageDnsPaths.LibraryDirectories;

    /// <summary>
    /// glibc's dynamic loaders by architecture (glibc's sysdeps/*/ldconfig.h and the ABI names): amd64, arm64, armhf,
    /// i386, ppc64le, s390x, riscv64. With no libc.so.6 and no package database, the loader says glibc (and its version).
    /// </summary>
    internal static readonly string[] GlibcLoaderNames =
    {
        "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux-armhf.so.3", "ld-linux.so.2", "ld64.so.2", "ld64.so.1", "ld-linux-riscv64-lp64d.so.1",
    };

    private static readonly Regex MuslLoader = new(@"^ld-musl-[A-Za-z0-9_]+\.so\.1$", RegexOptions.CultureInvariant);
    // libc.so.6's banner (csu/version.c) and the loader's --version text (elf/rtld.c, _dl_usage/_dl_version):
    // "GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36." and "ld.so (Debian GLIBC 2.36-9) stable release version 2.36.".
    private static readonly Regex GlibcString = new(@"(?:GNU C Library|ld\.so) [^\n\0]{0,200}?version ([0-9]{1,4}\.[0-9]{1,4}(?:\.[0-9]{1,4})?)", RegexOptions.CultureInvariant);
    private static readonly Regex BareVersion = new(@"^\d\.\d{1,2}\.\d{1,2}$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Profiles an open image in one read of each layer: every file a fact needs is named before the read
    /// (<see cref="ImageDnsPaths"/>, with the programs the image config may run), and the facts are then taken from
    /// memory. A second, targeted read happens only when a link or an exec leads to a file the plan did not name.
    /// </summary>
    public static ImageDnsProfile Inspect(IImageSource source, ImageScanOptions? options = null, CancellationToken cancellationToken = default)
    {
        var scan = new ImageScan(source, ImageDnsPaths.For(source.RunConfig, (options ?? new ImageScanOptions()).MaxProgramBytes), options, cancellationToken);
        var files = scan.Read(ImageDnsPaths.ConfigFiles.Concat(ImageOsFallback.ReleaseFiles))
            .GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        ImageFileInfo? Get(string p) => files.TryGetValue(p, out var f) ? f : null;

        var os = ReadOs(Get("/etc/os-release")) ?? ReadOs(Get("/usr/lib/os-release")) ?? ImageOsFallback.FromReleaseFiles(Get)
            ?? ImageOsFallback.FromBusybox(scan.Read(ImageOsFallback.Busybox));
        string? rpmProblem = null;
        var libc = FromApk(Get("/lib/apk/db/installed"))
            ?? FromDpkg(Get("/var/lib/dpkg/status"))
            ?? FromDpkg(Get(ImageDnsPaths.DpkgStatusDirectory + "/libc6"))
            ?? FromDpkgStatusDirectory(scan)
            ?? FromRpm(scan, out rpmProblem)
            ?? FromLibraries(scan);
        if (rpmProblem is not null) libc = libc.WithNote(rpmProblem);

        if (libc.Family == LibcFamily.Musl) libc.CompatLayers = LibcCompat.FromApk(Get("/lib/apk/db/installed"));

        var entrypoint = ImageEntrypointAnalyzer.Analyze(source, scan);
        // No C library file: the programs are static, and the one that runs (else /bin/sh) says which libc is linked in.
        if (libc.Family == LibcFamily.None) libc = FromStaticProgram(scan, entrypoint) ?? libc;

        var resolvFile = Config(Get("/etc/resolv.conf"));
        ResolvConf.ResolvConf? resolv = null;
        if (resolvFile?.Content is { } text) resolv = ResolvConfParser.Parse(text, $"{source.Reference.Original}:/etc/resolv.conf");
        var nss = Config(Get("/etc/nsswitch.conf"));
        return new ImageDnsProfile
        {
            Image = source.Reference.Original,
            Platform = source.Platform?.ToString(),
            ManifestDigest = source.ManifestDigest,
            Os = os,
            Libc = libc,
            ResolvConfFile = resolvFile,
            ResolvConf = resolv,
            NsswitchConf = nss,
            NsswitchHosts = nss?.Content is { } n ? HostsLine(n) : null,
            GaiConf = Config(Get("/etc/gai.conf")),
            Hosts = Config(Get("/etc/hosts")),
            Entrypoint = entrypoint,
            Layers = source.Layers.Select(l => l.Name).ToList(),
            DecompressedBytes = scan.DecompressedBytes,
            LayerReads = scan.Passes,
        };
    }

    /// <summary>Opens <paramref name="reference"/> and profiles it.</summary>
    public static ImageDnsProfile Inspect(string reference, ImageOpenOptions? openOptions = null, ImageScanOptions? options = null, string? currentDirectory = null, CancellationToken cancellationToken = default)
    {
        using var source = ImageSource.Open(reference, openOptions, currentDirectory, cancellationToken);
        return Inspect(source, options, cancellationToken);
    }

    /// <summary>
    /// One profile per platform the image offers (a multi-platform index: each manifest in turn; otherwise its one
    /// platform), in the index's order.
    /// </summary>
    public static IReadOnlyList<ImageDnsProfile> InspectEachPlatform(string reference, ImageOpenOptions? openOptions = null, ImageScanOptions? options = null, string? currentDirectory = null, CancellationToken cancellationToken = default)
    {
        var open = openOptions ?? new ImageOpenOptions();
        // Opened once on any platform to learn them all; that one is profiled as it is, the others opened in turn.
        using var first = ImageSource.Open(reference, open.WithPlatform(null, anyPlatform: true), currentDirectory, cancellationToken);
        if (first.Platforms.Count <= 1) return new[] { Inspect(first, options, cancellationToken) };
        var profiles = new List<ImageDnsProfile>();
        foreach (var platform in first.Platforms)
        {
            if (platform == first.Platform) { profiles.Add(Inspect(first, options, cancellationToken)); continue; }
            using var source = ImageSource.Open(reference, open.WithPlatform(platform), currentDirectory, cancellationToken);
            profiles.Add(Inspect(source, options, cancellationToken));
        }
        return profiles;
    }

    private static ImageConfigFile? Config(ImageFileInfo? f)
    {
        if (f is null) return null;
        if (f.Type is ImageFileType.Directory) return null;
        return new ImageConfigFile { Evidence = ImageEvidence.From(f), Content = f.Content, IsDangling = f.IsDangling, LinkTarget = f.LinkTarget };
    }

    internal static string? HostsLine(string nsswitch)
    {
        string? last = null;
        foreach (var raw in nsswitch.Split('\n'))
        {
            var line = raw;
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (!line.StartsWith("hosts", StringComparison.Ordinal)) continue;
            var rest = line[5..].TrimStart();
            if (!rest.StartsWith(':')) continue;
            last = Regex.Replace(rest[1..].Trim(), @"\s+", " ");
        }
        return last;
    }

    private static ImageOsInfo? ReadOs(ImageFileInfo? f)
    {
        if (f?.Content is not { } text) return null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var v = line[(eq + 1)..].Trim();
            if (v.Length >= 2 && (v[0] == '"' || v[0] == '\'') && v[^1] == v[0]) v = v[1..^1];
            values[line[..eq]] = v;
        }
        return new ImageOsInfo
        {
            Id = values.GetValueOrDefault("ID"),
            VersionId = values.GetValueOrDefault("VERSION_ID"),
            Name = values.GetValueOrDefault("NAME"),
            PrettyName = values.GetValueOrDefault("PRETTY_NAME"),
            Evidence = ImageEvidence.From(f),
        };
    }

    /// <summary>
    /// apk's installed database (apk-tools, src/database.c: stanzas of "K:value" lines, blank-line separated; P name, V
    /// version, p provides). The C library is the package that provides it — never musl from apk alone: Alpine's musl
    /// provides so:libc.musl-ARCH.so.1, Wolfi's and Chainguard's glibc provides so:libc.so.6. With both (Alpine plus
    /// alpine-pkg-glibc) musl is the system's and glibc a compatibility layer.
    /// </summary>
    internal static ImageLibcInfo? FromApk(ImageFileInfo? f)
    {
        if (f?.Content is not { } text) return null;
        (string Name, string Version)? musl = null, glibc = null;
        foreach (var stanza in Regex.Split(text.Replace("\r", ""), @"\n\s*\n"))
        {
            string? name = null, version = null;
            var provides = "";
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith("P:", StringComparison.Ordinal)) name = line[2..].Trim();
                else if (line.StartsWith("V:", StringComparison.Ordinal)) version = line[2..].Trim();
                else if (line.StartsWith("p:", StringComparison.Ordinal)) provides += " " + line[2..];
            }
            if (name is null || version is null) continue;
            if (musl is null && (name == "musl" || provides.Contains(" so:libc.musl-", StringComparison.Ordinal))) musl = (name, version);
            else if (glibc is null && (name == "glibc" || provides.Contains(" so:libc.so.6", StringComparison.Ordinal))) glibc = (name, version);
        }
        if (musl is { } m)
            return new ImageLibcInfo { Family = LibcFamily.Musl, Version = Upstream(m.Version), PackageVersion = m.Version, Source = "apk", Evidence = ImageEvidence.From(f) };
        if (glibc is { } g)
            return new ImageLibcInfo
            {
                Family = LibcFamily.Glibc, Version = Upstream(g.Version), PackageVersion = g.Version, Source = "apk", Evidence = ImageEvidence.From(f),
                Note = $"apk database with glibc (package {g.Name}), as Wolfi and Chainguard images have: glibc's resolver, not musl's",
            };
        return null;
    }

    /// <summary>Debian's package database: RFC 822 stanzas; Package: libc6 (installed), Version.</summary>
    internal static ImageLibcInfo? FromDpkg(ImageFileInfo? f)
    {
        if (f?.Content is not { } text) return null;
        foreach (var stanza in Regex.Split(text.Replace("\r", ""), @"\n\s*\n"))
        {
            string? name = null, version = null, status = null;
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith("Package:", StringComparison.Ordinal)) name = line[8..].Trim();
                else if (line.StartsWith("Version:", StringComparison.Ordinal)) version = line[8..].Trim();
                else if (line.StartsWith("Status:", StringComparison.Ordinal)) status = line[7..].Trim();
            }
            if (name is "libc6" or "libc6-amd64" && version is not null && (status is null || status.EndsWith(" installed", StringComparison.Ordinal)))
                return new ImageLibcInfo { Family = LibcFamily.Glibc, Version = Upstream(version), PackageVersion = version, Source = "dpkg", Evidence = ImageEvidence.From(f) };
        }
        return null;
    }

    /// <summary>
    /// distroless images whose status.d file for libc6 has another name (libc6_VERSION, libc6.ARCH): the directory is
    /// listed and its files read for an installed libc6 stanza. Only when the image has the directory.
    /// </summary>
    private static ImageLibcInfo? FromDpkgStatusDirectory(ImageScan scan)
    {
        // The scan's plan keeps the directory's files (ImageDnsPaths): libc6's stanza under another name (libc6_VERSION).
        foreach (var f in scan.Matches(new[] { ImageDnsPaths.DpkgStatusDirectory })
                     .Where(f => f.Type is ImageFileType.File or ImageFileType.HardLink && f.Path.StartsWith(ImageDnsPaths.DpkgStatusDirectory + "/libc6", StringComparison.Ordinal)
                                 && !f.Path.EndsWith(".md5sums", StringComparison.Ordinal))
                     .OrderBy(f => f.Path, StringComparer.Ordinal))
            if (FromDpkg(f.Content is null ? scan.Read(f.Path) : f) is { } libc) return libc;
        return null;
    }

    /// <summary>
    /// The C library linked into the entrypoint when it is a static program, else into /bin/sh (busybox images): musl,
    /// glibc or uClibc-ng told from their own strings (<see cref="StaticLibcDetector"/>), with what is known of the
    /// version. Null when neither is a static program with a recognised C library.
    /// </summary>
    private static ImageLibcInfo? FromStaticProgram(ImageScan scan, ImageEntrypointInfo? entrypoint)
    {
        if (entrypoint is { StaticLibc: { } s, Evidence: var ev }) return FromStatic(s, ev, "the entrypoint");
        if (entrypoint is { Path: not null }) return null; // a program that runs but links no C library it shows (Go, a script)
        var sh = scan.Read(ImageDnsPaths.Shell);
        if (sh is null || sh.IsDangling || sh.ContentBytes is not { } bytes) return null;
        var info = ImageEntrypointAnalyzer.AnalyzeBinary(bytes, Array.Empty<string>(), sh.Path, ImageEvidence.From(sh));
        return info.StaticLibc is { } shellLibc ? FromStatic(shellLibc, info.Evidence, ImageDnsPaths.Shell) : null;
    }

    private static ImageLibcInfo FromStatic(StaticLibcInfo s, ImageEvidence? evidence, string what) => new()
    {
        Family = s.Family, MinimumVersion = s.MinimumVersion, BeforeVersion = s.BeforeVersion, Source = "static-binary", Evidence = evidence,
        Note = $"no C library file: {what} is statically linked with {ImageLibcInfo.FamilyName(s.Family)} (marker \"{s.Marker}\"); {s.VersionNote}",
    };

    /// <summary>
    /// rpm's database: the installed glibc package. The file is read with a cap of its own (rpm databases run to tens of
    /// megabytes, beyond the 16 MiB default for other files). A database that cannot be read is reported through
    /// <paramref name="problem"/> and the library fallback answers.
    /// </summary>
    private static ImageLibcInfo? FromRpm(ImageScan scan, out string? problem)
    {
        problem = null;
        var found = scan.Read(RpmDatabase.Paths, RpmDatabaseMaxBytes)
            .Where(f => f.Type is ImageFileType.File or ImageFileType.HardLink or ImageFileType.SymbolicLink && !f.IsDangling)
            .ToList();
        // When more than one is left (an image that moved its database), the one written last is the one rpm uses; one
        // file reached through the /var/lib/rpm link is named by its own path.
        foreach (var f in found.OrderByDescending(f => f.LayerIndex).ThenBy(f => f.Path == f.ResolvedPath ? 0 : 1).ThenBy(f => Array.IndexOf(RpmDatabase.Paths, f.Path)))
        {
            if (f.ContentBytes is not { } bytes)
            {
                problem ??= $"rpm database '{f.Path}' ({f.Size} bytes) is larger than {RpmDatabaseMaxBytes} bytes and was not read";
                continue;
            }
            try
            {
                return FromRpm(bytes, f);
            }
            catch (ImageException e) when (e.Kind is ImageErrorKind.Corrupt or ImageErrorKind.Unsupported)
            {
                problem ??= e.Message;
            }
        }
        return null;
    }

    /// <summary>Largest rpm database read (a full RHEL image's is about 100 MB).</summary>
    internal const long RpmDatabaseMaxBytes = 512L << 20;

    /// <summary>glibc from one rpm database file; null when it lists no glibc package.</summary>
    internal static ImageLibcInfo? FromRpm(byte[] database, ImageFileInfo f)
    {
        var glibc = RpmDatabase.Read(database, f.Path).FirstOrDefault(p => p.Name == "glibc");
        if (glibc is null) return null;
        return new ImageLibcInfo { Family = LibcFamily.Glibc, Version = glibc.Version, PackageVersion = glibc.Evr, Source = "rpm", Evidence = ImageEvidence.From(f) };
    }

    /// <summary>"1.2.3-r5" → "1.2.3"; "2.36-9+deb12u4" → "2.36"; "1:2.31-0ubuntu9" → "2.31".</summary>
    internal static string Upstream(string packageVersion)
    {
        var v = packageVersion;
        var colon = v.IndexOf(':');
        if (colon >= 0) v = v[(colon + 1)..];
        var dash = v.IndexOf('-');
        return dash > 0 ? v[..dash] : v;
    }

    private static ImageLibcInfo FromLibraries(ImageScan scan)
    {
        var listing = scan.Matches(LibraryDirectories);
        ImageFileInfo? muslLoader = null, glibc = null, glibcLoader = null;
        foreach (var f in listing)
        {
            var name = f.Path[(f.Path.LastIndexOf('/') + 1)..];
            if (f.Type is not (ImageFileType.File or ImageFileType.SymbolicLink or ImageFileType.HardLink) || f.IsDangling) continue;
            if (muslLoader is null && MuslLoader.IsMatch(name)) muslLoader = f;
            if (glibc is null && name == "libc.so.6") glibc = f;
            if (glibcLoader is null && Array.IndexOf(GlibcLoaderNames, name) >= 0) glibcLoader = f;
        }
        if (muslLoader is null && glibc is null && glibcLoader is null)
            return new ImageLibcInfo { Family = LibcFamily.None, Source = "none" };

        var path = (muslLoader ?? glibc ?? glibcLoader)!.Path;
        var read = scan.Read(path);
        var bytes = read?.ContentBytes;
        var evidence = read is null ? ImageEvidence.From((muslLoader ?? glibc ?? glibcLoader)!) : ImageEvidence.From(read);
        if (muslLoader is not null)
        {
            var version = bytes is null ? null : MuslVersion(bytes);
            return new ImageLibcInfo { Family = LibcFamily.Musl, Version = version, Source = version is null ? "loader-name" : "loader-string", Evidence = evidence };
        }
        var gv = bytes is null ? null : GlibcVersion(bytes);
        var fromLoader = glibc is null;
        return new ImageLibcInfo
        {
            Family = LibcFamily.Glibc, Version = gv, Source = gv is null ? "loader-name" : fromLoader ? "loader-string" : "libc-string", Evidence = evidence,
            Note = gv is null ? $"version unknown: {path} has no \"version X\" string" : null,
        };
    }

    /// <summary>The version string musl's dynamic linker prints with its usage ("Version %s"): a NUL-terminated "1.2.3" in its read-only data.</summary>
    internal static string? MuslVersion(byte[] data)
    {
        var text = Encoding.Latin1.GetString(data);
        if (!text.Contains("musl libc", StringComparison.Ordinal)) return null;
        foreach (var s in text.Split('\0'))
            if (s.Length is >= 5 and <= 8 && BareVersion.IsMatch(s)) return s;
        return null;
    }

    /// <summary>"GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36." → "2.36".</summary>
    internal static string? GlibcVersion(byte[] data)
    {
        // The banner sits in read-only data: look only around "version " hits rather than decoding the whole file.
        var span = data.AsSpan();
        var needle = "stable release version "u8;
        for (var at = 0; at < span.Length;)
        {
            var i = span[at..].IndexOf(needle);
            if (i < 0) break;
            var hit = at + i;
            var from = Math.Max(0, hit - 200);
            var window = Encoding.Latin1.GetString(data, from, Math.Min(data.Length - from, hit - from + needle.Length + 16));
            var m = GlibcString.Match(window);
            if (m.Success) return m.Groups[1].Value;
            at = hit + needle.Length;
        }
        var all = GlibcString.Match(Encoding.Latin1.GetString(data));
        return all.Success ? all.Groups[1].Value : null;
    }
}
