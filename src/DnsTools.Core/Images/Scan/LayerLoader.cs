using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace DnsTools.Core.Images;

/// <summary>Reads an image's layers once each, keeping what a <see cref="ScanFilter"/> asks for, and merges them bottom to top into a <see cref="MergedView"/>.</summary>
internal static class LayerLoader
{
    private static ImageException TooManyEntries(ImageScanOptions options, ImageLayerInfo layer, string? path) =>
        new(ImageErrorKind.LimitExceeded, layer.Digest ?? layer.DiffId ?? layer.Locator,
            $"Image '{layer.Image}': more than {options.MaxEntries} entries of the image would be held in memory (layer {layer.Digest ?? layer.DiffId ?? layer.Locator}{(path is null ? "" : $", at '{(path.Length > 120 ? path[..120] + "..." : path)}'")}; -MaxEntries): ask for fewer paths.");

    private static void Apply(MergedView view, LayerResult r, ImageLayerInfo layer, ImageScanOptions options)
    {
        if (view.Count + r.Entries.Count > options.MaxEntries && view.Count + r.Entries.Count - r.Whiteouts.Count > options.MaxEntries)
        {
            // Entries replacing paths already held do not add: counted exactly only when the sum is over.
            var added = r.Entries.Count(e => view.Get(e.Path) is null);
            if (view.Count + added > options.MaxEntries) throw TooManyEntries(options, layer, null);
        }
        foreach (var e in r.Entries)
        {
            e.LayerIndex = layer.Index;
            e.Layer = layer.Digest ?? layer.DiffId;
        }
        view.ApplyLayer(r.Entries, r.Whiteouts, r.Opaques);
    }

    /// <summary>Keeps one layer entry if the filter asks for it; whiteouts and opaque markers are always kept.</summary>
    private static void Collect(LayerResult r, LayerEntry e, ScanFilter filter, ImageScanOptions options, ImageLayerInfo layer)
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
        if (!filter.Keeps(e.Path, e.Type))
        {
            // Only programs beside a planned one (bin/[ beside /bin/sh): not every shared library of /usr/lib.
            if (e.Type == ImageFileType.File && e.Data is not null && (e.Mode & AnyExecute) != 0 && filter.InDirectoryOfExact(e.Path)) r.Recent.Offer(e.Path, e.Size, e.Data);
            return;
        }
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
        if (e.Type == ImageFileType.File && e.Data is not null && filter.ContentLimit(e.Path, options.MaxContentBytes) is { } limit)
        {
            if (e.Size > limit) m.ContentTooLarge = true;
            else
            {
                var buf = new byte[e.Size];
                e.Data.ReadExactly(buf);
                m.Content = buf;
            }
        }
        if (e.Type == ImageFileType.HardLink && e.LinkTarget is not null)
        {
            if (r.Local().TryGetValue(e.LinkTarget, out var target))
            {
                m.Size = target.Size;
                m.Content = target.Content;
                m.ContentTooLarge = target.ContentTooLarge;
            }
            else if (filter.ContentLimit(e.Path, options.MaxContentBytes) is { } linkLimit && r.Recent.Take(e.LinkTarget) is { } recent)
            {
                // busybox images: /bin/sh is a hard link to the first applet in the tar ("bin/["), which no plan names.
                m.Size = recent.Length;
                if (recent.Length > linkLimit) m.ContentTooLarge = true;
                else m.Content = recent;
            }
        }
        // Entries held are bounded by construction: a layer of millions of files listed with -Recurse stops here, early.
        if (r.Entries.Count >= options.MaxEntries) throw TooManyEntries(options, layer, e.Path);
        r.Entries.Add(m);
        r.AddLocal(m);
    }

    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Reads every layer once, keeping what <paramref name="filter"/> asks for; <paramref name="budget"/>'s <see cref="ScanBudget.Used"/> is then the decompressed bytes read.</summary>
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
                var (_, diffId) = LayerReader.Read(stream, provisional, budget, e => Collect(result, e, filter, options, provisional),
                    read => options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, member, layers.Count, name, read, null, pass)), ct, options);
                member++;
                if (diffId is not null) byDiffId[diffId] = result;
            }, ct);
            foreach (var layer in layers)
            {
                var key = layer.DiffId ?? layer.Digest ?? "";
                if (!byDiffId.TryGetValue(key, out var r))
                    throw new ImageException(ImageErrorKind.Corrupt, key, $"Image '{source.Reference.Original}': the export holds no layer with diff id {key} (layer {layer.Index}).");
                Apply(view, r, layer, options);
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
                LayerReader.Read(raw, layer, budget, e => Collect(result, e, filter, options, layer),
                    read => options.Progress?.Invoke(new ImageScanProgress(source.Reference.Original, layer.Index, layers.Count, layer.Name, read, layer.CompressedSize, pass)), ct, options);
            }
            Apply(view, result, layer, options);
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
                                LayerReader.Read(raw, layer, job.Meter, e => Collect(job.Result, e, filter, options, layer), read =>
                                {
                                    progress.Enqueue(new ImageScanProgress(image, layer.Index, count, layer.Name, read, layer.CompressedSize, pass));
                                    wake.Release();
                                }, stop.Token, options);
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
                Apply(view, lowest.Result, layers[merged], options);
                jobs[merged] = null;
                merged++;
            }
            budget.Used = meters.Sum(m => m.Own); // what this read decompressed, as a sequential read counts it
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
    /// <summary>The layer's last few programs no plan named, for a later hard link that a plan does name.</summary>
    public RecentPrograms Recent { get; } = new();

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

/// <summary>
/// The contents of the last executable files of a layer that the scan did not keep, up to <see cref="MaxTotalBytes"/>
/// in all: a tar holds a file's data once, under the first of its hard-linked names, and the later names are links to
/// it. busybox images store the binary as "bin/[" and /bin/sh, /bin/busybox as links to it; keeping the recent
/// programs lets a planned link get its content in the same read instead of another read of the layer. Reading them
/// costs what skipping them does (the bytes pass through either way); memory stays bounded.
/// </summary>
internal sealed class RecentPrograms
{
    public const long MaxTotalBytes = 8L << 20;
    public const long MaxFileBytes = 4L << 20;

    private readonly Queue<(string Path, byte[] Content)> _order = new();
    private readonly Dictionary<string, byte[]> _content = new(StringComparer.Ordinal);
    private long _total;

    public void Offer(string path, long size, Stream data)
    {
        if (size > MaxFileBytes || size < 4) return;
        var buf = new byte[size];
        data.ReadExactly(buf);
        if (_content.Remove(path, out var old)) _total -= old.Length; // a path repeated in one layer: the later one counts
        _content[path] = buf;
        _order.Enqueue((path, buf));
        _total += size;
        while (_total > MaxTotalBytes && _order.TryDequeue(out var oldest))
        {
            if (_content.TryGetValue(oldest.Path, out var held) && held == oldest.Content)
            {
                _content.Remove(oldest.Path);
                _total -= held.Length;
            }
        }
    }

    public byte[]? Take(string path) => _content.GetValueOrDefault(path);
}
