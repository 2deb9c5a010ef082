using DnsTools.Core.Images;
using RC = DnsTools.Core.ResolvConf;

namespace DnsTools.Core.Inspection;

/// <summary>Which C library (and so which stub resolver) an image ships.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum LibcFamily
{
    /// <summary>Neither musl nor glibc was found (and the image is not known to be static).</summary>
    Unknown,
    Musl,
    Glibc,
    /// <summary>No C library in the image: static binaries only (Go, Rust musl-static, distroless static).</summary>
    None,
    /// <summary>uClibc-ng (busybox:uclibc, buildroot and embedded images): a resolver of its own, libc/inet/resolv.c.</summary>
    UClibcNg,
}

/// <summary>Where a fact about an image came from: the path in the merged file system and the layer that supplied it.</summary>
public sealed record ImageEvidence(string Path, string? Layer, int LayerIndex)
{
    public override string ToString() => Layer is null ? Path : $"{Path} (layer {LayerIndex} {Short(Layer)})";

    internal static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;

    internal static ImageEvidence From(ImageFileInfo f) => new(f.Path, f.Layer, f.LayerIndex);
}

/// <summary>The operating system as /etc/os-release (or /usr/lib/os-release) names it.</summary>
public sealed class ImageOsInfo
{
    public string? Id { get; init; }
    public string? VersionId { get; init; }
    public string? Name { get; init; }
    public string? PrettyName { get; init; }
    public required ImageEvidence Evidence { get; init; }

    public override string ToString() => PrettyName ?? $"{Id} {VersionId}".Trim();
}

/// <summary>The C library: family, version and how the version was learnt.</summary>
public sealed class ImageLibcInfo
{
    public required LibcFamily Family { get; init; }
    /// <summary>Upstream version ("1.2.3", "2.36"), null when it could not be read.</summary>
    public string? Version { get; init; }
    /// <summary>The package version as the package database has it ("1.2.3-r5", "2.36-9+deb12u4", "2.34-60.el9"; rpm's epoch as "N:").</summary>
    public string? PackageVersion { get; init; }
    /// <summary>The lowest release the code shows when the exact version is unknown (a static glibc whose resolver knows no-aaaa: "2.36").</summary>
    public string? MinimumVersion { get; init; }
    /// <summary>The first release the code does not reach when the exact version is unknown (a static musl without 1.2.3's strerror messages: "1.2.3"): the version is below it.</summary>
    public string? BeforeVersion { get; init; }
    /// <summary>apk, dpkg, rpm, loader-string, libc-string, loader-name, static-binary (the C library linked into the entrypoint or /bin/sh), or none.</summary>
    public required string Source { get; init; }
    /// <summary>The file the family/version came from (null for None).</summary>
    public ImageEvidence? Evidence { get; init; }
    /// <summary>On musl: packages that let glibc programs start (gcompat, libc6-compat, alpine-pkg-glibc's glibc).</summary>
    public IReadOnlyList<LibcCompatLayer> CompatLayers { get; internal set; } = Array.Empty<LibcCompatLayer>();
    /// <summary>Why a package database that was there did not answer (an rpm database that could not be read), when one did not.</summary>
    public string? Note { get; init; }

    internal ImageLibcInfo WithNote(string note) => new()
    {
        Family = Family, Version = Version, MinimumVersion = MinimumVersion, BeforeVersion = BeforeVersion, PackageVersion = PackageVersion, Source = Source, Evidence = Evidence,
        Note = Note is null ? note : Note + "; " + note, CompatLayers = CompatLayers,
    };

    /// <summary>The version as a comparable <see cref="System.Version"/>, when it parses.</summary>
    public Version? ParsedVersion => ParseVersion(Version);

    /// <summary>The exact version, else the lowest the code shows: what "at least" rules compare with.</summary>
    internal Version? AtLeastVersion => ParsedVersion ?? ParseVersion(MinimumVersion);

    /// <summary>Whether the version is known to be below <paramref name="release"/>: the exact version, else the bound the code shows.</summary>
    internal bool IsBefore(Version release) =>
        ParsedVersion is { } exact ? exact < release : ParseVersion(BeforeVersion) is { } before && before <= release;

    /// <summary>"1.2.3", "&gt;= 2.36", "&lt; 1.2.3", "&gt;= 1.2.3, &lt; 1.2.4": the version or what the code shows of it; null when nothing is known.</summary>
    internal string? VersionText => Version ?? (MinimumVersion, BeforeVersion) switch
    {
        (not null, not null) => $">= {MinimumVersion}, < {BeforeVersion}",
        (not null, null) => $">= {MinimumVersion}",
        (null, not null) => $"< {BeforeVersion}",
        _ => null,
    };

    /// <summary>"1.2.3" or "2.36" and what follows them; null for anything else, including parts too large for an int.</summary>
    internal static Version? ParseVersion(string? v)
    {
        if (v is null) return null;
        // ASCII digits only ([0-9], not \d: other scripts' digits are not versions), at most 9 per part so each fits an int.
        var m = System.Text.RegularExpressions.Regex.Match(v, @"^([0-9]{1,9})\.([0-9]{1,9})(?:\.([0-9]{1,9}))?(?![0-9])", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (!m.Success) return null;
        return new Version(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
            m.Groups[3].Success ? int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>The family as users and -Resolver write it: musl, glibc, uclibc-ng.</summary>
    internal static string FamilyName(LibcFamily family) => family == LibcFamily.UClibcNg ? "uclibc-ng" : family.ToString().ToLowerInvariant();

    /// <summary>"musl 1.2.3", "glibc 2.36", "glibc >= 2.36", "musl &lt; 1.2.3" (static, version from its code), "uclibc-ng", "none (static)", "unknown".</summary>
    public string Name => Family switch
    {
        LibcFamily.None => "none (static)",
        LibcFamily.Unknown => "unknown",
        _ => VersionText is { } v ? $"{FamilyName(Family)} {v}" : FamilyName(Family),
    };

    public override string ToString() => Name + string.Concat(CompatLayers.Select(c => $" + {c}"));
}

/// <summary>A configuration file baked into the image.</summary>
public sealed class ImageConfigFile
{
    public required ImageEvidence Evidence { get; init; }
    /// <summary>The text (after links); null when the file is not text or is a dangling link.</summary>
    public string? Content { get; init; }
    /// <summary>A symbolic link whose target is not in the image (e.g. /etc/resolv.conf -> /run/systemd/resolve/stub-resolv.conf).</summary>
    public bool IsDangling { get; init; }
    public string? LinkTarget { get; init; }

    public override string ToString() => IsDangling ? $"{Evidence} -> {LinkTarget} (dangling)" : Evidence.ToString();
}

/// <summary>What resolves names in an image: OS, C library, and the resolver configuration baked in, each with the layer it came from.</summary>
public sealed class ImageDnsProfile
{
    public required string Image { get; init; }
    /// <summary>os/arch[/variant] from the image config, when known.</summary>
    public string? Platform { get; init; }
    public string? ManifestDigest { get; init; }
    public ImageOsInfo? Os { get; init; }
    public required ImageLibcInfo Libc { get; init; }
    /// <summary>/etc/resolv.conf as shipped (Kubernetes replaces it in a pod).</summary>
    public ImageConfigFile? ResolvConfFile { get; init; }
    /// <summary>/etc/resolv.conf parsed (null when absent, dangling or not text).</summary>
    public RC.ResolvConf? ResolvConf { get; init; }
    public ImageConfigFile? NsswitchConf { get; init; }
    /// <summary>The hosts: line of /etc/nsswitch.conf, without the "hosts:" key ("files dns"); null when there is none.</summary>
    public string? NsswitchHosts { get; init; }
    public ImageConfigFile? GaiConf { get; init; }
    public ImageConfigFile? Hosts { get; init; }
    /// <summary>The image config's Entrypoint/Cmd and what its binary resolves names with; null when the image has no config (dir:).</summary>
    public ImageEntrypointInfo? Entrypoint { get; init; }
    /// <summary>Layer digests bottom to top.</summary>
    public IReadOnlyList<string> Layers { get; init; } = Array.Empty<string>();
    /// <summary>Bytes decompressed to build this profile (all reads of all layers; 0 for dir: images).</summary>
    public long DecompressedBytes { get; init; }
    /// <summary>Reads of the layers this profile took: 1, or 2 when a link or an exec led to a file no one could name before the read.</summary>
    public int LayerReads { get; init; }

    /// <summary>Which stub resolver getaddrinfo uses in this image: musl, glibc, uclibc-ng, none.</summary>
    public string Resolver => Libc.Name;

    public override string ToString() => $"{Image}: {Libc}";
}
