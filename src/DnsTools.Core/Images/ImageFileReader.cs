using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Text;

namespace DnsTools.Core.Images;

/// <summary>
/// Reads files from an image's merged file system without a runtime: layers are streamed, never unpacked,
/// and only the entries under the asked paths are kept in memory. Symbolic links are resolved inside the
/// image root; when a link leads outside what was kept, the layers are read again for the target (bounded).
/// </summary>
public static class ImageFileReader
{
    private const int MaxPasses = 6;
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
            var view = Load(source, filter, options, budget, pass, cancellationToken);
            var results = new List<ImageFileInfo>(recurse ? view.Count + 16 : asked.Count);
            var errors = new List<ImageException>();
            var more = false;
            foreach (var p in asked)
            {
                try
                {
                    var r = Describe(source, view, filter, p, recurse, results, cancellationToken);
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

    private enum Outcome { Done, NeedMore, NotFound }

    private static Outcome Describe(IImageSource source, MergedView view, ScanFilter filter, string asked, bool recurse, List<ImageFileInfo> results, CancellationToken ct)
    {
        var image = source.Reference.Original;
        // Resolve the parent directories (following links), not the last component.
        var real = Resolve(view, asked, followLast: false, image);
        if (!filter.Covers(real))
        {
            AddCoverage(filter, real, recurse);
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
                AddCoverage(filter, resolved, recurse);
                return Outcome.NeedMore;
            }
            final = view.Get(resolved) ?? (view.HasDescendants(resolved) || resolved == "/" ? ImpliedDirectory(resolved) : null);
            if (final is null) { dangling = true; resolved = null; }
        }
        if (!recurse && final is { Type: ImageFileType.HardLink, LinkTarget: { } hardTarget, Content: null, ContentTooLarge: false })
        {
            if (filter.Content.Add(hardTarget)) { filter.Exact.Add(hardTarget); return Outcome.NeedMore; }
            if (view.Get(hardTarget) is { } t) { final.Content = t.Content; final.Size = t.Size; final.ContentTooLarge = t.ContentTooLarge; }
        }
        if (!recurse && final is { Type: ImageFileType.File, Content: null, ContentTooLarge: false } && filter.Content.Add(final.Path))
        {
            filter.Exact.Add(final.Path);
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

    private static ImageFileInfo ToInfo(string image, MergedEntry d, MergedView view) => new()
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

    private static void AddCoverage(ScanFilter filter, string path, bool recurse)
    {
        if (recurse) filter.Subtrees.Add(path);
        else { filter.Exact.Add(path); filter.Content.Add(path); }
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

    /// <summary>Resolves links component by component inside the image root ("/.." stays "/"); loops are reported.</summary>
    internal static string Resolve(MergedView view, string path, bool followLast, string image)
    {
        var done = new List<string>();
        var todo = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var hops = 0;
        var chain = new List<string>();
        while (todo.First is { } node)
        {
            todo.RemoveFirst();
            var c = node.Value;
            if (c == ".") continue;
            if (c == "..") { if (done.Count > 0) done.RemoveAt(done.Count - 1); continue; }
            var candidate = "/" + string.Join('/', done.Append(c));
            var e = view.Get(candidate);
            if (e is { Type: ImageFileType.SymbolicLink, LinkTarget: { } target } && (todo.Count > 0 || followLast))
            {
                if (++hops > MaxLinkHops)
                    throw new ImageException(ImageErrorKind.SymlinkLoop, path, $"Image '{image}': symbolic links loop resolving '{path}': {string.Join(", ", chain.Distinct().Take(8))}.");
                chain.Add($"{candidate} -> {target}");
                if (target.StartsWith('/')) done.Clear();
                var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = parts.Length - 1; i >= 0; i--) todo.AddFirst(parts[i]);
                continue;
            }
            done.Add(c);
        }
        return "/" + string.Join('/', done);
    }

    private static void Apply(MergedView view, LayerResult r, ImageLayerInfo layer)
    {
        foreach (var e in r.Entries)
        {
            e.LayerIndex = layer.Index;
            e.Layer = layer.Digest ?? layer.DiffId;
        }
        view.ApplyLayer(r.Entries, r.Whiteouts, r.Opaques);
    }

    /// <summary>Keeps one layer entry if the filter asks for it; whiteouts and opaque markers are always kept.</summary>
    private static void Collect(LayerResult r, LayerEntry e, ScanFilter filter, ImageScanOptions options)
    {
        var slash = e.Path.LastIndexOf('/');
        if (e.Path.AsSpan(slash + 1).StartsWith(".wh.", StringComparison.Ordinal))
        {
            var name = e.Path[(slash + 1)..];
            var dir = slash == 0 ? "/" : e.Path[..slash];
            if (name == ".wh..wh..opq") r.Opaques.Add(dir);
            else if (!name.StartsWith(".wh..wh.", StringComparison.Ordinal)) r.Whiteouts.Add((dir == "/" ? "" : dir) + "/" + name[4..]);
            return;
        }
        if (!filter.Keeps(e.Path, e.Type)) return;
        var m = new MergedEntry
        {
            Path = e.Path,
            Type = e.Type,
            Size = e.Size,
            Mode = e.Mode,
            Uid = e.Uid,
            Gid = e.Gid,
            ModifiedTime = e.ModifiedTime,
            LinkTarget = e.LinkTarget,
        };
        if (e.Type == ImageFileType.File && e.Data is not null && filter.Content.Contains(e.Path))
        {
            if (e.Size > options.MaxContentBytes) m.ContentTooLarge = true;
            else
            {
                var buf = new byte[e.Size];
                e.Data.ReadExactly(buf);
                m.Content = buf;
            }
        }
        if (e.Type == ImageFileType.HardLink && e.LinkTarget is not null && r.Local().TryGetValue(e.LinkTarget, out var target))
        {
            m.Size = target.Size;
            m.Content = target.Content;
            m.ContentTooLarge = target.ContentTooLarge;
        }
        r.Entries.Add(m);
        r.AddLocal(m);
    }

    /// <summary>Reads every layer once, keeping what <paramref name="filter"/> asks for.</summary>
    internal static MergedView Load(IImageSource source, ScanFilter filter, ImageScanOptions options, ScanBudget budget, int pass, CancellationToken ct)
    {
        var view = new MergedView();
        if (source is RootfsSource rootfs)
        {
            RootfsReader.Load(rootfs, filter, options, view, ct);
            return view;
        }
        var layers = source.Layers;
        if (source is ISequentialLayerSource sequential)
        {
            // An export stream (docker save) holds the layers in its own order: read each once, keep what the
            // filter asks, and apply them bottom to top when the stream is done.
            var byDiffId = new Dictionary<string, LayerResult>(StringComparer.Ordinal);
            var member = 0;
            sequential.ReadExport((name, stream) =>
            {
                var provisional = new ImageLayerInfo { Image = source.Reference.Original, Index = -1, MediaType = MediaTypes.DockerLayer, Locator = name, HashUncompressed = true };
                var result = new LayerResult();
                options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, member, layers.Count, name, 0, null, pass));
                var (_, diffId) = LayerReader.Read(stream, provisional, budget, e => Collect(result, e, filter, options),
                    read => options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, member, layers.Count, name, read, null, pass)), ct);
                member++;
                if (diffId is not null) byDiffId[diffId] = result;
            }, ct);
            foreach (var layer in layers)
            {
                var key = layer.DiffId ?? layer.Digest ?? "";
                if (!byDiffId.TryGetValue(key, out var r))
                    throw new ImageException(ImageErrorKind.Corrupt, key, $"Image '{source.Reference.Original}': the export holds no layer with diff id {key} (layer {layer.Index}).");
                Apply(view, r, layer);
            }
            return view;
        }
        if (options.LayerConcurrency > 1 && layers.Count > 1)
        {
            LoadConcurrently(source, filter, options, budget, pass, view, ct);
            return view;
        }
        foreach (var layer in layers)
        {
            ct.ThrowIfCancellationRequested();
            var result = new LayerResult();
            options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, layer.Index, layers.Count, layer.Name, 0, layer.CompressedSize, pass));
            using (var raw = source.OpenLayer(layer, ct))
            {
                LayerReader.Read(raw, layer, budget, e => Collect(result, e, filter, options),
                    read => options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, layer.Index, layers.Count, layer.Name, read, layer.CompressedSize, pass)), ct);
            }
            Apply(view, result, layer);
        }
        return view;
    }

    /// <summary>A layer being read on a thread of its own.</summary>
    private sealed class LayerJob
    {
        public required LayerMeter Meter { get; init; }
        public LayerResult Result { get; } = new();
        public ExceptionDispatchInfo? Error { get; set; }
        public Thread? Thread { get; set; }
        private volatile bool _done;
        public bool Done { get => _done; set => _done = value; }
    }

    /// <summary>
    /// Reads up to <see cref="ImageScanOptions.LayerConcurrency"/> layers at once (decompression and the two
    /// digests are most of a scan's time, and layers are independent until merged), and merges them bottom to top
    /// on this thread as each is done, so whiteouts, opaque directories and errors come out as in a sequential read:
    /// a layer's error is reported only once every layer below it read cleanly. Layers are opened on this thread,
    /// in order (sources need not open concurrently), and progress is reported here too.
    /// </summary>
    private static void LoadConcurrently(IImageSource source, ScanFilter filter, ImageScanOptions options, ScanBudget budget, int pass, MergedView view, CancellationToken ct)
    {
        var image = source.Reference.Original;
        var layers = source.Layers;
        var count = layers.Count;
        var concurrency = options.LayerConcurrency;
        var meters = new LayerMeter[count];
        for (var i = 0; i < count; i++) meters[i] = new LayerMeter(budget, meters, i);
        var jobs = new LayerJob?[count];
        var progress = new ConcurrentQueue<ImageScanProgress>();
        using var wake = new SemaphoreSlim(0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int next = 0, merged = 0;
        var failed = false;
        int Reading()
        {
            var n = 0;
            for (var i = merged; i < next; i++) if (jobs[i] is { Thread: not null, Done: false }) n++;
            return n;
        }

        void Report()
        {
            while (progress.TryDequeue(out var p))
            {
                ct.ThrowIfCancellationRequested();
                options.Progress?.Invoke(p);
            }
        }

        try
        {
            while (merged < count)
            {
                // Start more while few are read and few finished ones wait for those below (bounded memory).
                while (!Volatile.Read(ref failed) && next < count && next - merged < 2 * concurrency && Reading() < concurrency)
                {
                    ct.ThrowIfCancellationRequested();
                    var layer = layers[next];
                    var job = new LayerJob { Meter = meters[next] };
                    jobs[next] = job;
                    next++;
                    options.Progress?.Invoke(new ImageScanProgress(image, layer.Index, count, layer.Name, 0, layer.CompressedSize, pass));
                    Stream raw;
                    try
                    {
                        raw = source.OpenLayer(layer, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Reported in its turn: an error of a layer below comes first.
                        job.Error = ExceptionDispatchInfo.Capture(e);
                        job.Done = true;
                        failed = true;
                        break;
                    }
                    job.Thread = new Thread(() =>
                    {
                        try
                        {
                            using (raw)
                            {
                                LayerReader.Read(raw, layer, job.Meter, e => Collect(job.Result, e, filter, options), read =>
                                {
                                    progress.Enqueue(new ImageScanProgress(image, layer.Index, count, layer.Name, read, layer.CompressedSize, pass));
                                    wake.Release();
                                }, stop.Token);
                            }
                        }
                        catch (Exception e)
                        {
                            job.Error = ExceptionDispatchInfo.Capture(e);
                            failed = true; // no point starting more: this or a lower error is the answer
                        }
                        finally
                        {
                            job.Done = true;
                            wake.Release();
                        }
                    }) { IsBackground = true, Name = $"layer {layer.Index}" };
                    job.Thread.Start();
                }

                var lowest = jobs[merged]!;
                if (!lowest.Done)
                {
                    wake.Wait(Timeout.Infinite, ct);
                    Report();
                    continue;
                }
                Report();
                lowest.Thread?.Join();
                var within = lowest.Meter.Below() + lowest.Meter.Own <= budget.Max;
                if (lowest.Error is { } error)
                {
                    if (error.SourceException is OperationCanceledException) ct.ThrowIfCancellationRequested();
                    // A sequential read would have stopped at the ceiling before reaching this layer's damage.
                    if (!within && error.SourceException is not ImageException { Kind: ImageErrorKind.LimitExceeded }) throw budget.Exceeded();
                    error.Throw();
                }
                if (!within) throw budget.Exceeded();
                Apply(view, lowest.Result, layers[merged]);
                jobs[merged] = null;
                merged++;
            }
        }
        finally
        {
            // Stop the layers still being read (an error below them, or Ctrl+C): they end at their next read.
            stop.Cancel();
            foreach (var job in jobs) job?.Thread?.Join();
        }
    }
}

internal sealed class LayerResult
{
    public List<MergedEntry> Entries { get; } = new();
    private Dictionary<string, MergedEntry>? _local;

    /// <summary>This layer's kept entries by path, for its hard links; built at the first one (most layers have none).</summary>
    public Dictionary<string, MergedEntry> Local()
    {
        if (_local is null)
        {
            _local = new Dictionary<string, MergedEntry>(Entries.Count, StringComparer.Ordinal);
            foreach (var e in Entries) _local[e.Path] = e;
        }
        return _local;
    }

    public void AddLocal(MergedEntry e)
    {
        if (_local is not null) _local[e.Path] = e;
    }
    public List<string> Whiteouts { get; } = new();
    public List<string> Opaques { get; } = new();
}

/// <summary>dir:PATH — reads an unpacked root file system in place, never following its links on the host.</summary>
internal static class RootfsReader
{
    public static void Load(RootfsSource source, ScanFilter filter, ImageScanOptions options, MergedView view, CancellationToken ct)
    {
        var root = source.Root;
        var wanted = filter.Exact.Concat(filter.Subtrees).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        void Add(string imagePath, FileSystemInfo fi)
        {
            if (!seen.Add(imagePath)) return;
            if (++count > 5_000_000) throw new ImageException(ImageErrorKind.LimitExceeded, source.Reference.Original, $"'{source.Reference.Original}' holds more than 5 million files.");
            ct.ThrowIfCancellationRequested();
            var type = fi.LinkTarget is not null ? ImageFileType.SymbolicLink
                : fi is DirectoryInfo ? ImageFileType.Directory
                : (fi.Attributes & (FileAttributes.Device | FileAttributes.System)) != 0 ? ImageFileType.Other
                : ImageFileType.File;
            var e = new MergedEntry
            {
                Path = imagePath,
                Type = type,
                Size = type == ImageFileType.File ? ((FileInfo)fi).Length : type == ImageFileType.SymbolicLink ? fi.LinkTarget!.Length : 0,
                Mode = type == ImageFileType.SymbolicLink ? (UnixFileMode)0b111_111_111 : fi.UnixFileMode,
                ModifiedTime = fi.LastWriteTimeUtc,
                LinkTarget = fi.LinkTarget,
                LayerIndex = 0,
            };
            if (type == ImageFileType.File && filter.Content.Contains(imagePath))
            {
                if (e.Size > options.MaxContentBytes) e.ContentTooLarge = true;
                else
                {
                    using var fs = new FileStream(fi.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                    var buf = new byte[Math.Min(e.Size, options.MaxContentBytes)];
                    var n = fs.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
                    e.Content = buf[..n];
                }
            }
            view.Put(e);
        }

        foreach (var w in wanted)
        {
            // Each ancestor, so links on the way are known; never followed on the host.
            var parts = w.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var host = root;
            var imagePath = "";
            var ok = true;
            foreach (var part in parts)
            {
                host = Path.Combine(host, part);
                imagePath += "/" + part;
                FileSystemInfo fi = Directory.Exists(host) && new DirectoryInfo(host).LinkTarget is null ? new DirectoryInfo(host) : new FileInfo(host);
                if (!fi.Exists && fi.LinkTarget is null) { ok = false; break; }
                Add(imagePath, fi);
                if (fi.LinkTarget is not null || fi is not DirectoryInfo) { ok = imagePath == w; break; }
            }
            if (!ok || !filter.Subtrees.Contains(w)) continue;
            var start = w == "/" ? root : Path.Combine(root, w.TrimStart('/'));
            if (!Directory.Exists(start) || new DirectoryInfo(start).LinkTarget is not null) continue;
            var stack = new Stack<(string Host, string Image)>();
            stack.Push((start, w == "/" ? "" : w));
            while (stack.Count > 0)
            {
                var (dir, img) = stack.Pop();
                IEnumerable<FileSystemInfo> children;
                try { children = new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, IgnoreInaccessible = true }).ToList(); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                foreach (var c in children)
                {
                    var childImage = img + "/" + c.Name;
                    Add(childImage, c);
                    if (c is DirectoryInfo && c.LinkTarget is null) stack.Push((c.FullName, childImage));
                }
            }
        }
    }
}
