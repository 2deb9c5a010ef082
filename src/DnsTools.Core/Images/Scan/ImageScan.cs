namespace DnsTools.Core.Images;

/// <summary>
/// One scan of an image for many questions: the layers are read once, keeping what an <see cref="ImagePathPlan"/> names
/// (and every link), and files are then answered from memory. Only a path the plan did not cover — a link to a file it
/// did not name, an exec of a program no one could foresee — costs another read, and that read keeps everything kept
/// so far plus the new paths. <see cref="DecompressedBytes"/> counts every byte decompressed for it.
/// </summary>
internal sealed class ImageScan
{
    private readonly IImageSource _source;
    private readonly ImageScanOptions _options;
    private readonly CancellationToken _ct;
    private readonly ScanFilter _filter;
    private MergedView? _view;
    private bool _stale = true;

    public ImageScan(IImageSource source, ImagePathPlan plan, ImageScanOptions? options = null, CancellationToken cancellationToken = default)
    {
        _source = source;
        _options = options ?? new ImageScanOptions();
        _ct = cancellationToken;
        _filter = plan.ToFilter();
    }

    /// <summary>The limits this scan reads with.</summary>
    public ImageScanOptions Options => _options;

    /// <summary>Decompressed bytes read by every pass so far.</summary>
    public long DecompressedBytes { get; private set; }

    /// <summary>Reads of the layers so far (1 when the plan covered every question).</summary>
    public int Passes { get; private set; }

    private MergedView View()
    {
        if (_view is null || _stale)
        {
            if (Passes >= ImageFileReader.MaxPasses)
                throw new ImageException(ImageErrorKind.SymlinkLoop, _source.Reference.Original, $"Image '{_source.Reference.Original}': links lead through more than {ImageFileReader.MaxPasses} reads of the layers.");
            var budget = new ScanBudget(_source.Reference.Original, _options.MaxDecompressedBytes);
            _view = LayerLoader.Load(_source, _filter, _options, budget, Passes + 1, _ct);
            Passes++;
            DecompressedBytes += budget.Used;
            _stale = false;
        }
        return _view;
    }

    /// <summary>
    /// The files at <paramref name="paths"/> (links followed for their content); paths the image does not have, or whose
    /// links loop, are left out. Content is kept up to <paramref name="contentLimit"/> for files the plan did not name.
    /// </summary>
    public IReadOnlyList<ImageFileInfo> Read(IEnumerable<string> paths, long? contentLimit = null)
    {
        var asked = paths.Select(ImageFileReader.NormalizeAsked).Distinct(StringComparer.Ordinal).ToList();
        while (true)
        {
            var view = View();
            var results = new List<ImageFileInfo>(asked.Count);
            var more = false;
            foreach (var p in asked)
            {
                try
                {
                    if (ImageFileReader.Describe(_source, view, _filter, p, recurse: false, results, contentLimit, _ct) == ImageFileReader.Outcome.NeedMore) more = true;
                }
                catch (ImageException e) when (e.Kind == ImageErrorKind.SymlinkLoop)
                {
                    // left out, as a path the image does not have
                }
            }
            if (!more) return results;
            _stale = true;
        }
    }

    public ImageFileInfo? Read(string path, long? contentLimit = null) => Read(new[] { path }, contentLimit).FirstOrDefault();

    /// <summary>
    /// The entries a plan's pattern kept below each of <paramref name="directories"/> (after links), in path order: a
    /// listing of just the matching files. A directory whose links lead outside every pattern's directories costs another read.
    /// </summary>
    public IReadOnlyList<ImageFileInfo> Matches(IEnumerable<string> directories)
    {
        var dirs = directories.Select(ImageFileReader.NormalizeAsked).ToList();
        while (true)
        {
            var view = View();
            var results = new List<ImageFileInfo>();
            var more = false;
            foreach (var d in dirs)
            {
                string real;
                try { real = ImageFileReader.Resolve(view, d, followLast: true, _source.Reference.Original); }
                catch (ImageException e) when (e.Kind == ImageErrorKind.SymlinkLoop) { continue; }
                if (real != d && !CoveredByPattern(real))
                {
                    // e.g. /lib -> /opt/lib: the patterns that name d now name where it leads too.
                    foreach (var p in _filter.Patterns.Where(p => p.Under.Contains(d))) p.Under.Add(real);
                    more = true;
                    continue;
                }
                foreach (var e in view.Descendants(real))
                {
                    _ct.ThrowIfCancellationRequested();
                    if (e.Type != ImageFileType.Directory) results.Add(ImageFileReader.ToInfo(_source.Reference.Original, e, view));
                }
            }
            if (!more) return results;
            _stale = true;
        }
    }

    private bool CoveredByPattern(string dir) =>
        _filter.Patterns.Any(p => p.Under.Any(u => u == dir || ScanFilter.IsUnder(dir, u)));
}
