using System.Text;
using System.Text.RegularExpressions;

namespace DnsTools.Core.Images;

/// <summary>
/// Wildcard paths inside an image ("/etc/*.conf", "/lib/ld-musl-*.so.1", "/usr/lib/*/libc.so.6"), as PowerShell's
/// -Path takes them: * and ? within one path segment, [abc] and [a-z] sets. A pattern is answered by listing the
/// directory before its first wildcard segment, matching every entry segment by segment, then reading the matches as
/// if they had been asked for by name (so they get content and link resolution).
/// </summary>
public static class ImagePathPattern
{
    private static readonly char[] WildcardChars = { '*', '?', '[' };

    public static bool HasWildcard(string path) => path.IndexOfAny(WildcardChars) >= 0;

    /// <summary>
    /// Reads <paramref name="paths"/> like <see cref="ImageFileReader.Read"/>; paths with wildcards stand for every entry
    /// they match (none is not an error, as with Get-ChildItem), each match once, in path order after the literal paths.
    /// </summary>
    public static IReadOnlyList<ImageFileInfo> Read(IImageSource source, IEnumerable<string> paths, bool recurse, ImageScanOptions? options = null,
        Action<ImageException>? pathError = null, CancellationToken cancellationToken = default)
    {
        var all = paths.ToList();
        var literal = all.Where(p => !HasWildcard(p)).ToList();
        var patterns = all.Where(HasWildcard).Select(p => new Pattern(ImageFileReader.NormalizeAsked(p))).ToList();
        if (patterns.Count == 0) return ImageFileReader.Read(source, literal, recurse, options, pathError, cancellationToken);

        // List the directory before each pattern's first wildcard segment. A listing names entries by their real
        // path (/lib -> usr/lib lists /usr/lib/...): match them by the path under the directory as it was asked.
        var matches = new List<string>();
        foreach (var group in patterns.GroupBy(p => p.Base, StringComparer.Ordinal))
        {
            var listing = ImageFileReader.Read(source, new[] { group.Key }, recurse: true, options,
                e => { if (e.Kind != ImageErrorKind.NotFound) pathError?.Invoke(e); }, cancellationToken);
            if (listing.Count == 0) continue;
            var root = listing[0].ResolvedPath ?? listing[0].Path;
            foreach (var f in listing.Skip(1))
            {
                if (!f.Path.StartsWith(root == "/" ? "/" : root + "/", StringComparison.Ordinal)) continue;
                var asked = (group.Key == "/" ? "" : group.Key) + f.Path[(root == "/" ? 0 : root.Length)..];
                if (group.Any(p => p.Matches(asked))) matches.Add(asked);
            }
        }
        matches = matches.Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal).ToList();
        var wanted = literal.Concat(matches.Where(m => !literal.Contains(m, StringComparer.Ordinal))).ToList();
        return wanted.Count == 0 ? Array.Empty<ImageFileInfo>() : ImageFileReader.Read(source, wanted, recurse, options, pathError, cancellationToken);
    }

    private sealed class Pattern
    {
        private readonly Regex[] _segments;

        public Pattern(string normalized)
        {
            var parts = normalized.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var first = Array.FindIndex(parts, p => p.IndexOfAny(WildcardChars) >= 0);
            Base = "/" + string.Join('/', parts.Take(first));
            _segments = parts.Select(ToRegex).ToArray();
        }

        /// <summary>The directory above the first wildcard segment.</summary>
        public string Base { get; }

        public bool Matches(string path)
        {
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != _segments.Length) return false;
            for (var i = 0; i < parts.Length; i++)
                if (!_segments[i].IsMatch(parts[i])) return false;
            return true;
        }

        /// <summary>One segment: * any run of characters, ? one character, [..] a set or range; the rest literally.</summary>
        private static Regex ToRegex(string segment)
        {
            var sb = new StringBuilder("^");
            for (var i = 0; i < segment.Length; i++)
            {
                var c = segment[i];
                switch (c)
                {
                    case '*': sb.Append(".*"); break;
                    case '?': sb.Append('.'); break;
                    case '[':
                        var close = segment.IndexOf(']', i + 1);
                        if (close < 0 || close == i + 1) { sb.Append(@"\["); break; }
                        var set = segment[(i + 1)..close];
                        sb.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]).Replace(@"\-", "-") : Regex.Escape(set).Replace(@"\-", "-")).Append(']');
                        i = close;
                        break;
                    default: sb.Append(Regex.Escape(c.ToString())); break;
                }
            }
            return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        }
    }
}
