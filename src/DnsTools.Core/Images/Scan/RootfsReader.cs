namespace DnsTools.Core.Images;

/// <summary>dir:PATH — reads an unpacked root file system in place, never following its links on the host.</summary>
internal static class RootfsReader
{
    public static void Load(RootfsSource source, ScanFilter filter, ImageScanOptions options, MergedView view, CancellationToken ct)
    {
        var root = source.Root;
        var patternDirs = filter.Patterns.SelectMany(p => p.Under).Distinct(StringComparer.Ordinal).ToList();
        var wanted = filter.Exact.Concat(filter.Subtrees).Concat(patternDirs).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        void Add(string imagePath, FileSystemInfo fi)
        {
            if (!seen.Add(imagePath)) return;
            if (++count > options.MaxEntries) throw new ImageException(ImageErrorKind.LimitExceeded, source.Reference.Original, $"'{source.Reference.Original}': more than {options.MaxEntries} entries would be held in memory (-MaxEntries): ask for fewer paths.");
            ct.ThrowIfCancellationRequested();
            // The type from lstat, before anything is opened: a FIFO's open would wait for a writer forever.
            var type = fi.LinkTarget is not null ? ImageFileType.SymbolicLink
                : fi is DirectoryInfo ? ImageFileType.Directory
                : HostFileType.Of(fi.FullName, followLinks: false) switch
                {
                    HostFileKind.Fifo => ImageFileType.Fifo,
                    HostFileKind.CharacterDevice => ImageFileType.CharacterDevice,
                    HostFileKind.BlockDevice => ImageFileType.BlockDevice,
                    HostFileKind.Socket => ImageFileType.Other,
                    _ => ImageFileType.File,
                };
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
            if (type == ImageFileType.File && filter.ContentLimit(imagePath, options.MaxContentBytes) is { } limit)
            {
                if (e.Size > limit) e.ContentTooLarge = true;
                else
                {
                    using var fs = new FileStream(fi.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                    var buf = new byte[Math.Min(e.Size, limit)];
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
                // FileInfo.Exists is false for sockets: lstat says what is there.
                if (!fi.Exists && fi.LinkTarget is null && HostFileType.Of(host, followLinks: false) is HostFileKind.Missing or HostFileKind.Unknown) { ok = false; break; }
                Add(imagePath, fi);
                if (fi.LinkTarget is not null || fi is not DirectoryInfo) { ok = imagePath == w; break; }
            }
            var subtree = filter.Subtrees.Contains(w);
            if (!ok || (!subtree && !patternDirs.Contains(w))) continue;
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
                    // Below a pattern's directory only what the patterns keep, and the links (as a layer read keeps them).
                    if (subtree || c.LinkTarget is not null || filter.Covers(childImage)) Add(childImage, c);
                    if (c is DirectoryInfo && c.LinkTarget is null) stack.Push((c.FullName, childImage));
                }
            }
        }
    }
}
