using System.Globalization;
using System.Text.RegularExpressions;
using DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Resolvers;

/// <summary>
/// A resolver and version as a user names it: "musl-1.2.3", "glibc-2.36", "go-1.22" (a bare family
/// name means the version the model was checked against). Parsing an unknown name throws
/// <see cref="ArgumentException"/> saying what is accepted.
/// </summary>
public sealed record ResolverSpec(ResolverFamily Family, Version Version)
{
    /// <summary>The versions the models were checked against (the lab binaries and the source read).</summary>
    public static readonly Version DefaultMusl = new(1, 2, 3), DefaultGlibc = new(2, 36), DefaultGo = new(1, 22);

    /// <summary>Oldest versions modelled: glibc 2.17 (RHEL/CentOS 7), Go 1.13; any musl.</summary>
    public static readonly Version OldestGlibc = new(2, 17), OldestGo = new(1, 13);

    /// <summary>The family names <see cref="Parse"/> takes on their own (each meaning its default version).</summary>
    public static IReadOnlyList<string> Families { get; } = new[] { "musl", "glibc", "go" };

    /// <summary>
    /// Releases worth naming: the default of each family, the oldest modelled, and each release where a model changes
    /// behaviour (MuslResolverModel: 1.1.13 search and SERVFAIL retry, 1.2.2 every rcode checked, 1.2.4 TCP fallback;
    /// GlibcResolverModel: 2.36 no-aaaa and the single-request error path). Every name here parses.
    /// </summary>
    public static IReadOnlyList<ResolverSpec> KnownReleases { get; } = new[]
    {
        new ResolverSpec(ResolverFamily.Musl, new Version(1, 1, 12)), new ResolverSpec(ResolverFamily.Musl, new Version(1, 1, 13)),
        new ResolverSpec(ResolverFamily.Musl, new Version(1, 2, 1)), new ResolverSpec(ResolverFamily.Musl, new Version(1, 2, 2)),
        new ResolverSpec(ResolverFamily.Musl, DefaultMusl), new ResolverSpec(ResolverFamily.Musl, new Version(1, 2, 4)),
        new ResolverSpec(ResolverFamily.Glibc, OldestGlibc), new ResolverSpec(ResolverFamily.Glibc, new Version(2, 35)),
        new ResolverSpec(ResolverFamily.Glibc, DefaultGlibc),
        new ResolverSpec(ResolverFamily.Go, OldestGo), new ResolverSpec(ResolverFamily.Go, DefaultGo),
    };

    /// <summary>What a user may type for a resolver, for completion and help: the families, then every known release ("musl-1.2.3").</summary>
    public static IReadOnlyList<string> KnownNames { get; } = Families.Concat(KnownReleases.Select(r => r.ToString())).ToList();

    private static readonly Regex Pattern = new(@"^\s*(?<family>[A-Za-z]+)(?:[-_ /:@]?(?<version>\d+(?:\.\d+){0,2}))?\s*$", RegexOptions.CultureInvariant);

    public static ResolverSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Pattern.Match(text);
        if (!m.Success) throw Unknown(text);
        ResolverFamily family = m.Groups["family"].Value.ToLowerInvariant() switch
        {
            "musl" or "alpine" => ResolverFamily.Musl,
            "glibc" or "libc" => ResolverFamily.Glibc,
            "go" or "golang" => ResolverFamily.Go,
            _ => throw Unknown(text),
        };
        Version version;
        if (!m.Groups["version"].Success) version = family switch { ResolverFamily.Musl => DefaultMusl, ResolverFamily.Glibc => DefaultGlibc, _ => DefaultGo };
        else
        {
            var parts = m.Groups["version"].Value.Split('.').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            version = parts.Length switch { 1 => new Version(parts[0], 0), 2 => new Version(parts[0], parts[1]), _ => new Version(parts[0], parts[1], parts[2]) };
        }
        switch (family)
        {
            case ResolverFamily.Musl when version.Major != 0 && version.Major != 1:
                throw new ArgumentException($"Unknown musl version '{version}' in '{text}': musl versions are 0.x and 1.x (e.g. musl-1.2.3).", nameof(text));
            case ResolverFamily.Glibc when version.Major != 2 || version < OldestGlibc:
                throw new ArgumentException($"glibc '{version}' is not modelled: use glibc 2.17 or later (e.g. glibc-2.36).", nameof(text));
            case ResolverFamily.Go when version.Major != 1 || version < OldestGo:
                throw new ArgumentException($"Go '{version}' is not modelled: use Go 1.13 or later (e.g. go-1.22).", nameof(text));
        }
        return new ResolverSpec(family, version);
    }

    public static bool TryParse(string text, out ResolverSpec? spec)
    {
        try { spec = Parse(text); return true; }
        catch (ArgumentException) { spec = null; return false; }
    }

    private static ArgumentException Unknown(string text)
        => new($"Unknown resolver '{text}': use musl-<version>, glibc-<version> or go-<version>, e.g. musl-1.2.3, glibc-2.36, go-1.22.", nameof(text));

    public override string ToString()
    {
        var name = Family switch { ResolverFamily.Musl => "musl", ResolverFamily.Glibc => "glibc", _ => "go" };
        return $"{name}-{Version}";
    }
}
