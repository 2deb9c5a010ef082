using System.Text.RegularExpressions;

namespace DnsTools.Core.Images;

/// <summary>
/// What one scan of an image keeps, decided before its layers are read: files by path (with their content) and files
/// matched by name below directories. Links are always kept, so paths still resolve inside the image; a file a link
/// leads to that the plan did not name costs one more, targeted read of the layers (see <see cref="ImageScan"/>).
/// </summary>
internal sealed class ImagePathPlan
{
    // Merged /usr (Debian 12, Fedora, Arch, ...): /bin, /sbin and /lib are links into /usr, so a file named by its
    // short path lives in the layer under /usr and the other way round. Both are planned, so either layout is one read.
    private static readonly (string Short, string Long)[] MergedUsr = { ("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"), ("/lib/", "/usr/lib/"), ("/lib64/", "/usr/lib64/") };

    internal List<(string Path, long? ContentLimit)> Paths { get; } = new();
    internal List<ScanPattern> Patterns { get; } = new();

    /// <summary>Keeps the file at <paramref name="path"/> (and its merged-/usr twin) with its content, of up to <paramref name="contentLimit"/> bytes when that is more than the scan's limit.</summary>
    public ImagePathPlan File(string path, long? contentLimit = null)
    {
        path = ImageFileReader.NormalizeAsked(path);
        Paths.Add((path, contentLimit));
        foreach (var (s, l) in MergedUsr)
        {
            if (path.StartsWith(s, StringComparison.Ordinal)) Paths.Add((l + path[s.Length..], contentLimit));
            else if (path.StartsWith(l, StringComparison.Ordinal)) Paths.Add((s + path[l.Length..], contentLimit));
        }
        return this;
    }

    public ImagePathPlan Files(IEnumerable<string> paths, long? contentLimit = null)
    {
        foreach (var p in paths) File(p, contentLimit);
        return this;
    }

    /// <summary>Keeps every file whose name matches <paramref name="name"/> below <paramref name="under"/> (any depth, or directly in them), with its content.</summary>
    public ImagePathPlan Matching(IEnumerable<string> under, Regex name, bool anyDepth = true, long? contentLimit = null)
    {
        Patterns.Add(new ScanPattern(under.Select(ImageFileReader.NormalizeAsked).Distinct(StringComparer.Ordinal).ToList(), name, anyDepth, contentLimit));
        return this;
    }

    internal ScanFilter ToFilter()
    {
        var f = new ScanFilter();
        foreach (var (path, limit) in Paths) f.AddFile(path, limit);
        foreach (var p in Patterns) f.Patterns.Add(p with { Under = p.Under.ToList() });
        return f;
    }
}
