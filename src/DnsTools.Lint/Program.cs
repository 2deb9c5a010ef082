using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Lint;

/// <summary>dnstools-lint: Test-ImageDns for shells and CI systems without PowerShell, with the option conventions of trivy, grype and hadolint.</summary>
public static class Program
{
    public const int Pass = 0, Findings = 1, Usage = 2;

    /// <summary>The ignore file read from the working directory when no --ignore-file is given (like .trivyignore).</summary>
    public const string DefaultIgnoreFile = ".dnsignore";

    private const string Help = """
        Usage: dnstools-lint [options] IMAGE...
               dnstools-lint version

        Checks container images for DNS resolver pitfalls (rules DNS-MUSL-001 ...; docs/rules/<id>.md).
        IMAGE: docker-archive:PATH, oci-dir:PATH[:TAG], oci-archive:PATH, dir:PATH, registry:HOST/REPO:TAG,
               docker:NAME, podman:NAME, or a name such as alpine:3.20: the local docker daemon when it holds
               it, else docker.io/library/alpine:3.20 through the registry mirror (daemon.json registry-mirrors
               or --registry-mirror) when one is configured, else docker.io itself (stderr says which).

        Options (--opt VALUE and --opt=VALUE are the same):
          --fail-on none|info|warning|error   exit 1 when a reported finding (not ignored) has this severity or higher (default: error)
          --severity SEV[,SEV...]             report only findings of these severities (info, warning, error; default: all)
          -f, --format table|json|sarif|junit report format (default: table)
          -o, --output FILE                   write the report to FILE instead of standard output
          -q, --quiet                         no notes or warnings on standard error (errors still go there)
          --exclude RULE-ID                   do not evaluate this rule (repeatable)
          --ignore-file FILE                  lines 'RULE-ID [yyyy-MM-dd] # reason': suppress until the date
                                              (default: .dnsignore in the working directory, when it exists)
          --no-ignore-file                    do not read .dnsignore
          --platform OS/ARCH[/VARIANT]|all    pick a platform from a multi-platform index (default linux/amd64);
                                              all: check every platform the image offers
          --registry-mirror URL               a docker.io mirror for short names (default: daemon.json's registry-mirrors)
          --daemon-config FILE                docker's daemon.json (default: /etc/docker/daemon.json)
          --username USER, --password PASS    registry credentials (default: docker login's config.json)
          --insecure                          allow plain HTTP to a registry that is not on loopback
          --max-decompressed-bytes N          stop reading an image after N decompressed bytes (default: 8 GiB)
          --max-content-bytes N               largest configuration or database file kept in memory (default: 16 MiB)
          --max-program-bytes N               largest program (entrypoint, shell) read for its analysis (default: 128 MiB)
          --max-entries N                     most file system entries held in memory (default: 500000)
          --max-path-length N                 longest entry name or link target in a layer (default: 4096)
          --max-compression-ratio N           most decompressed bytes per compressed byte of a layer (default: 2000)
          --max-layers N                      most layers a manifest may list (default: 500)
          --max-duplicate-layers N            most times a manifest may list one layer (default: 16)
          --list-rules                        print the rule catalogue and exit
          -v, --version                       print the version and exit
          -h, --help                          this text

        Exit codes: 0 no finding at the threshold; 1 findings at the threshold (the report lists every
        finding either way); 2 usage error, unreadable ignore file or an image that could not be read.
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Directory.GetCurrentDirectory());

    /// <summary>The tool version (the informational version without its source revision).</summary>
    public static string Version
    {
        get
        {
            var a = typeof(Program).Assembly;
            var v = a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString(3) ?? "0.0.0";
            var plus = v.IndexOf('+');
            return plus >= 0 ? v[..plus] : v;
        }
    }

    /// <summary>Runs the CLI; whatever goes wrong ends in exit 2 with one line on stderr, never an unhandled exception.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, string cwd)
    {
        try
        {
            return RunChecked(args, stdout, stderr, cwd);
        }
        catch (Exception e)
        {
            stderr.WriteLine($"dnstools-lint: error: {OneLine(e.Message)}");
            return Usage;
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// Core's messages name the cmdlets' parameters; the CLI user knows its own options. The map is here (not in Core)
    /// because only this front end has these spellings.
    /// </summary>
    private static readonly (Regex Pattern, string Option)[] CmdletParameters =
    {
        (new Regex(@"(?<![\w-])-Platform\b", RegexOptions.CultureInvariant), "--platform"),
        (new Regex(@"(?<![\w-])-AllowInsecureRegistry\b", RegexOptions.CultureInvariant), "--insecure"),
        (new Regex(@"(?<![\w-])-Credential\b", RegexOptions.CultureInvariant), "--username/--password"),
        (new Regex(@"(?<![\w-])-ExcludeRule\b", RegexOptions.CultureInvariant), "--exclude"),
        (new Regex(@"(?<![\w-])-IgnoreFile\b", RegexOptions.CultureInvariant), "--ignore-file"),
        (new Regex(@"(?<![\w-])-FailOn\b", RegexOptions.CultureInvariant), "--fail-on"),
        (new Regex(@"(?<![\w-])-MaxDecompressedBytes\b", RegexOptions.CultureInvariant), "--max-decompressed-bytes"),
        (new Regex(@"(?<![\w-])-MaxContentBytes\b", RegexOptions.CultureInvariant), "--max-content-bytes"),
        (new Regex(@"(?<![\w-])-MaxProgramBytes\b", RegexOptions.CultureInvariant), "--max-program-bytes"),
        (new Regex(@"(?<![\w-])-MaxEntries\b", RegexOptions.CultureInvariant), "--max-entries"),
        (new Regex(@"(?<![\w-])-MaxPathLength\b", RegexOptions.CultureInvariant), "--max-path-length"),
        (new Regex(@"(?<![\w-])-MaxCompressionRatio\b", RegexOptions.CultureInvariant), "--max-compression-ratio"),
        (new Regex(@"(?<![\w-])-MaxLayers\b", RegexOptions.CultureInvariant), "--max-layers"),
        (new Regex(@"(?<![\w-])-MaxDuplicateLayers\b", RegexOptions.CultureInvariant), "--max-duplicate-layers"),
    };

    /// <summary>A message for this CLI's user: one line, options in the CLI's own syntax.</summary>
    internal static string CliMessage(string message)
    {
        var m = OneLine(message);
        foreach (var (pattern, option) in CmdletParameters) m = pattern.Replace(m, option);
        return m;
    }

    /// <summary>Refuses an output path that cannot be written before the scan, so a long scan is not wasted; null when it is fine.</summary>
    internal static string? CheckOutputPath(string path)
    {
        if (Directory.Exists(path)) return $"--output {path}: is a directory";
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir)) return $"--output {path}: the directory {dir} does not exist";
        return null;
    }

    /// <summary>--opt=value split in two, so both spellings parse alike.</summary>
    private static List<string> SplitEquals(string[] args)
    {
        var list = new List<string>();
        foreach (var a in args)
        {
            var eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 2) { list.Add(a[..eq]); list.Add(a[(eq + 1)..]); }
            else list.Add(a);
        }
        return list;
    }

    private static int RunChecked(string[] rawArgs, TextWriter stdout, TextWriter stderr, string cwd)
    {
        var failOn = DnsRuleSeverity.Error;
        var format = DnsReportFormat.Table;
        string? output = null, ignoreFile = null, platform = null, daemonConfig = null, username = null, password = null;
        bool quiet = false, noIgnoreFile = false, insecure = false;
        var defaults = new ImageScanOptions();
        var defaultOpen = new ImageOpenOptions();
        long maxDecompressed = defaults.MaxDecompressedBytes, maxContent = defaults.MaxContentBytes, maxProgram = defaults.MaxProgramBytes;
        int maxEntries = defaults.MaxEntries, maxPath = defaults.MaxPathLength, maxRatio = defaults.MaxCompressionRatio, maxLayers = defaultOpen.MaxLayers, maxDuplicates = defaultOpen.MaxDuplicateLayers;
        HashSet<DnsRuleSeverity>? severities = null;
        var mirrors = new List<string>();
        var exclude = new List<string>();
        var images = new List<string>();
        var args = SplitEquals(rawArgs);
        if (args.Count == 1 && args[0] == "version") { stdout.WriteLine($"dnstools-lint {Version}"); return Pass; }
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string Value()
            {
                if (i + 1 >= args.Count) throw new UsageException($"{a} needs a value");
                return args[++i];
            }
            try
            {
                switch (a)
                {
                    case "-h" or "--help": stdout.WriteLine(Help); return Pass;
                    case "-v" or "--version": stdout.WriteLine($"dnstools-lint {Version}"); return Pass;
                    case "--list-rules":
                        foreach (var r in ImageDnsRules.All) stdout.WriteLine($"{r.Id}\t{r.Severity}\t{r.Title}\t{r.HelpUri}");
                        return Pass;
                    case "--fail-on": failOn = ParseEnum<DnsRuleSeverity>(Value(), a); break;
                    case "--severity":
                        severities ??= new HashSet<DnsRuleSeverity>();
                        foreach (var s in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            var sev = ParseEnum<DnsRuleSeverity>(s, a);
                            if (sev == DnsRuleSeverity.None) throw new UsageException($"{a}: 'none' is not a severity a finding has (info, warning, error)");
                            severities.Add(sev);
                        }
                        break;
                    case "-f" or "--format": format = ParseEnum<DnsReportFormat>(Value(), a); break;
                    case "-o" or "--output": output = Value(); break;
                    case "-q" or "--quiet": quiet = true; break;
                    case "--exclude": exclude.Add(Value()); break;
                    case "--ignore-file": ignoreFile = Value(); break;
                    case "--no-ignore-file": noIgnoreFile = true; break;
                    case "--platform": platform = Value(); break;
                    case "--registry-mirror": mirrors.Add(Value()); break;
                    case "--daemon-config": daemonConfig = Value(); break;
                    case "--username": username = Value(); break;
                    case "--password": password = Value(); break;
                    case "--insecure": insecure = true; break;
                    case "--max-decompressed-bytes": maxDecompressed = ParseCount(Value(), a, 1, long.MaxValue); break;
                    case "--max-content-bytes": maxContent = ParseCount(Value(), a, 0, int.MaxValue); break;
                    case "--max-program-bytes": maxProgram = ParseCount(Value(), a, 0, long.MaxValue); break;
                    case "--max-entries": maxEntries = (int)ParseCount(Value(), a, 1, int.MaxValue); break;
                    case "--max-path-length": maxPath = (int)ParseCount(Value(), a, 1, int.MaxValue); break;
                    case "--max-compression-ratio": maxRatio = (int)ParseCount(Value(), a, 1, int.MaxValue); break;
                    case "--max-layers": maxLayers = (int)ParseCount(Value(), a, 1, int.MaxValue); break;
                    case "--max-duplicate-layers": maxDuplicates = (int)ParseCount(Value(), a, 1, int.MaxValue); break;
                    default:
                        if (a.StartsWith('-') && a.Length > 1) throw new UsageException($"unknown option {a}");
                        images.Add(a);
                        break;
                }
            }
            catch (UsageException e)
            {
                stderr.WriteLine($"dnstools-lint: {e.Message} (see --help)");
                return Usage;
            }
        }
        void Note(string text) { if (!quiet) stderr.WriteLine($"dnstools-lint: {text}"); }

        if (images.Count == 0) { stderr.WriteLine("dnstools-lint: name at least one image (see --help)"); return Usage; }
        if ((username is null) != (password is null)) { stderr.WriteLine("dnstools-lint: --username and --password go together (see --help)"); return Usage; }
        if (ignoreFile is not null && noIgnoreFile) { stderr.WriteLine("dnstools-lint: --ignore-file and --no-ignore-file contradict each other (see --help)"); return Usage; }
        foreach (var id in exclude.Where(id => ImageDnsRules.Find(id) is null))
            Note($"warning: --exclude {id}: no such rule");

        if (output is not null && CheckOutputPath(Path.Combine(cwd, output)) is { } bad)
        {
            stderr.WriteLine($"dnstools-lint: {bad}");
            return Usage;
        }

        IReadOnlyList<DnsIgnoreEntry> ignore = Array.Empty<DnsIgnoreEntry>();
        var ignorePath = ignoreFile ?? (noIgnoreFile || !File.Exists(Path.Combine(cwd, DefaultIgnoreFile)) ? null : DefaultIgnoreFile);
        if (ignorePath is not null)
        {
            try { ignore = DnsIgnoreFile.Parse(File.ReadAllText(Path.Combine(cwd, ignorePath)), ignorePath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                stderr.WriteLine($"dnstools-lint: --ignore-file {ignorePath}: {OneLine(e.Message)}");
                return Usage;
            }
            if (ignoreFile is null) Note($"reading {DefaultIgnoreFile} ({ignore.Count} entries; --no-ignore-file to skip it)");
            foreach (var e in ignore.Where(e => ImageDnsRules.Find(e.RuleId) is null))
                Note($"warning: {ignorePath}:{e.LineNumber}: no such rule '{e.RuleId}'");
        }

        ImageOpenOptions open;
        var allPlatforms = string.Equals(platform, "all", StringComparison.OrdinalIgnoreCase);
        try
        {
            open = new ImageOpenOptions
            {
                Platform = platform is null || allPlatforms ? null : ImagePlatform.Parse(platform),
                Credentials = username is null ? null : (username, password!),
                AllowInsecureRegistry = insecure,
                MaxLayers = maxLayers,
                MaxDuplicateLayers = maxDuplicates,
            };
        }
        catch (FormatException e) { stderr.WriteLine($"dnstools-lint: --platform: {CliMessage(e.Message)}"); return Usage; }

        var scan = new ImageScanOptions
        {
            MaxDecompressedBytes = maxDecompressed, MaxContentBytes = maxContent, MaxProgramBytes = maxProgram, MaxEntries = maxEntries, MaxPathLength = maxPath,
            MaxCompressionRatio = maxRatio,
        };
        var findings = new List<ImageDnsFinding>();
        var unreadable = new List<ImageReportError>();
        var targets = new List<ImageReportTarget>();
        IReadOnlyList<string>? configuredMirrors = null;
        foreach (var image in images)
        {
            var reference = image;
            try
            {
                if (IsShortName(image, cwd))
                {
                    configuredMirrors ??= mirrors.Count > 0 ? mirrors : ShortImageName.MirrorsFromDaemonConfig(daemonConfig is null ? ShortImageName.DefaultDaemonConfig : Path.Combine(cwd, daemonConfig));
                    var resolved = ShortImageName.Resolve(image, configuredMirrors, open, TimeSpan.FromSeconds(2));
                    Note(resolved.Describe());
                    reference = resolved.Reference;
                }
                var profiles = allPlatforms ? ImageDnsInspector.InspectEachPlatform(reference, open, scan, cwd) : new[] { ImageDnsInspector.Inspect(reference, open, scan, cwd) };
                foreach (var profile in profiles)
                {
                    targets.Add(new ImageReportTarget(image, profile.Platform, profile.ManifestDigest));
                    var f = ImageDnsRules.Evaluate(profile, exclude);
                    if (severities is not null) f = f.Where(x => severities.Contains(x.Severity)).ToList();
                    foreach (var w in DnsIgnoreFile.Apply(f, ignore, DateOnly.FromDateTime(DateTime.UtcNow)))
                        Note($"warning: {image}: {w}");
                    findings.AddRange(f);
                }
            }
            catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
            {
                // Reported like an unreadable image: the report still covers the other images.
                var message = CliMessage(e.Message);
                stderr.WriteLine($"dnstools-lint: error: {image}{(reference == image ? "" : $" ({reference})")}: {message}");
                unreadable.Add(new ImageReportError(image, message));
            }
        }

        var text = ImageDnsReport.Render(format, findings, images, failOn, Version, unreadable, targets, "dnstools-lint");
        if (output is not null)
        {
            try { File.WriteAllText(Path.Combine(cwd, output), text, new UTF8Encoding(false)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"dnstools-lint: --output {output}: {OneLine(e.Message)}");
                return Usage;
            }
        }
        else stdout.Write(text);

        if (unreadable.Count > 0) return Usage;
        var failing = ImageDnsReport.Failing(findings, failOn);
        if (failing.Count == 0) return Pass;
        foreach (var g in failing.GroupBy(f => f.Image))
            stderr.WriteLine($"dnstools-lint: {g.Key}: {string.Join(", ", g.Select(f => f.RuleId).Distinct())} at or above {failOn.ToString().ToLowerInvariant()} (--fail-on)");
        return Findings;
    }

    /// <summary>A short docker name (alpine:3.20) rather than a transport reference or an existing path.</summary>
    private static bool IsShortName(string image, string cwd)
    {
        if (Regex.IsMatch(image, "^(docker-archive|oci-archive|oci-dir|oci|dir|registry|docker|podman):", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)) return false;
        var full = Path.GetFullPath(image, cwd);
        if (File.Exists(full) || Directory.Exists(full)) return false;
        return ShortImageName.IsShortName(image) && !image.EndsWith(".tar", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A whole number of bytes or items in [min, max], digits only (no sign, no unit).</summary>
    private static long ParseCount(string value, string option, long min, long max) =>
        value.Length is > 0 and <= 19 && value.All(char.IsAsciiDigit) && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
            : throw new UsageException($"{option}: '{value}' is not a whole number from {min} to {max}");

    private static T ParseEnum<T>(string value, string option) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(value, out _) ? v
            : throw new UsageException($"{option}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    private sealed class UsageException(string message) : Exception(message);
}
