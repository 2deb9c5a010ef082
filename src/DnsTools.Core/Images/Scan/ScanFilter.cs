using System.Text.RegularExpressions;

namespace DnsTools.Core.Images;

/// <summary>
/// Which paths a scan keeps. Symbolic and hard links are always kept (they are few and needed to resolve paths); whiteouts
/// always apply. Exact paths and subtrees come from the asked paths; name patterns keep every entry whose name matches
/// below a directory (the C library's files wherever a distribution puts them), with its content.
/// </summary>
internal sealed class ScanFilter
{
    public HashSet<string> Exact { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Subtrees { get; } = new(StringComparer.Ordinal);
    /// <summary>Paths whose content is kept (at most <see cref="ImageScanOptions.MaxContentBytes"/>, or their own limit).</summary>
    public HashSet<string> Content { get; } = new(StringComparer.Ordinal);
    /// <summary>Content limits above the scan's own, by path (program binaries, package databases).</summary>
    public Dictionary<string, long> ContentLimits { get; } = new(StringComparer.Ordinal);
    public List<ScanPattern> Patterns { get; } = new();

    public bool Covers(string path)
    {
        if (Exact.Contains(path)) return true;
        foreach (var s in Subtrees)
        {
            if (s == "/" || path == s || IsUnder(path, s)) return true;
        }
        return Pattern(path) is not null;
    }

    private HashSet<string>? _exactDirectories;
    private int _exactCountSeen = -1;

    /// <summary>Whether <paramref name="path"/> lies directly in a directory of an exactly named path (/bin for /bin/sh).</summary>
    public bool InDirectoryOfExact(string path)
    {
        if (_exactDirectories is null || _exactCountSeen != Exact.Count)
        {
            _exactDirectories = new HashSet<string>(Exact.Select(p => p[..Math.Max(p.LastIndexOf('/'), 0)]), StringComparer.Ordinal);
            _exactCountSeen = Exact.Count;
        }
        var slash = path.LastIndexOf('/');
        return _exactDirectories.Contains(path[..Math.Max(slash, 0)]);
    }

    public bool Keeps(string path, ImageFileType type) => type is ImageFileType.SymbolicLink or ImageFileType.HardLink || Covers(path);

    /// <summary>The content limit for <paramref name="path"/>, or null when its content is not kept.</summary>
    public long? ContentLimit(string path, long scanLimit)
    {
        if (Content.Contains(path)) return ContentLimits.TryGetValue(path, out var own) ? Math.Max(own, scanLimit) : scanLimit;
        return Pattern(path) is { } p ? Math.Max(p.ContentLimit ?? 0, scanLimit) : null;
    }

    /// <summary>Keeps <paramref name="path"/> with its content (of up to <paramref name="contentLimit"/> bytes when that is more than the scan's limit).</summary>
    public void AddFile(string path, long? contentLimit = null)
    {
        Exact.Add(path);
        Content.Add(path);
        if (contentLimit is { } l) ContentLimits[path] = Math.Max(l, ContentLimits.GetValueOrDefault(path));
    }

    private ScanPattern? Pattern(string path)
    {
        if (Patterns.Count == 0) return null;
        var slash = path.LastIndexOf('/');
        var name = path.AsSpan(slash + 1);
        foreach (var p in Patterns)
        {
            if (!p.Name.IsMatch(name)) continue;
            foreach (var dir in p.Under)
                if (IsUnder(path, dir) && (p.AnyDepth || slash == dir.Length || (dir == "/" && slash == 0))) return p;
        }
        return null;
    }

    internal static bool IsUnder(string path, string dir) =>
        dir == "/" ? path.Length > 1 : path.Length > dir.Length && path[dir.Length] == '/' && path.StartsWith(dir, StringComparison.Ordinal);
}

/// <summary>Every entry below one of <see cref="Under"/> (any depth, or directly in it) whose file name matches <see cref="Name"/>; content kept.</summary>
internal sealed record ScanPattern(List<string> Under, Regex Name, bool AnyDepth, long? ContentLimit);
