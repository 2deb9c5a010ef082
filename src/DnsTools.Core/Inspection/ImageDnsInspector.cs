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

    private static readonly Regex MuslLoader = new(@"^ld-musl-[A-Za-z0-9_]+\.so\.1$", RegexOptions.CultureInvariant);
    private static readonly Regex GlibcString = new(@"GNU C Library [^\n\0]*?version (\d+\.\d+(?:\.\d+)?)", RegexOptions.CultureInvariant);
    private static readonly Regex BareVersion = new(@"^\d\.\d{1,2}\.\d{1,2}$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Profiles an open image in one read of each layer: every file a fact needs is named before the read
    /// (<see cref="ImageDnsPaths"/>, with the programs the image config may run), and the facts are then taken from
    /// memory. A second, targeted read happens only when a link or an exec leads to a file the plan did not name.
    /// </summary>
    public static ImageDnsProfile Inspect(IImageSource source, ImageScanOptions? options = null, CancellationToken cancellationToken = default)
    {
        var scan = new ImageScan(source, ImageDnsPaths.For(source.RunConfig), options, cancellationToken);
        var files = scan.Read(ImageDnsPaths.ConfigFiles.Concat(ImageOsFallback.ReleaseFiles))
            .GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        ImageFileInfo? Get(string p) => files.TryGetValue(p, out var f) ? f : null;

        var os = ReadOs(Get("/etc/os-release")) ?? ReadOs(Get("/usr/lib/os-release")) ?? ImageOsFallback.FromReleaseFiles(Get)
            ?? ImageOsFallback.FromBusybox(scan.Read(ImageOsFallback.Busybox));
        string? rpmProblem = null;
        var libc = FromApk(Get("/lib/apk/db/installed"))
            ?? FromDpkg(Get("/var/lib/dpkg/status"))
            ?? FromDpkg(Get("/var/lib/dpkg/status.d/libc6"))
            ?? FromRpm(scan, out rpmProblem)
            ?? FromLibraries(scan);
        if (rpmProblem is not null) libc = libc.WithNote(rpmProblem);

        if (libc.Family == LibcFamily.Musl) libc.CompatLayers = LibcCompat.FromApk(Get("/lib/apk/db/installed"));

        var resolvFile = Config(Get("/etc/resolv.conf"));
        ResolvConf.ResolvConf? resolv = null;
        if (resolvFile?.Content is { } text) resolv = ResolvConfParser.Parse(text, $"{source.Reference.Original}:/etc/resolv.conf");
        var nss = Config(Get("/etc/nsswitch.conf"));
        var entrypoint = ImageEntrypointAnalyzer.Analyze(source, scan);
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

    /// <summary>Alpine's package database: stanzas of "K:value" lines separated by blank lines; P: name, V: version.</summary>
    internal static ImageLibcInfo? FromApk(ImageFileInfo? f)
    {
        if (f?.Content is not { } text) return null;
        foreach (var stanza in Regex.Split(text.Replace("\r", ""), @"\n\s*\n"))
        {
            string? name = null, version = null;
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith("P:", StringComparison.Ordinal)) name = line[2..].Trim();
                else if (line.StartsWith("V:", StringComparison.Ordinal)) version = line[2..].Trim();
            }
            if (name == "musl" && version is not null)
                return new ImageLibcInfo { Family = LibcFamily.Musl, Version = Upstream(version), PackageVersion = version, Source = "apk", Evidence = ImageEvidence.From(f) };
        }
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
        ImageFileInfo? muslLoader = null, glibc = null;
        foreach (var f in listing)
        {
            var name = f.Path[(f.Path.LastIndexOf('/') + 1)..];
            if (muslLoader is null && MuslLoader.IsMatch(name) && f.Type is ImageFileType.File or ImageFileType.SymbolicLink or ImageFileType.HardLink) muslLoader = f;
            if (glibc is null && name == "libc.so.6" && f.Type is ImageFileType.File or ImageFileType.SymbolicLink or ImageFileType.HardLink) glibc = f;
        }
        if (muslLoader is null && glibc is null)
            return new ImageLibcInfo { Family = LibcFamily.None, Source = "none" };

        var path = (muslLoader ?? glibc)!.Path;
        var read = scan.Read(path);
        var bytes = read?.GetContentBytes();
        var evidence = read is null ? ImageEvidence.From((muslLoader ?? glibc)!) : ImageEvidence.From(read);
        if (muslLoader is not null)
        {
            var version = bytes is null ? null : MuslVersion(bytes);
            return new ImageLibcInfo { Family = LibcFamily.Musl, Version = version, Source = version is null ? "loader-name" : "loader-string", Evidence = evidence };
        }
        var gv = bytes is null ? null : GlibcVersion(bytes);
        return new ImageLibcInfo { Family = LibcFamily.Glibc, Version = gv, Source = gv is null ? "loader-name" : "libc-string", Evidence = evidence };
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
        var m = GlibcString.Match(Encoding.Latin1.GetString(data));
        return m.Success ? m.Groups[1].Value : null;
    }
}
