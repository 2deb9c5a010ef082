using System.Text;

namespace DnsTools.Core.Images;

/// <summary>A file in an image's merged file system (all layers applied: whiteouts, opaque directories, replacements).</summary>
public sealed class ImageFileInfo
{
    public required string Image { get; init; }
    /// <summary>The path as asked for, or as found under a -Recurse path.</summary>
    public required string Path { get; init; }
    public required ImageFileType Type { get; init; }
    /// <summary>Bytes of a regular file (of the hard link's target for hard links; of the link text for symbolic links).</summary>
    public long Size { get; init; }
    public UnixFileMode Mode { get; init; }
    public int Uid { get; init; }
    public int Gid { get; init; }
    public DateTimeOffset? ModifiedTime { get; init; }
    /// <summary>Symbolic link text as stored, or a hard link's target path.</summary>
    public string? LinkTarget { get; init; }
    /// <summary>Where the path leads inside the image after every symbolic link (null when it leads nowhere: dangling).</summary>
    public string? ResolvedPath { get; init; }
    /// <summary>A symbolic link whose target does not exist in the image.</summary>
    public bool IsDangling { get; init; }
    /// <summary>Digest of the layer the entry comes from (null for directories only implied by their contents, and for dir: images).</summary>
    public string? Layer { get; init; }
    /// <summary>Index of that layer, bottom 0; -1 when implied.</summary>
    public int LayerIndex { get; init; }
    /// <summary>Text of the file (after links), when one path was asked for and the file is text of at most MaxContentBytes.</summary>
    public string? Content { get; init; }

    internal byte[]? ContentBytes { get; init; }

    /// <summary>The file's bytes (after links), when they were read; null otherwise.</summary>
    public byte[]? GetContentBytes() => ContentBytes?.ToArray();

    /// <summary>ls-style mode: "-rw-r--r--", "lrwxrwxrwx", "drwxr-xr-x".</summary>
    public string Permissions => ModeString(Type, Mode);

    internal static string ModeString(ImageFileType type, UnixFileMode mode)
    {
        var sb = new StringBuilder(10);
        sb.Append(type switch
        {
            ImageFileType.Directory => 'd',
            ImageFileType.SymbolicLink => 'l',
            ImageFileType.CharacterDevice => 'c',
            ImageFileType.BlockDevice => 'b',
            ImageFileType.Fifo => 'p',
            _ => '-',
        });
        var m = (int)mode;
        string[] x = { "x", "x", "x" };
        for (var shift = 6; shift >= 0; shift -= 3)
        {
            sb.Append((m & (4 << shift)) != 0 ? 'r' : '-');
            sb.Append((m & (2 << shift)) != 0 ? 'w' : '-');
            var exec = (m & (1 << shift)) != 0;
            var special = shift switch { 6 => (m & 0x800) != 0, 3 => (m & 0x400) != 0, _ => (m & 0x200) != 0 };
            sb.Append(special ? (shift == 0 ? (exec ? 't' : 'T') : (exec ? 's' : 'S')) : (exec ? 'x' : '-'));
        }
        return sb.ToString();
    }

    public override string ToString() => Path;
}

internal sealed class MergedEntry
{
    public required string Path { get; init; }
    public required ImageFileType Type { get; init; }
    public long Size { get; set; }
    public UnixFileMode Mode { get; init; }
    public int Uid { get; init; }
    public int Gid { get; init; }
    public DateTimeOffset? ModifiedTime { get; init; }
    public string? LinkTarget { get; init; }
    public int LayerIndex { get; set; }
    public string? Layer { get; set; }
    public byte[]? Content { get; set; }
    public bool ContentTooLarge { get; set; }
}

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

/// <summary>The merged view of an image, holding only the entries a filter asked for.</summary>
internal sealed class MergedView
{
    private readonly Dictionary<string, MergedEntry> _entries = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    // Every directory that has had something below it (never shrinks; closed under ancestors). Most entries are
    // files with nothing below, and this spares them the range query when a layer replaces them.
    private readonly HashSet<string> _parents = new(StringComparer.Ordinal);

    public MergedEntry? Get(string path) => _entries.GetValueOrDefault(path);

    public int Count => _entries.Count;

    public bool HasDescendants(string path)
    {
        if (path == "/") return _keys.Count > 0;
        if (!_parents.Contains(path)) return false;
        return _keys.GetViewBetween(path + "/", path + "0").Count > 0;
    }

    public IEnumerable<MergedEntry> Descendants(string path)
    {
        // '/' sorts before other characters that can follow it, so "/a/b" may sort after "/a-b": the view is bounded exactly.
        // Enumerated in place, not copied (a copy of every key is a large-object allocation): callers do not change the view meanwhile.
        var keys = path == "/" ? _keys : _keys.GetViewBetween(path + "/", path + "0");
        return keys.Select(k => _entries[k]);
    }

    public void Remove(string path, bool self)
    {
        if (self && _entries.Remove(path)) _keys.Remove(path);
        if (path != "/" && !_parents.Contains(path)) return;
        foreach (var k in (path == "/" ? _keys.ToList() : _keys.GetViewBetween(path + "/", path + "0").ToList()))
        {
            _entries.Remove(k);
            _keys.Remove(k);
        }
    }

    public void Put(MergedEntry e)
    {
        _entries[e.Path] = e;
        _keys.Add(e.Path);
        for (var p = ImageFileReader.ParentOf(e.Path); p != "/" && _parents.Add(p); p = ImageFileReader.ParentOf(p)) { }
    }

    /// <summary>Applies one layer's kept entries and whiteouts, per the OCI layer rules.</summary>
    public void ApplyLayer(List<MergedEntry> entries, List<string> whiteouts, List<string> opaques)
    {
        // Grown once per layer rather than by doubling (each step a large-object allocation, which brings on full collections).
        _entries.EnsureCapacity(_entries.Count + entries.Count);
        foreach (var w in whiteouts) Remove(w, self: true);
        foreach (var o in opaques) Remove(o, self: false);
        foreach (var e in entries)
        {
            // A non-directory hides whatever lower layers had below that path.
            if (e.Type != ImageFileType.Directory) Remove(e.Path, self: false);
        }
        foreach (var e in entries) Put(e);
    }
}
