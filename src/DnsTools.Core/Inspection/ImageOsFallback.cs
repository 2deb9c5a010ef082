using System.Text;
using System.Text.RegularExpressions;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>
/// The operating system when an image has no os-release: the distributions' own release files, then lsb-release,
/// then a busybox binary's version string (busybox-only images have nothing else).
/// </summary>
internal static class ImageOsFallback
{
    internal static readonly string[] ReleaseFiles =
    {
        "/etc/alpine-release", "/etc/debian_version", "/etc/redhat-release", "/etc/centos-release",
        "/etc/fedora-release", "/etc/system-release", "/etc/lsb-release",
    };

    internal const string Busybox = "/bin/busybox";

    private static readonly Regex Release = new(@"^(?<name>.+?) release (?<version>\d+(?:\.\d+)*)", RegexOptions.CultureInvariant);
    private static readonly Regex BusyboxVersion = new(@"BusyBox v(\d+\.\d+(?:\.\d+)?)", RegexOptions.CultureInvariant);

    /// <summary>The first release file present, in the order above.</summary>
    public static ImageOsInfo? FromReleaseFiles(Func<string, ImageFileInfo?> get)
    {
        foreach (var path in ReleaseFiles)
        {
            if (get(path) is not { Content: { } text } f) continue;
            var first = text.Split('\n')[0].Trim();
            var evidence = ImageEvidence.From(f);
            switch (path)
            {
                case "/etc/alpine-release":
                    return new ImageOsInfo { Id = "alpine", VersionId = first, Name = "Alpine Linux", Evidence = evidence };
                case "/etc/debian_version":
                    // "12.4" on releases, "bookworm/sid" on testing: a version only when it is one.
                    return new ImageOsInfo { Id = "debian", VersionId = char.IsAsciiDigit(first.FirstOrDefault()) ? first : null, Name = "Debian GNU/Linux", PrettyName = $"Debian GNU/Linux {first}", Evidence = evidence };
                case "/etc/lsb-release":
                    // A key given twice takes its last value, as a shell sourcing the file would (no exception on a repeat).
                    var values = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var pair in text.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2))
                        values[pair[0].Trim()] = pair[1].Trim().Trim('"');
                    if (!values.TryGetValue("DISTRIB_ID", out var id)) continue;
                    return new ImageOsInfo
                    {
                        Id = id.ToLowerInvariant(), VersionId = values.GetValueOrDefault("DISTRIB_RELEASE"), Name = id,
                        PrettyName = values.GetValueOrDefault("DISTRIB_DESCRIPTION"), Evidence = evidence,
                    };
                default:
                    // "CentOS Linux release 7.9.2009 (Core)", "Red Hat Enterprise Linux release 8.9 (Ootpa)", "Fedora release 39 (Thirty Nine)".
                    var m = Release.Match(first);
                    if (!m.Success) continue;
                    var name = m.Groups["name"].Value;
                    return new ImageOsInfo { Id = IdOf(name), VersionId = m.Groups["version"].Value, Name = name, PrettyName = first, Evidence = evidence };
            }
        }
        return null;
    }

    private static string IdOf(string name) =>
        name.StartsWith("Red Hat", StringComparison.Ordinal) ? "rhel" :
        name.StartsWith("Amazon Linux", StringComparison.Ordinal) ? "amzn" :
        name.StartsWith("Rocky", StringComparison.Ordinal) ? "rocky" :
        name.StartsWith("AlmaLinux", StringComparison.Ordinal) ? "almalinux" :
        name.Split(' ')[0].ToLowerInvariant();

    /// <summary>busybox's banner ("BusyBox v1.36.1 (...) multi-call binary") read from the binary itself.</summary>
    public static ImageOsInfo? FromBusybox(ImageFileInfo? f)
    {
        if (f?.ContentBytes is not { } bytes) return null;
        var m = BusyboxVersion.Match(Encoding.Latin1.GetString(bytes));
        if (!m.Success) return null;
        return new ImageOsInfo { Id = "busybox", VersionId = m.Groups[1].Value, Name = "BusyBox", PrettyName = $"BusyBox v{m.Groups[1].Value}", Evidence = ImageEvidence.From(f) };
    }
}
