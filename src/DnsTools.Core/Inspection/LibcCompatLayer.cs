using System.Text.RegularExpressions;
using DnsTools.Core.Images;

namespace DnsTools.Core.Inspection;

/// <summary>A package on a musl (Alpine) image that lets glibc-linked programs start.</summary>
public sealed record LibcCompatLayer(string Package, string Version, ImageEvidence Evidence)
{
    /// <summary>
    /// gcompat and libc6-compat run glibc programs on musl (so names resolve with musl's resolver);
    /// the "glibc" package of alpine-pkg-glibc installs a real glibc under /usr/glibc-compat (glibc's resolver).
    /// </summary>
    public bool BringsGlibc => Package is "glibc";

    public override string ToString() => $"{Package} {Version}";
}

internal static class LibcCompat
{
    private static readonly HashSet<string> Packages = new(StringComparer.Ordinal) { "gcompat", "libc6-compat", "glibc" };

    /// <summary>The compatibility packages in Alpine's package database (P: name, V: version stanzas).</summary>
    public static IReadOnlyList<LibcCompatLayer> FromApk(ImageFileInfo? f)
    {
        if (f?.Content is not { } text) return Array.Empty<LibcCompatLayer>();
        var list = new List<LibcCompatLayer>();
        foreach (var stanza in Regex.Split(text.Replace("\r", ""), @"\n\s*\n"))
        {
            string? name = null, version = null;
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith("P:", StringComparison.Ordinal)) name = line[2..].Trim();
                else if (line.StartsWith("V:", StringComparison.Ordinal)) version = line[2..].Trim();
            }
            if (name is not null && version is not null && Packages.Contains(name))
                list.Add(new LibcCompatLayer(name, version, ImageEvidence.From(f)));
        }
        return list;
    }
}
