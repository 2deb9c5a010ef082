using System.Text;
using DnsTools.Core.Images;
using DnsTools.Core.Inspection;

namespace DnsTools.Lint;

/// <summary>dnstools-lint: Test-ImageDns for shells and CI systems without PowerShell.</summary>
public static class Program
{
    public const int Pass = 0, Findings = 1, Usage = 2;

    private const string Help = """
        Usage: dnstools-lint [options] IMAGE...

        Checks container images for DNS resolver pitfalls (rules DNS-MUSL-001 ...; docs/rules/<id>.md).
        IMAGE: docker-archive:PATH, oci-dir:PATH[:TAG], oci-archive:PATH, dir:PATH, registry:HOST/REPO:TAG, ...

        Options:
          --fail-on none|info|warning|error   exit 1 when a finding (not ignored) has this severity or higher (default: error)
          --format table|json|sarif|junit     report format (default: table)
          -o, --output FILE                   write the report to FILE instead of standard output
          --exclude RULE-ID                   do not evaluate this rule (repeatable)
          --ignore-file FILE                  lines 'RULE-ID [yyyy-MM-dd] # reason': suppress until the date
          --platform OS/ARCH[/VARIANT]|all    pick a platform from a multi-platform index (default linux/amd64);
                                              all: check every platform the image offers
          --list-rules                        print the rule catalogue and exit
          -h, --help                          this text

        Exit codes: 0 no finding at the threshold; 1 findings at the threshold (the report lists every
        finding either way); 2 usage error, unreadable ignore file or an image that could not be read.
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error, Directory.GetCurrentDirectory());

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

    /// <summary>Refuses an output path that cannot be written before the scan, so a long scan is not wasted; null when it is fine.</summary>
    internal static string? CheckOutputPath(string path)
    {
        if (Directory.Exists(path)) return $"-o {path}: is a directory";
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir)) return $"-o {path}: the directory {dir} does not exist";
        return null;
    }

    private static int RunChecked(string[] args, TextWriter stdout, TextWriter stderr, string cwd)
    {
        var failOn = DnsRuleSeverity.Error;
        var format = DnsReportFormat.Table;
        string? output = null, ignoreFile = null, platform = null;
        var exclude = new List<string>();
        var images = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new UsageException($"{a} needs a value");
                return args[++i];
            }
            try
            {
                switch (a)
                {
                    case "-h" or "--help": stdout.WriteLine(Help); return Pass;
                    case "--list-rules":
                        foreach (var r in ImageDnsRules.All) stdout.WriteLine($"{r.Id}\t{r.Severity}\t{r.Title}\t{r.HelpUri}");
                        return Pass;
                    case "--fail-on": failOn = ParseEnum<DnsRuleSeverity>(Value(), a); break;
                    case "--format": format = ParseEnum<DnsReportFormat>(Value(), a); break;
                    case "-o" or "--output": output = Value(); break;
                    case "--exclude": exclude.Add(Value()); break;
                    case "--ignore-file": ignoreFile = Value(); break;
                    case "--platform": platform = Value(); break;
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
        if (images.Count == 0) { stderr.WriteLine("dnstools-lint: name at least one image (see --help)"); return Usage; }
        foreach (var id in exclude.Where(id => ImageDnsRules.Find(id) is null))
            stderr.WriteLine($"dnstools-lint: warning: --exclude {id}: no such rule");

        if (output is not null && CheckOutputPath(Path.Combine(cwd, output)) is { } bad)
        {
            stderr.WriteLine($"dnstools-lint: {bad}");
            return Usage;
        }

        IReadOnlyList<DnsIgnoreEntry> ignore = Array.Empty<DnsIgnoreEntry>();
        if (ignoreFile is not null)
        {
            try { ignore = DnsIgnoreFile.Parse(File.ReadAllText(Path.Combine(cwd, ignoreFile)), ignoreFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                stderr.WriteLine($"dnstools-lint: --ignore-file {ignoreFile}: {OneLine(e.Message)}");
                return Usage;
            }
        }

        ImageOpenOptions open;
        var allPlatforms = string.Equals(platform, "all", StringComparison.OrdinalIgnoreCase);
        try { open = new ImageOpenOptions { Platform = platform is null || allPlatforms ? null : ImagePlatform.Parse(platform) }; }
        catch (FormatException e) { stderr.WriteLine($"dnstools-lint: --platform: {e.Message}"); return Usage; }

        var findings = new List<ImageDnsFinding>();
        var unreadable = new List<ImageReportError>();
        foreach (var image in images)
        {
            try
            {
                var profiles = allPlatforms ? ImageDnsInspector.InspectEachPlatform(image, open, null, cwd) : new[] { ImageDnsInspector.Inspect(image, open, null, cwd) };
                foreach (var profile in profiles)
                {
                    var f = ImageDnsRules.Evaluate(profile, exclude);
                    foreach (var w in DnsIgnoreFile.Apply(f, ignore, DateOnly.FromDateTime(DateTime.UtcNow)))
                        stderr.WriteLine($"dnstools-lint: warning: {image}: {w}");
                    findings.AddRange(f);
                }
            }
            catch (Exception e) when (e is ImageException or IOException or UnauthorizedAccessException)
            {
                // Reported like an unreadable image: the report still covers the other images.
                stderr.WriteLine($"dnstools-lint: error: {image}: {OneLine(e.Message)}");
                unreadable.Add(new ImageReportError(image, e.Message));
            }
        }

        var version = typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var text = ImageDnsReport.Render(format, findings, images, failOn, version, unreadable);
        if (output is not null)
        {
            try { File.WriteAllText(Path.Combine(cwd, output), text, new UTF8Encoding(false)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"dnstools-lint: -o {output}: {OneLine(e.Message)}");
                return Usage;
            }
        }
        else stdout.Write(text);

        if (unreadable.Count > 0) return Usage;
        var failing = ImageDnsReport.Failing(findings, failOn);
        if (failing.Count == 0) return Pass;
        foreach (var g in failing.GroupBy(f => f.Image))
            stderr.WriteLine($"dnstools-lint: {g.Key}: {string.Join(", ", g.Select(f => f.RuleId).Distinct())} at or above {failOn}");
        return Findings;
    }

    private static T ParseEnum<T>(string value, string option) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var v) && Enum.IsDefined(v) ? v
            : throw new UsageException($"{option}: '{value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    private sealed class UsageException(string message) : Exception(message);
}
