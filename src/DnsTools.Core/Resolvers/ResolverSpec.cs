using System.Globalization;
using System.Text.RegularExpressions;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// A resolver and version as a user names it: "musl-1.2.3", "glibc-2.36", "go-1.22", "uclibc-ng-1.0.50"
/// (a bare family name means the version the model was checked against). Version strings as
/// distributions print them are accepted: Alpine's "1.2.4_git20230717" and apk "1.2.4-r0", Debian's
/// "2.36-9+deb12u14", RPM's "2.17-326.el7_9", "go1.22.3"; "1.0.x" means the newest known release of that
/// series. A version newer than every release modelled is accepted with a <see cref="Warning"/> naming
/// the release whose behaviour is used; an older one, or one that is no release of that family, throws
/// <see cref="ArgumentException"/> naming the input and what is accepted.
/// </summary>
public sealed record ResolverSpec(ResolverFamily Family, Version Version)
{
    /// <summary>The versions the models were checked against (the lab binaries and the source read).</summary>
    public static readonly Version DefaultMusl = new(1, 2, 3), DefaultGlibc = new(2, 36), DefaultGo = new(1, 22), DefaultUClibcNg = new(1, 0, 52);

    /// <summary>Oldest versions modelled: glibc 2.17 (RHEL/CentOS 7), Go 1.13, musl 1.1.0, uClibc-ng 1.0.0 (the fork's first release).</summary>
    public static readonly Version OldestGlibc = new(2, 17), OldestGo = new(1, 13), OldestMusl = new(1, 1, 0), OldestUClibcNg = new(1, 0, 0);

    private static readonly string[] MuslReleases = Enumerable.Range(0, 25).Select(p => $"1.1.{p}").Concat(Enumerable.Range(0, 6).Select(p => $"1.2.{p}")).ToArray();
    private static readonly string[] GlibcReleases = Enumerable.Range(17, 26).Select(m => $"2.{m}").ToArray();
    private static readonly string[] GoReleases = Enumerable.Range(13, 13).Select(m => $"1.{m}").ToArray();
    private static readonly string[] UClibcNgReleases = Enumerable.Range(0, 53).Select(p => $"1.0.{p}").ToArray();

    /// <summary>The releases of each family that are known to the models (musl 1.1.0–1.2.5, glibc 2.17–2.42, Go 1.13–1.25, uClibc-ng 1.0.0–1.0.52).</summary>
    public static IReadOnlyList<Version> KnownReleases(ResolverFamily family) => Releases(family).Select(Version.Parse).ToArray();

    /// <summary>The family names <see cref="Parse"/> takes on their own (each meaning its default version).</summary>
    public static IReadOnlyList<string> Families { get; } = new[] { "musl", "glibc", "go", "uclibc-ng" };

    /// <summary>
    /// Every name <see cref="Parse"/> accepts without a warning, for tab completion: the bare family
    /// names first (musl, glibc, go, uclibc-ng), then each family's known releases, newest first.
    /// </summary>
    public static IReadOnlyList<string> KnownNames { get; } = BuildKnownNames();

    private static string[] BuildKnownNames()
    {
        var families = new[] { ResolverFamily.Musl, ResolverFamily.Glibc, ResolverFamily.Go, ResolverFamily.UClibcNg };
        return families.Select(FamilyName)
            .Concat(families.SelectMany(f => Releases(f).AsEnumerable().Reverse().Select(v => $"{FamilyName(f)}-{v}")))
            .ToArray();
    }

    private static string[] Releases(ResolverFamily family) => family switch
    {
        ResolverFamily.Musl => MuslReleases,
        ResolverFamily.Glibc => GlibcReleases,
        ResolverFamily.Go => GoReleases,
        _ => UClibcNgReleases,
    };

    /// <summary>The name of a family as <see cref="Parse"/> takes it and <see cref="ToString"/> writes it.</summary>
    public static string FamilyName(ResolverFamily family) => family switch
    {
        ResolverFamily.Musl => "musl",
        ResolverFamily.Glibc => "glibc",
        ResolverFamily.Go => "go",
        _ => "uclibc-ng",
    };

    // family, an optional separator, the version (digits, or a series ending in ".x"), then what
    // distributions append: Alpine "_git20230717"/"_p1"/"-r0", Debian/Ubuntu/RPM "-9+deb12u14",
    // "-0ubuntu8.4", "-326.el7_9". The family names are listed longest first so "uclibc-ng" is not "uclibc".
    private static readonly Regex Pattern = new(
        @"^\s*(?<family>uclibc-ng|uclibcng|uclibc|musl|alpine|glibc|libc6|libc|golang|go)(?:[-_ /:@]?(?<version>\d+(?:\.\d+)*(?:\.[xX])?)(?<suffix>(?:_git\d+|_p\d+|_rc\d+|-r\d+|-\d[0-9A-Za-z.+~:_]*)*))?\s*$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>Set when the version is newer than every release modelled: says which release's behaviour is used.</summary>
    public string? Warning
    {
        get
        {
            var newest = Version.Parse(Releases(Family)[^1]);
            return Version > newest
                ? $"{FamilyName(Family)} {Version} is newer than the releases modelled ({FamilyName(Family)} {Releases(Family)[0]}–{newest}): the behaviour of {FamilyName(Family)}-{newest} is used."
                : null;
        }
    }

    public static ResolverSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 200) throw Unknown(text[..40] + "…");
        var m = Pattern.Match(text);
        if (!m.Success) throw Unknown(text);
        ResolverFamily family = m.Groups["family"].Value.ToLowerInvariant() switch
        {
            "musl" or "alpine" => ResolverFamily.Musl,
            "glibc" or "libc" or "libc6" => ResolverFamily.Glibc,
            "go" or "golang" => ResolverFamily.Go,
            _ => ResolverFamily.UClibcNg,
        };
        var name = FamilyName(family);
        if (!m.Groups["version"].Success)
        {
            if (m.Groups["family"].Value.Equals("uclibc", StringComparison.OrdinalIgnoreCase) || m.Groups["family"].Value.Equals("uclibcng", StringComparison.OrdinalIgnoreCase))
                return new ResolverSpec(family, DefaultUClibcNg);
            return new ResolverSpec(family, family switch { ResolverFamily.Musl => DefaultMusl, ResolverFamily.Glibc => DefaultGlibc, ResolverFamily.Go => DefaultGo, _ => DefaultUClibcNg });
        }
        var versionText = m.Groups["version"].Value;
        var releases = Releases(family);
        var wildcard = versionText.EndsWith(".x", StringComparison.OrdinalIgnoreCase);
        if (wildcard)
        {
            // "1.0.x": the newest known release of that series.
            var series = versionText[..^1];
            var newestInSeries = releases.LastOrDefault(r => r.StartsWith(series, StringComparison.Ordinal));
            if (newestInSeries is null)
                throw new ArgumentException($"Unknown {name} series '{versionText}' in '{text}': known {name} releases are {releases[0]}–{releases[^1]}.", nameof(text));
            return new ResolverSpec(family, Version.Parse(newestInSeries));
        }
        var parts = versionText.Split('.');
        if (parts.Any(p => p.Length > 6)) throw Unknown(text);
        var numbers = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        // How many parts a release number of each family has: musl and uClibc-ng x.y.z, glibc x.y, Go x.y or x.y.z.
        var (minParts, maxParts, example) = family switch
        {
            ResolverFamily.Musl => (3, 3, "musl-1.2.4"),
            ResolverFamily.Glibc => (2, 2, "glibc-2.36"),
            ResolverFamily.Go => (2, 3, "go-1.22"),
            _ => (3, 3, "uclibc-ng-1.0.50"),
        };
        if (numbers.Length < minParts || numbers.Length > maxParts)
            throw new ArgumentException($"'{text}' is not a {name} version: {name} releases are numbered like {example[(name.Length + 1)..]} (e.g. {example}).", nameof(text));
        // Go patch releases behave as their minor release.
        var version = numbers.Length == 2 || family == ResolverFamily.Go ? new Version(numbers[0], numbers[1]) : new Version(numbers[0], numbers[1], numbers[2]);
        var oldest = Version.Parse(releases[0]);
        var newest = Version.Parse(releases[^1]);
        if (version < oldest)
            throw new ArgumentException($"{name} {version} (from '{text}') is older than the first release modelled, {name}-{oldest}: use {name}-{oldest} or later.", nameof(text));
        if (version.Major != newest.Major)
            throw new ArgumentException($"{name} {version} (from '{text}') is not modelled: the releases modelled are {name}-{releases[0]} to {name}-{newest} (e.g. {example}).", nameof(text));
        if (version <= newest && Array.IndexOf(releases, version.ToString()) < 0)
            throw new ArgumentException($"'{text}' names {name} {version}, which is no {name} release: the known releases are {releases[0]}–{newest} (e.g. {example}).", nameof(text));
        return new ResolverSpec(family, version);
    }

    public static bool TryParse(string text, out ResolverSpec? spec)
    {
        try { spec = Parse(text); return true; }
        catch (ArgumentException) { spec = null; return false; }
    }

    private static ArgumentException Unknown(string text)
        => new($"Unknown resolver '{text}': use musl-<version>, glibc-<version>, go-<version> or uclibc-ng-<version>, e.g. musl-1.2.4, glibc-2.36, go-1.22, uclibc-ng-1.0.50 (distribution versions such as musl-1.2.4-r0 or glibc-2.36-9+deb12u14 are accepted).", nameof(text));

    public override string ToString() => $"{FamilyName(Family)}-{Version}";
}
