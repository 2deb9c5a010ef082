namespace DnsTools.Core.Images;

/// <summary>Which paths a scan keeps. Symbolic and hard links are always kept (they are few and needed to resolve paths); whiteouts always apply.</summary>
internal sealed class ScanFilter
{
    public HashSet<string> Exact { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Subtrees { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Content { get; } = new(StringComparer.Ordinal);

    public bool Covers(string path)
    {
        if (Exact.Contains(path)) return true;
        foreach (var s in Subtrees)
        {
            if (s == "/" || path == s || (path.StartsWith(s, StringComparison.Ordinal) && path.Length > s.Length && path[s.Length] == '/')) return true;
        }
        return false;
    }

    public bool Keeps(string path, ImageFileType type) => type is ImageFileType.SymbolicLink or ImageFileType.HardLink || Covers(path);
}
