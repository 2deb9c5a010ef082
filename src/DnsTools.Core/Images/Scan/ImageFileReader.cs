using System.Text;

namespace DnsTools.Core.Images;

/// <summary>
/// Reads files from an image's merged file system without a runtime: layers are streamed, never unpacked,
/// and only the entries under the asked paths are kept in memory. Symbolic links are resolved inside the
/// image root; when a link leads outside what was kept, the layers are read again for the target (bounded).
/// </summary>
public static class ImageFileReader
{
    internal const int MaxPasses = 6;
    private const int MaxLinkHops = 40;

    /// <summary>Files at <paramref name="paths"/> (with everything below them when <paramref name="recurse"/>).</summary>
    /// <remarks>
    /// pathError is called for each asked path that fails on its own (not in the image: NotFound; links that loop:
    /// SymlinkLoop) while the other paths are still answered; errors of the image itself are thrown.
    /// </remarks>
    public static IReadOnlyList<ImageFileInfo> Read(IImageSource source, IEnumerable<string> paths, bool recurse, ImageScanOptions? options = null,
        Action<ImageException>? pathError = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageScanOptions();
        var asked = paths.Select(NormalizeAsked).Distinct(StringComparer.Ordinal).ToList();
        var filter = new ScanFilter();
        foreach (var p in asked)
        {
            if (recurse) filter.Subtrees.Add(p);
            else { filter.Exact.Add(p); filter.Content.Add(p); }
        }
        var budget = new ScanBudget(source.Reference.Original, options.MaxDecompressedBytes);
        for (var pass = 1; pass <= MaxPasses; pass++)
        {
            budget.Used = 0; // the ceiling holds for each read of the image
            var view = LayerLoader.Load(source, filter, options, budget, pass, cancellationToken);
            var results = new List<ImageFileInfo>(recurse ? view.Count + 16 : asked.Count);
            var errors = new List<ImageException>();
            var more = false;
            foreach (var p in asked)
            {
                try
                {
                    var r = Describe(source, view, filter, p, recurse, results, null, cancellationToken);
                    if (r == Outcome.NeedMore) more = true;
                    else if (r == Outcome.NotFound)
                        errors.Add(new ImageException(ImageErrorKind.NotFound, p, $"Image '{source.Reference.Original}' has no '{p}'."));
                }
                catch (ImageException e) when (e.Kind == ImageErrorKind.SymlinkLoop)
                {
                    errors.Add(e);
                }
            }
            if (!more)
            {
                foreach (var e in errors) pathError?.Invoke(e);
                return results;
            }
        }
        throw new ImageException(ImageErrorKind.SymlinkLoop, source.Reference.Original, $"Image '{source.Reference.Original}': links among {string.Join(", ", asked)} lead through more than {MaxPasses} reads of the layers.");
    }

    /// <summary>"etc/x", "/etc/../etc/x/" → "/etc/x".</summary>
    internal static string NormalizeAsked(string path)
    {
        var parts = new List<string>();
        foreach (var p in (path ?? "").Replace('\\', '/').Split('/'))
        {
            if (p is "" or ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    internal enum Outcome { Done, NeedMore, NotFound }

    /// <summary>
    /// Adds what the view holds for <paramref name="asked"/> to <paramref name="results"/>; NeedMore (with the filter grown)
    /// when a link or a file's content leads outside what was kept. Content added to the filter is kept up to
    /// <paramref name="contentLimit"/> when that is more than the scan's limit.
    /// </summary>
    internal static Outcome Describe(IImageSource source, MergedView view, ScanFilter filter, string asked, bool recurse, List<ImageFileInfo> results, long? contentLimit, CancellationToken ct)
    {
        var image = source.Reference.Original;
        // Resolve the parent directories (following links), not the last component.
        var real = Resolve(view, asked, followLast: false, image);
        if (!filter.Covers(real))
        {
            AddCoverage(filter, real, recurse, contentLimit);
            return Outcome.NeedMore;
        }
        var e = view.Get(real);
        if (e is null && !view.HasDescendants(real))
        {
            if (real == "/") e = ImpliedDirectory("/");
            else return Outcome.NotFound;
        }
        e ??= ImpliedDirectory(real);

        string? resolved = real;
        MergedEntry? final = e;
        var dangling = false;
        if (e.Type == ImageFileType.SymbolicLink)
        {
            resolved = Resolve(view, real, followLast: true, image);
            if (!filter.Covers(resolved))
            {
                AddCoverage(filter, resolved, recurse, contentLimit);
                return Outcome.NeedMore;
            }
            final = view.Get(resolved) ?? (view.HasDescendants(resolved) || resolved == "/" ? ImpliedDirectory(resolved) : null);
            if (final is null) { dangling = true; resolved = null; }
        }
        if (!recurse && final is { Type: ImageFileType.HardLink, LinkTarget: { } hardTarget, Content: null, ContentTooLarge: false })
        {
            if (!filter.Content.Contains(hardTarget)) { filter.AddFile(hardTarget, contentLimit); return Outcome.NeedMore; }
            if (view.Get(hardTarget) is { } t) { final.Content = t.Content; final.Size = t.Size; final.ContentTooLarge = t.ContentTooLarge; }
        }
        if (!recurse && final is { Type: ImageFileType.File, Content: null, ContentTooLarge: false } && !filter.Content.Contains(final.Path))
        {
            filter.AddFile(final.Path, contentLimit);
            return Outcome.NeedMore;
        }

        if (recurse && final is { Type: ImageFileType.Directory } && resolved is not null)
        {
            // Hard links below whose targets lie outside what was kept: read again to give their size.
            var outside = view.Descendants(resolved).Where(d => d.Type == ImageFileType.HardLink && d.LinkTarget is not null && !filter.Covers(d.LinkTarget))
                .Select(d => d.LinkTarget!).Distinct().ToList();
            if (outside.Count > 0)
            {
                foreach (var t in outside) filter.Exact.Add(t);
                return Outcome.NeedMore;
            }
        }

        var content = recurse ? null : final?.Content;
        results.Add(new ImageFileInfo
        {
            Image = image,
            Path = asked == real || recurse ? real : asked,
            Type = e.Type,
            Size = e.Type == ImageFileType.HardLink && view.Get(e.LinkTarget!) is { } ht ? ht.Size : e.Size,
            Mode = e.Mode,
            Uid = e.Uid,
            Gid = e.Gid,
            ModifiedTime = e.ModifiedTime,
            LinkTarget = e.LinkTarget,
            ResolvedPath = resolved,
            IsDangling = dangling,
            Layer = e.Layer,
            LayerIndex = e.LayerIndex,
            ContentBytes = content,
            Content = content is null ? null : AsText(content),
        });

        if (recurse && final is not null && resolved is not null && (final.Type == ImageFileType.Directory))
        {
            var seenDirs = new HashSet<string>(StringComparer.Ordinal) { resolved };
            var implied = new Stack<string>();
            var lastParent = "";
            foreach (var d in view.Descendants(resolved))
            {
                ct.ThrowIfCancellationRequested();
                // Directories implied by their contents (no entry of their own) are listed too. Entries in key
                // order mostly share the previous one's parent, already seen: its name need not be built again.
                var slash = d.Path.LastIndexOf('/');
                var sameParent = slash <= 0 ? lastParent == "/" : slash == lastParent.Length && d.Path.AsSpan(0, slash).SequenceEqual(lastParent);
                if (!sameParent)
                {
                    var parent = lastParent = ParentOf(d.Path);
                    while (parent.Length > resolved.Length && seenDirs.Add(parent)) { implied.Push(parent); parent = ParentOf(parent); }
                    while (implied.TryPop(out var dir))
                    {
                        if (view.Get(dir) is null) results.Add(ToInfo(image, ImpliedDirectory(dir), view));
                    }
                }
                if (d.Type == ImageFileType.Directory) seenDirs.Add(d.Path);
                results.Add(ToInfo(image, d, view));
            }
        }
        return Outcome.Done;
    }

    internal static ImageFileInfo ToInfo(string image, MergedEntry d, MergedView view) => new()
    {
        Image = image,
        Path = d.Path,
        Type = d.Type,
        Size = d.Type == ImageFileType.HardLink && d.LinkTarget is not null && view.Get(d.LinkTarget) is { } t ? t.Size : d.Size,
        Mode = d.Mode,
        Uid = d.Uid,
        Gid = d.Gid,
        ModifiedTime = d.ModifiedTime,
        LinkTarget = d.LinkTarget,
        ResolvedPath = d.Type == ImageFileType.SymbolicLink ? null : d.Path,
        Layer = d.Layer,
        LayerIndex = d.LayerIndex,
    };

    private static void AddCoverage(ScanFilter filter, string path, bool recurse, long? contentLimit)
    {
        if (recurse) filter.Subtrees.Add(path);
        else filter.AddFile(path, contentLimit);
    }

    private static string? AsText(byte[] data)
    {
        if (data.AsSpan(0, Math.Min(data.Length, 8192)).IndexOf((byte)0) >= 0) return null;
        return new UTF8Encoding(false, false).GetString(data);
    }

    private static MergedEntry ImpliedDirectory(string path) => new()
    {
        Path = path,
        Type = ImageFileType.Directory,
        Mode = (UnixFileMode)0b111_101_101,
        LayerIndex = -1,
    };

    internal static string ParentOf(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>
    /// Resolves links component by component inside the image root ("/.." stays "/"); loops, and paths that grow past
    /// PATH_MAX on the way (the kernel's ENAMETOOLONG), are reported as link errors of that path.
    /// </summary>
    internal static string Resolve(MergedView view, string path, bool followLast, string image, int maxPathLength = ImageScanOptions.DefaultMaxPathLength)
    {
        var done = new List<string>();
        var current = new System.Text.StringBuilder();
        var todo = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var hops = 0;
        var chain = new List<string>();
        while (todo.First is { } node)
        {
            todo.RemoveFirst();
            var c = node.Value;
            if (c == ".") continue;
            if (c == "..")
            {
                if (done.Count > 0) { current.Length -= done[^1].Length + 1; done.RemoveAt(done.Count - 1); }
                continue;
            }
            if (current.Length + 1 + c.Length > maxPathLength)
                throw new ImageException(ImageErrorKind.SymlinkLoop, Shorten(path), $"Image '{image}': '{Shorten(path)}' leads to a path longer than {maxPathLength} characters.");
            var candidate = current.Length == 0 ? "/" + c : string.Concat(current.ToString(), "/", c);
            var e = view.Get(candidate);
            if (e is { Type: ImageFileType.SymbolicLink, LinkTarget: { } target } && (todo.Count > 0 || followLast))
            {
                if (++hops > MaxLinkHops)
                    throw new ImageException(ImageErrorKind.SymlinkLoop, Shorten(path), $"Image '{image}': symbolic links loop resolving '{Shorten(path)}': {string.Join(", ", chain.Distinct().Take(8))}.");
                chain.Add($"{candidate} -> {Shorten(target)}");
                if (target.StartsWith('/')) { done.Clear(); current.Clear(); }
                var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = parts.Length - 1; i >= 0; i--) todo.AddFirst(parts[i]);
                continue;
            }
            done.Add(c);
            current.Append('/').Append(c);
        }
        return done.Count == 0 ? "/" : current.ToString();
    }

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "...";
}
