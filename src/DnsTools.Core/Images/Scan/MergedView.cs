namespace DnsTools.Core.Images;

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
