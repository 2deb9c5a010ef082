using System.Text;
using DnsTools.Core.Images;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace DnsTools.Core.Inspection;

/// <summary>What the image's entrypoint binary brings for name resolution.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum EntrypointResolver
{
    /// <summary>Not determined (no config, a script, not found, not ELF).</summary>
    Unknown,
    /// <summary>Linked against musl (dynamically, or statically: <see cref="ImageEntrypointInfo.StaticLibc"/>): musl's getaddrinfo.</summary>
    Musl,
    /// <summary>Linked against glibc (dynamically, or statically: <see cref="ImageEntrypointInfo.StaticLibc"/>): glibc's getaddrinfo.</summary>
    Glibc,
    /// <summary>A Go binary without cgo (CGO_ENABLED=0 or the netgo tag): Go's own resolver, always.</summary>
    GoPure,
    /// <summary>A Go binary with cgo: Go's resolver by default, the C library's getaddrinfo when nsswitch.conf or resolv.conf asks for what Go cannot do.</summary>
    GoCgo,
    /// <summary>A static binary that is not Go and whose C library was not recognised: it brings its own resolver (or none).</summary>
    StaticOther,
    /// <summary>Linked against uClibc-ng (busybox:uclibc, buildroot): uClibc-ng's resolver, libc/inet/resolv.c.</summary>
    UClibcNg,
}

/// <summary>The image config's Entrypoint and Cmd, the binary they run, and what that binary resolves names with.</summary>
public sealed class ImageEntrypointInfo
{
    /// <summary>Entrypoint followed by Cmd, as the image config has them.</summary>
    public IReadOnlyList<string> Command { get; init; } = Array.Empty<string>();
    /// <summary>The program's path in the image (after PATH lookup), when found.</summary>
    public string? Path { get; init; }
    public ImageEvidence? Evidence { get; init; }
    public bool IsElf { get; init; }
    /// <summary>PT_INTERP: the dynamic loader the kernel starts; null for static binaries.</summary>
    public string? Interpreter { get; init; }
    /// <summary>DT_NEEDED libraries.</summary>
    public IReadOnlyList<string> Needed { get; init; } = Array.Empty<string>();
    public bool IsStatic => IsElf && Interpreter is null;
    /// <summary>Go toolchain version from the build info ("go1.22.4"), for Go binaries.</summary>
    public string? GoVersion { get; init; }
    /// <summary>CGO_ENABLED from the Go build settings (null when not recorded).</summary>
    public bool? GoCgoEnabled { get; init; }
    /// <summary>-tags from the Go build settings.</summary>
    public IReadOnlyList<string> GoTags { get; init; } = Array.Empty<string>();
    public EntrypointResolver Resolver { get; init; }
    /// <summary>Why the analysis stopped short, when it did.</summary>
    public string? Note { get; init; }
    /// <summary>The file the PT_INTERP path leads to in the image (after links), for glibc-linked programs.</summary>
    public string? Loader { get; init; }
    /// <summary>For a static non-Go binary: the C library linked into it, told from its strings, with what is known of the version.</summary>
    public StaticLibcInfo? StaticLibc { get; init; }
    /// <summary>Launchers, shells and entrypoint scripts followed on the way to <see cref="Path"/> (their paths in the image).</summary>
    public IReadOnlyList<string> Via { get; init; } = Array.Empty<string>();

    public override string ToString() =>
        $"{Path ?? string.Join(' ', Command)}{(Via.Count == 0 ? "" : $" (via {string.Join(", ", Via)})")}: {Resolver}{(GoVersion is null ? "" : " " + GoVersion)}";
}

/// <summary>Follows the image config's Entrypoint/Cmd to the program it runs and reads that binary: ELF PT_INTERP, DT_NEEDED, Go build info.</summary>
public static class ImageEntrypointAnalyzer
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static readonly byte[] GoMagic = Encoding.Latin1.GetBytes("\xff Go buildinf:");

    // Programs that only start the next argument: the resolver that matters is the one of the program they run.
    private static readonly HashSet<string> Launchers = new(StringComparer.Ordinal) { "tini", "tini-static", "dumb-init", "env", "su-exec", "gosu", "catatonit" };
    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "ash", "dash", "busybox" };
    private static readonly System.Text.RegularExpressions.Regex PlainWord = new(@"^[A-Za-z0-9_./+-]+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private static readonly System.Text.RegularExpressions.Regex Assignment = new(@"^[A-Za-z_][A-Za-z0-9_]*=", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private static readonly System.Text.RegularExpressions.Regex ExecArgs = new(@"(^|[\s;&|])exec\s+(""\$@""|\$@)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private const int MaxHops = 4;


    /// <summary>
    /// Finds and analyses the program the entrypoint runs; null when the image has no config (dir:). Follows launchers
    /// (tini, dumb-init, env, su-exec, gosu), <c>sh -c "exec PROGRAM ..."</c> where the program is a plain word, and an
    /// entrypoint script that ends in <c>exec "$@"</c> to the Cmd it is given, up to four hops.
    /// </summary>
    public static ImageEntrypointInfo? Analyze(IImageSource source, ImageScanOptions? options = null, CancellationToken cancellationToken = default) =>
        source.RunConfig is { } cfg ? Analyze(source, new ImageScan(source, new ImagePathPlan().Files(PlannedPrograms(cfg), (options ?? new ImageScanOptions()).MaxProgramBytes), options, cancellationToken)) : null;

    /// <summary>The same, reading from a scan of the image (whose plan should name <see cref="PlannedPrograms"/>).</summary>
    internal static ImageEntrypointInfo? Analyze(IImageSource source, ImageScan scan)
    {
        if (source.RunConfig is not { } cfg) return null;
        var command = cfg.Command;
        if (command.Count == 0) return new ImageEntrypointInfo { Note = "the image config names no Entrypoint or Cmd" };
        var path = SearchPath(cfg);
        var programMax = scan.Options.MaxProgramBytes;
        var via = new List<string>();
        IReadOnlyList<string> args = command;
        for (var hop = 0; ; hop++)
        {
            var program = args[0];
            var found = Find(scan, program, path, cfg.WorkingDir, programMax);
            if (found is null) return new ImageEntrypointInfo { Command = command, Via = via, Note = $"'{program}' is not in the image" };
            var bytes = found.ContentBytes; // not GetContentBytes(): its copy would double a program of up to MaxProgramBytes in memory
            if (bytes is null)
                return new ImageEntrypointInfo
                {
                    Command = command, Via = via, Path = found.Path, Evidence = ImageEvidence.From(found),
                    Note = found.Size > Math.Max(programMax, scan.Options.MaxContentBytes) ? $"the program ({found.Size} bytes) is larger than the {Math.Max(programMax, scan.Options.MaxContentBytes)} bytes read of a program (MaxProgramBytes), and was not analysed" : "the program could not be read",
                };
            var name = program[(program.LastIndexOf('/') + 1)..];
            var next = hop < MaxHops ? NextProgram(name, args, bytes) : null;
            if (next is { Count: > 0 })
            {
                via.Add(found.Path);
                args = next;
                continue;
            }
            var info = AnalyzeBinary(bytes, command, found.Path, ImageEvidence.From(found));
            var (resolver, loader, note) = (info.Resolver, (string?)null, info.Note);
            if (info.Interpreter is { } interp && info.Resolver is EntrypointResolver.Glibc)
                (resolver, loader, note) = CheckGlibcLoader(scan, interp, programMax);
            return new ImageEntrypointInfo
            {
                Command = info.Command, Via = via, Path = info.Path, Evidence = info.Evidence, IsElf = info.IsElf, Interpreter = info.Interpreter,
                Needed = info.Needed, GoVersion = info.GoVersion, GoCgoEnabled = info.GoCgoEnabled, GoTags = info.GoTags, Resolver = resolver, Note = note,
                Loader = loader, StaticLibc = info.StaticLibc,
            };
        }
    }

    private static string SearchPath(ImageRunConfig cfg) => cfg.Env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;

    // What NextProgram sees of a script that ends in exec "$@": used to foresee the hop before the script is read.
    private static readonly byte[] ExecArgsScript = Encoding.ASCII.GetBytes("#!/bin/sh\nexec \"$@\"\n");

    /// <summary>
    /// Every path the entrypoint may lead to, known from the image config alone: the candidates for the program, and for
    /// each hop a launcher, a <c>sh -c</c> or an entrypoint script could take (a script is assumed to exec its arguments;
    /// when it does not, the extra candidates are simply not used). The scan keeps them all in its one read.
    /// </summary>
    internal static IReadOnlyList<string> PlannedPrograms(ImageRunConfig cfg)
    {
        var path = SearchPath(cfg);
        var planned = new List<string>();
        IReadOnlyList<string> args = cfg.Command;
        for (var hop = 0; hop <= MaxHops && args.Count > 0; hop++)
        {
            planned.AddRange(Candidates(args[0], path, cfg.WorkingDir));
            var name = args[0][(args[0].LastIndexOf('/') + 1)..];
            if (NextProgram(name, args, ExecArgsScript) is not { Count: > 0 } next) break;
            args = next;
        }
        return planned.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// A glibc-linked program starts through the loader its PT_INTERP names, and that file decides which libc it gets.
    /// On Alpine, libc6-compat makes ld-linux-x86-64.so.2 a link to musl's loader and gcompat installs a small musl
    /// program under that name that loads libgcompat over musl: either way getaddrinfo is musl's. alpine-pkg-glibc puts
    /// a real glibc under /usr/glibc-compat. A loader missing from the image means the program cannot start at all.
    /// </summary>
    private static (EntrypointResolver Resolver, string? Loader, string? Note) CheckGlibcLoader(ImageScan scan, string interp, long programMax)
    {
        var file = scan.Read(interp, programMax);
        if (file is null || file.IsDangling)
            return (EntrypointResolver.Glibc, null, $"its loader {interp} is not in the image: the program cannot start here");
        var resolved = file.ResolvedPath ?? file.Path;
        var name = resolved[(resolved.LastIndexOf('/') + 1)..];
        if (name.StartsWith("ld-musl-", StringComparison.Ordinal) || name.StartsWith("libc.musl-", StringComparison.Ordinal))
            return (EntrypointResolver.Musl, resolved, $"{interp} is musl's loader ({resolved}, as libc6-compat links it): the glibc program resolves names with musl");
        if (resolved.StartsWith("/usr/glibc-compat/", StringComparison.Ordinal))
            return (EntrypointResolver.Glibc, resolved, $"{interp} is the glibc of alpine-pkg-glibc ({resolved})");
        if (file.ContentBytes is { } bytes && AnalyzeBinary(bytes, Array.Empty<string>(), resolved, null) is { Interpreter: { } own } && own.Contains("ld-musl", StringComparison.Ordinal))
            return (EntrypointResolver.Musl, resolved, $"{interp} is a musl program ({own}), as gcompat's loader is: the glibc program resolves names with musl");
        return (EntrypointResolver.Glibc, resolved, null);
    }

    /// <summary>The program's path in the image: as written when it has a slash (relative to WorkingDir), else the first PATH entry that has it.</summary>
    private static ImageFileInfo? Find(ImageScan scan, string program, string path, string? workingDir, long programMax)
    {
        var candidates = Candidates(program, path, workingDir);
        return scan.Read(candidates, programMax)
            .Where(f => f.Type is ImageFileType.File or ImageFileType.HardLink or ImageFileType.SymbolicLink && !f.IsDangling)
            .OrderBy(f => candidates.IndexOf(f.Path)).FirstOrDefault();
    }

    private static List<string> Candidates(string program, string path, string? workingDir)
    {
        var candidates = new List<string>();
        if (program.StartsWith('/')) candidates.Add(program);
        else if (program.Contains('/')) candidates.Add((workingDir ?? "/").TrimEnd('/') + "/" + program.TrimStart('.', '/'));
        else candidates.AddRange(path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => d.TrimEnd('/') + "/" + program));
        return candidates;
    }

    /// <summary>The command line a launcher, shell or entrypoint script goes on to run; null when it is the program itself (or cannot be followed).</summary>
    internal static IReadOnlyList<string>? NextProgram(string name, IReadOnlyList<string> args, byte[] bytes)
    {
        if (Launchers.Contains(name))
        {
            // tini/dumb-init/su-exec/gosu options, env's NAME=VALUE words; "--" ends the options.
            var i = 1;
            if (name is "su-exec" or "gosu") i = 2; // USER comes first
            while (i < args.Count && (args[i].StartsWith('-') || (name == "env" && Assignment.IsMatch(args[i]))))
                if (args[i++] == "--") break;
            return i < args.Count ? args.Skip(i).ToList() : null;
        }
        if (Shells.Contains(name) && args.Count >= 3 && args[1] == "-c") return ShellCommand(args[2]);
        var isScript = bytes.Length > 2 && bytes[0] == '#' && bytes[1] == '!';
        // docker-entrypoint.sh style: set things up, then exec "$@" (its arguments: usually the image's Cmd).
        if (isScript && args.Count > 1 && ExecArgs.IsMatch(Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64 << 10))))
            return args.Skip(1).ToList();
        return null;
    }

    /// <summary>The program of <c>sh -c SCRIPT</c> when the script is one simple command ("exec /app/server --flag", "VAR=1 server").</summary>
    internal static IReadOnlyList<string>? ShellCommand(string script)
    {
        if (script.IndexOfAny(new[] { ';', '&', '|', '`', '$', '(', ')', '<', '>', '\n', '"', '\'' }) >= 0) return null;
        var words = script.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).ToList();
        while (words.Count > 0 && (words[0] == "exec" || Assignment.IsMatch(words[0]))) words.RemoveAt(0);
        return words.Count > 0 && PlainWord.IsMatch(words[0]) ? words : null;
    }

    internal static ImageEntrypointInfo AnalyzeBinary(byte[] bytes, IReadOnlyList<string> command, string? path, ImageEvidence? evidence)
    {
        if (bytes.Length < 4 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
        {
            var note = bytes.Length > 2 && bytes[0] == '#' && bytes[1] == '!' ? "a script: " + Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 80)).Split('\n')[0] : "not an ELF binary";
            return new ImageEntrypointInfo { Command = command, Path = path, Evidence = evidence, Note = note };
        }
        string? interp;
        var needed = new List<string>();
        var loads = new List<(ulong Address, long Offset, long Size)>();
        if (ElfTableProblem(bytes) is { } problem)
            return new ImageEntrypointInfo { Command = command, Path = path, Evidence = evidence, IsElf = true, Note = $"a damaged ELF file: {problem}" };
        try
        {
            if (!ReadElf(bytes, out interp, needed, loads))
                return new ImageEntrypointInfo { Command = command, Path = path, Evidence = evidence, Note = "an ELF header ELFSharp cannot read" };
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidOperationException or IndexOutOfRangeException or ArgumentException or IOException
                                      or OverflowException or NotSupportedException or FormatException or NullReferenceException or KeyNotFoundException or InvalidCastException)
        {
            // ELFSharp throws on damaged headers, section and segment tables instead of returning false from TryLoad:
            // one boundary for all of them (issue 15), so a damaged program is reported, never a crash.
            return new ImageEntrypointInfo { Command = command, Path = path, Evidence = evidence, IsElf = true, Note = $"a damaged ELF file: {e.GetType().Name} reading its headers ({FirstLine(e.Message)})" };
        }
        return Classify(bytes, command, path, evidence, interp, needed, loads);
    }

    /// <summary>
    /// The program and section header tables must lie inside the file with the entry sizes the ELF class defines
    /// (gABI: Elf64_Phdr 56 and Elf64_Shdr 64 bytes, Elf32 32 and 40). ELFSharp does not check this and, with a zero
    /// entry size and extended section numbering, reads the same header for ever (afl++ found it: issue 15).
    /// </summary>
    internal static string? ElfTableProblem(byte[] bytes)
    {
        if (bytes.Length < 0x34 || bytes[4] is not (1 or 2) || bytes[5] is not (1 or 2)) return null; // TryLoad refuses these itself
        var is64 = bytes[4] == 2;
        var bigEndian = bytes[5] == 2;
        if (is64 && bytes.Length < 0x40) return "the ELF header is cut short";
        ulong Read(int offset, int size)
        {
            ulong v = 0;
            for (var i = 0; i < size; i++)
                v |= (ulong)bytes[offset + (bigEndian ? size - 1 - i : i)] << (8 * i);
            return v;
        }
        var (phoff, shoff) = is64 ? (Read(0x20, 8), Read(0x28, 8)) : (Read(0x1C, 4), Read(0x20, 4));
        var at = is64 ? 0x36 : 0x2A;
        var (phentsize, phnum, shentsize, shnum) = (Read(at, 2), Read(at + 2, 2), Read(at + 4, 2), Read(at + 6, 2));
        var length = (ulong)bytes.Length;
        bool Inside(ulong offset, ulong count, ulong size) => offset <= length && count <= (length - offset) / Math.Max(size, 1);
        // Even with no entries: ELFSharp seeks to e_phoff and, past the end of a small file, never returns (afl++ found it).
        if (phoff > length)
            return $"its program header table offset ({phoff}) is past the end of the file ({length} bytes)";
        if (phnum > 0 && (phentsize != (is64 ? 56UL : 32UL) || !Inside(phoff, phnum, phentsize)))
            return $"its program header table ({phnum} entries of {phentsize} bytes at {phoff}) does not fit the file";
        if (shoff == 0) return null;
        var shdrSize = is64 ? 64UL : 40UL;
        if (shentsize != shdrSize || !Inside(shoff, 1, shdrSize))
            return $"its section header table ({shnum} entries of {shentsize} bytes at {shoff}) does not fit the file";
        // e_shnum 0 with a table: the count is section 0's sh_size (extended numbering).
        var count = shnum != 0 ? shnum : Read((int)shoff + (is64 ? 0x20 : 0x14), is64 ? 8 : 4);
        return Inside(shoff, count, shdrSize) ? null : $"its section header table ({count} entries at {shoff}) does not fit the file";
    }

    private static string FirstLine(string s) { var l = s.Split('\n')[0]; return l.Length > 120 ? l[..120] : l; }

    /// <summary>PT_INTERP, DT_NEEDED and the PT_LOAD map; false when ELFSharp does not take the header. May throw on a damaged file.</summary>
    private static bool ReadElf(byte[] bytes, out string? interp, List<string> needed, List<(ulong Address, long Offset, long Size)> loads)
    {
        interp = null;
        using (var ms = new MemoryStream(bytes, writable: false))
        {
            if (!ELFReader.TryLoad(ms, false, out IELF elf)) return false;
            using (elf)
            {
                var seg = elf.Segments.FirstOrDefault(s => s.Type == SegmentType.Interpreter);
                // PT_LOAD segments map virtual addresses to file offsets: Go before 1.18 stores pointers in its build info.
                loads.AddRange(elf switch
                {
                    ELF<ulong> e64 => e64.Segments.Where(s => s.Type == SegmentType.Load).Select(s => (s.Address, s.Offset, s.FileSize)),
                    ELF<uint> e32 => e32.Segments.Where(s => s.Type == SegmentType.Load).Select(s => ((ulong)s.Address, s.Offset, s.FileSize)),
                    _ => Enumerable.Empty<(ulong, long, long)>(),
                });
                if (seg is not null) interp = Encoding.ASCII.GetString(seg.GetFileContents()).TrimEnd('\0');
                IStringTable? dynstr = elf.TryGetSection(".dynstr", out var s) ? s as IStringTable : null;
                if (dynstr is not null)
                {
                    IEnumerable<(DynamicTag Tag, ulong Value)> entries = elf switch
                    {
                        ELF<ulong> e64 => e64.GetSections<DynamicSection<ulong>>().SelectMany(d => d.Entries).OfType<DynamicEntry<ulong>>().Select(x => (x.Tag, x.Value)),
                        ELF<uint> e32 => e32.GetSections<DynamicSection<uint>>().SelectMany(d => d.Entries).OfType<DynamicEntry<uint>>().Select(x => (x.Tag, (ulong)x.Value)),
                        _ => Array.Empty<(DynamicTag, ulong)>(),
                    };
                    foreach (var (tag, value) in entries)
                        if (tag == DynamicTag.Needed) needed.Add(dynstr[(long)value]);
                }
            }
        }
        return true;
    }

    private static ImageEntrypointInfo Classify(byte[] bytes, IReadOnlyList<string> command, string? path, ImageEvidence? evidence, string? interp, List<string> needed, List<(ulong Address, long Offset, long Size)> loads)
    {
        var (goVersion, cgo, tags) = ReadGoBuildInfo(bytes, va =>
        {
            foreach (var (address, offset, size) in loads)
                if (va >= address && va - address < (ulong)size) return offset + (long)(va - address);
            return null;
        });
        EntrypointResolver resolver;
        StaticLibcInfo? staticLibc = null;
        string? note = null;
        if (goVersion is not null)
            resolver = cgo == false || tags.Contains("netgo") || interp is null ? EntrypointResolver.GoPure : EntrypointResolver.GoCgo;
        else if (interp is null)
        {
            staticLibc = StaticLibcDetector.Detect(bytes);
            resolver = staticLibc?.Family switch
            {
                LibcFamily.Musl => EntrypointResolver.Musl,
                LibcFamily.Glibc => EntrypointResolver.Glibc,
                LibcFamily.UClibcNg => EntrypointResolver.UClibcNg,
                _ => EntrypointResolver.StaticOther,
            };
            note = staticLibc is null ? "a static program in which no known C library (musl, glibc, uClibc-ng) was found"
                : $"statically linked with {ImageLibcInfo.FamilyName(staticLibc.Family)} (marker \"{staticLibc.Marker}\"); {staticLibc.VersionNote}"
                  + (staticLibc.HasResolver ? "" : "; no '/etc/resolv.conf' string: its C library's resolver is not linked in");
        }
        else if (interp.Contains("ld-musl", StringComparison.Ordinal) || needed.Any(n => n.StartsWith("libc.musl", StringComparison.Ordinal))) resolver = EntrypointResolver.Musl;
        else if (interp.Contains("ld-linux", StringComparison.Ordinal) || needed.Contains("libc.so.6")) resolver = EntrypointResolver.Glibc;
        else resolver = EntrypointResolver.Unknown;
        return new ImageEntrypointInfo
        {
            Command = command, Path = path, Evidence = evidence, IsElf = true, Interpreter = interp, Needed = needed,
            GoVersion = goVersion, GoCgoEnabled = cgo, GoTags = tags, Resolver = resolver, StaticLibc = staticLibc, Note = note,
        };
    }

    /// <summary>
    /// Go build info (Go's src/debug/buildinfo/buildinfo.go, readRawBuildInfo): a 32-byte header starting
    /// "\xff Go buildinf:" on a 16-byte boundary, with the pointer size (byte 14) and a flags byte (15: bit 0 big-endian,
    /// bit 1 strings inline). Go 1.18+: the Go version and the module info follow as varint-length strings; the module
    /// info's "build" lines carry CGO_ENABLED and -tags. Go 1.13–1.17: bytes 16 and 16+ptrSize hold the addresses of
    /// two Go string headers (runtime.buildVersion, runtime.modinfo), resolved through <paramref name="fileOffsetOf"/>
    /// (PT_LOAD segments); those versions record no build settings, so CGO_ENABLED stays unknown.
    /// </summary>
    internal static (string? Version, bool? Cgo, IReadOnlyList<string> Tags) ReadGoBuildInfo(byte[] data, Func<ulong, long?>? fileOffsetOf = null)
    {
        var span = data.AsSpan();
        var at = 0;
        while (true)
        {
            var i = span[at..].IndexOf(GoMagic);
            if (i < 0) return (null, null, Array.Empty<string>());
            at += i;
            if (at % 16 == 0) break;
            at++;
        }
        if (at + 32 > data.Length) return (null, null, Array.Empty<string>());
        var flags = data[at + 15];
        if ((flags & 2) == 0)
            return (ReadPointerVersion(data, at, flags, fileOffsetOf) ?? "go (before 1.18)", null, Array.Empty<string>());
        var pos = at + 32;
        string? ReadString()
        {
            ulong len = 0; var shift = 0;
            while (pos < data.Length)
            {
                var b = data[pos++];
                len |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) break;
                shift += 7;
                if (shift > 63) return null;
            }
            if (len > (ulong)(data.Length - pos)) return null;
            var s = Encoding.UTF8.GetString(data, pos, (int)len);
            pos += (int)len;
            return s;
        }
        var version = ReadString();
        var mod = ReadString() ?? "";
        bool? cgo = null;
        var tags = new List<string>();
        foreach (var line in mod.Split('\n'))
        {
            if (!line.StartsWith("build\t", StringComparison.Ordinal)) continue;
            var kv = line[6..];
            if (kv.StartsWith("CGO_ENABLED=", StringComparison.Ordinal)) cgo = kv[12..].Trim() == "1";
            else if (kv.StartsWith("-tags=", StringComparison.Ordinal)) tags.AddRange(kv[6..].Trim('"').Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        return (version, cgo, tags);
    }

    /// <summary>Go 1.13–1.17 build info: follows the pointer at header+16 to runtime.buildVersion's string header {data, len}.</summary>
    private static string? ReadPointerVersion(byte[] data, int header, byte flags, Func<ulong, long?>? fileOffsetOf)
    {
        var ptrSize = data[header + 14];
        if (fileOffsetOf is null || ptrSize is not (4 or 8)) return null;
        var bigEndian = (flags & 1) != 0;
        ulong ReadPtr(long offset) =>
            ptrSize == 8
                ? (bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan((int)offset)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)offset)))
                : (bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)offset)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)offset)));
        bool Fits(long? offset, long length) => offset is >= 0 && offset.Value + length <= data.Length;

        var headerAt = fileOffsetOf(ReadPtr(header + 16));
        if (!Fits(headerAt, 2L * ptrSize)) return null;
        var textAt = fileOffsetOf(ReadPtr(headerAt!.Value));
        var length = ReadPtr(headerAt.Value + ptrSize);
        if (length is 0 or > 64 || !Fits(textAt, (long)length)) return null;
        var version = Encoding.UTF8.GetString(data, (int)textAt!.Value, (int)length);
        return version.StartsWith("go", StringComparison.Ordinal) ? version : null;
    }
}
