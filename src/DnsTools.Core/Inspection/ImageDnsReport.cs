using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace DnsTools.Core.Inspection;

/// <summary>Report formats for Test-ImageDns (and any other front end).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum DnsReportFormat { Table, Json, Sarif, JUnit }

/// <summary>One entry of an ignore file: "RULE-ID [YYYY-MM-DD] [# reason]".</summary>
public sealed record DnsIgnoreEntry(string RuleId, DateOnly? Expires, string? Reason, int LineNumber)
{
    public bool IsExpired(DateOnly today) => Expires is { } e && e < today;
}

/// <summary>Reads ignore files: one rule id per line, an optional expiry date, "# reason"; blank and '#' lines are skipped.</summary>
public static class DnsIgnoreFile
{
    public static IReadOnlyList<DnsIgnoreEntry> Parse(string text, string source = "ignore file")
    {
        var list = new List<DnsIgnoreEntry>();
        var n = 0;
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            n++;
            var line = raw;
            string? reason = null;
            var hash = line.IndexOf('#');
            if (hash >= 0) { reason = line[(hash + 1)..].Trim(); line = line[..hash]; if (reason.Length == 0) reason = null; }
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            DateOnly? expires = null;
            if (fields.Length > 1)
            {
                if (!DateOnly.TryParseExact(fields[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                    throw new FormatException($"{source}:{n}: '{fields[1]}' is not an expiry date (yyyy-MM-dd).");
                expires = d;
            }
            if (fields.Length > 2) throw new FormatException($"{source}:{n}: expected 'RULE-ID [yyyy-MM-dd] [# reason]', found '{raw.Trim()}'.");
            list.Add(new DnsIgnoreEntry(fields[0].ToUpperInvariant(), expires, reason, n));
        }
        return list;
    }

    /// <summary>Marks findings covered by a live entry as suppressed; returns one warning per expired entry that would have matched.</summary>
    public static IReadOnlyList<string> Apply(IEnumerable<ImageDnsFinding> findings, IReadOnlyList<DnsIgnoreEntry> entries, DateOnly today)
    {
        var warnings = new List<string>();
        var warned = new HashSet<DnsIgnoreEntry>();
        foreach (var f in findings)
        {
            foreach (var e in entries.Where(e => string.Equals(e.RuleId, f.RuleId, StringComparison.OrdinalIgnoreCase)))
            {
                if (e.IsExpired(today))
                {
                    if (warned.Add(e)) warnings.Add($"The ignore entry for {e.RuleId} (line {e.LineNumber}) expired on {e.Expires:yyyy-MM-dd} and no longer applies{(e.Reason is null ? "" : $" (reason was: {e.Reason})")}.");
                    continue;
                }
                f.Suppressed = true;
                f.SuppressionReason = e.Reason ?? "ignored";
                break;
            }
        }
        return warnings;
    }
}

/// <summary>An image the report covers but that could not be inspected (so it has no findings): it must not look clean.</summary>
public sealed record ImageReportError(string Image, string Message);

/// <summary>Writes findings as JSON, SARIF 2.1.0 or JUnit XML. The report always holds every finding; the gate only decides the exit.</summary>
public static class ImageDnsReport
{
    /// <summary>Findings at or above <paramref name="threshold"/> that are not suppressed.</summary>
    public static IReadOnlyList<ImageDnsFinding> Failing(IEnumerable<ImageDnsFinding> findings, DnsRuleSeverity threshold) =>
        threshold == DnsRuleSeverity.None ? Array.Empty<ImageDnsFinding>() : findings.Where(f => !f.Suppressed && f.Severity >= threshold).ToList();

    public static string Render(DnsReportFormat format, IReadOnlyList<ImageDnsFinding> findings, IReadOnlyList<string> images, DnsRuleSeverity threshold,
        string toolVersion = "0.0.0", IReadOnlyList<ImageReportError>? errors = null, IReadOnlyList<ImageReportTarget>? targets = null, string toolName = "DnsTools")
    {
        errors ??= Array.Empty<ImageReportError>();
        return format switch
        {
            DnsReportFormat.Json => ToJson(findings, images, errors, targets, toolName, toolVersion),
            DnsReportFormat.Sarif => ToSarif(findings, toolVersion, errors),
            DnsReportFormat.JUnit => ToJUnit(findings, images, threshold, errors),
            _ => ToTable(findings, errors, images.Count),
        };
    }

    /// <summary>One tab-separated line per finding and per image not inspected, then a count line ("0 findings in 2 images") so a clean run says so.</summary>
    public static string ToTable(IReadOnlyList<ImageDnsFinding> findings, IReadOnlyList<ImageReportError>? errors = null, int? imageCount = null)
    {
        var sb = new StringBuilder();
        foreach (var f in findings)
            sb.Append(f.Image).Append('\t').Append(f.RuleId).Append('\t').Append(f.Severity).Append(f.Suppressed ? " (suppressed)" : "").Append('\t').Append(f.Message).Append('\n');
        foreach (var e in errors ?? Array.Empty<ImageReportError>())
            sb.Append(e.Image).Append("\t-\tNotInspected\t").Append(e.Message).Append('\n');
        if (imageCount is { } n)
        {
            var suppressed = findings.Count(f => f.Suppressed);
            var notInspected = errors?.Count ?? 0;
            sb.Append(findings.Count).Append(findings.Count == 1 ? " finding" : " findings").Append(" in ").Append(n).Append(n == 1 ? " image" : " images");
            if (suppressed > 0) sb.Append(", ").Append(suppressed).Append(" suppressed");
            if (notInspected > 0) sb.Append(", ").Append(notInspected).Append(" not inspected");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The JSON report (docs/schema/dnstools-report.schema.json): schema version, tool, timestamp, each image with its
    /// platform and manifest digest, every finding, and the images that could not be read.
    /// </summary>
    public static string ToJson(IReadOnlyList<ImageDnsFinding> findings, IReadOnlyList<string> images, IReadOnlyList<ImageReportError>? errors = null,
        IReadOnlyList<ImageReportTarget>? targets = null, string toolName = "DnsTools", string toolVersion = "0.0.0", DateTimeOffset? timestamp = null)
    {
        errors ??= Array.Empty<ImageReportError>();
        targets ??= Array.Empty<ImageReportTarget>();
        var reportImages = new List<ImageDnsJsonReport.ReportImage>();
        foreach (var image in images.Distinct(StringComparer.Ordinal))
        {
            var read = targets.Where(t => t.Image == image).ToList();
            if (read.Count == 0) reportImages.Add(new(image, !errors.Any(e => e.Image == image) && findings.Any(f => f.Image == image), null, null));
            else reportImages.AddRange(read.Select(t => new ImageDnsJsonReport.ReportImage(image, true, t.Platform, t.ManifestDigest)));
        }
        var report = new ImageDnsJsonReport
        {
            Tool = new(toolName, toolVersion),
            Timestamp = (timestamp ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            Images = reportImages,
            Findings = findings.ToList(),
            Errors = errors.Select(e => new ImageDnsJsonReport.ReportError(e.Image, e.Message)).ToList(),
        };
        return Json.DnsJson.Serialize(report);
    }

    private static string Fingerprint(ImageDnsFinding f) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{f.Image}\n{f.Platform}\n{f.RuleId}\n{f.Path}"))).ToLowerInvariant()[..32];

    private static string Level(DnsRuleSeverity s) => s switch { DnsRuleSeverity.Error => "error", DnsRuleSeverity.Warning => "warning", _ => "note" };

    public static string ToSarif(IReadOnlyList<ImageDnsFinding> findings, string toolVersion, IReadOnlyList<ImageReportError>? errors = null)
    {
        errors ??= Array.Empty<ImageReportError>();
        var rules = new JsonArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in ImageDnsRules.All)
        {
            index[r.Id] = rules.Count;
            rules.Add((JsonNode)new JsonObject
            {
                ["id"] = r.Id,
                ["name"] = r.Id.Replace("-", ""),
                ["shortDescription"] = new JsonObject { ["text"] = r.Title },
                ["fullDescription"] = new JsonObject { ["text"] = r.Description },
                ["help"] = new JsonObject { ["text"] = r.Remediation },
                ["helpUri"] = r.HelpUri,
                ["defaultConfiguration"] = new JsonObject { ["level"] = Level(r.Severity) },
            });
        }
        var results = new JsonArray();
        foreach (var f in findings)
        {
            var result = new JsonObject
            {
                ["ruleId"] = f.RuleId,
                ["ruleIndex"] = index.TryGetValue(f.RuleId, out var i) ? i : -1,
                ["level"] = Level(f.Severity),
                ["message"] = new JsonObject { ["text"] = f.Message },
                ["locations"] = new JsonArray(new JsonObject
                {
                    // GitHub code scanning places a result only with region.startLine; a finding is about a whole file of the image.
                    ["physicalLocation"] = new JsonObject
                    {
                        ["artifactLocation"] = new JsonObject { ["uri"] = Uri.EscapeDataString(f.Image) + (f.Path ?? "/") },
                        ["region"] = new JsonObject { ["startLine"] = 1 },
                    },
                    ["logicalLocations"] = new JsonArray(new JsonObject { ["name"] = f.Path ?? "/", ["fullyQualifiedName"] = $"{f.Image}:{f.Path ?? "/"}", ["kind"] = "resource" }),
                }),
                // The artifact is inside an image, not a file of the repository: a fingerprint of our own keeps
                // GitHub from computing one from a file it cannot find, and keeps the alert the same across runs.
                ["partialFingerprints"] = new JsonObject { ["dnsToolsFinding/v1"] = Fingerprint(f) },
                ["properties"] = new JsonObject
                {
                    ["image"] = f.Image,
                    ["platform"] = f.Platform,
                    ["layer"] = f.Layer,
                    ["layerIndex"] = f.LayerIndex,
                    ["version"] = f.Version,
                },
            };
            if (f.Suppressed)
                result["suppressions"] = new JsonArray(new JsonObject { ["kind"] = "external", ["justification"] = f.SuppressionReason ?? "ignored" });
            results.Add((JsonNode)result);
        }
        var root = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "DnsTools",
                        ["version"] = toolVersion,
                        ["informationUri"] = "https://github.com/dnstools/DnsTools",
                        ["rules"] = rules,
                    },
                },
                // SARIF 3.20: an invocation that did not finish its work says so, with one notification per image not inspected.
                ["invocations"] = new JsonArray(new JsonObject
                {
                    ["executionSuccessful"] = errors.Count == 0,
                    ["toolExecutionNotifications"] = new JsonArray(errors.Select(e => (JsonNode?)new JsonObject
                    {
                        ["level"] = "error",
                        ["message"] = new JsonObject { ["text"] = e.Message },
                        ["locations"] = new JsonArray(new JsonObject
                        {
                            ["logicalLocations"] = new JsonArray(new JsonObject { ["name"] = e.Image, ["fullyQualifiedName"] = e.Image, ["kind"] = "resource" }),
                        }),
                    }).ToArray()),
                }),
                ["results"] = results,
            }),
        };
        return root.ToJsonString(Indented);
    }

    public static string ToJUnit(IReadOnlyList<ImageDnsFinding> findings, IReadOnlyList<string> images, DnsRuleSeverity threshold, IReadOnlyList<ImageReportError>? errors = null)
    {
        errors ??= Array.Empty<ImageReportError>();
        var totalErrors = 0;
        var suites = new XElement("testsuites", new XAttribute("name", "Test-ImageDns"));
        var allImages = images.Concat(findings.Select(f => f.Image)).Distinct(StringComparer.Ordinal);
        var totalTests = 0; var totalFail = 0; var totalSkip = 0;
        foreach (var image in allImages)
        {
            if (errors.FirstOrDefault(e => e.Image == image) is { } error)
            {
                // Not inspected: one errored test case, so the suite cannot pass for want of findings.
                var failed = new XElement("testsuite", new XAttribute("name", image),
                    new XElement("testcase", new XAttribute("classname", image), new XAttribute("name", "inspect the image"),
                        new XElement("error", new XAttribute("type", "ImageNotInspected"), new XAttribute("message", error.Message))));
                failed.Add(new XAttribute("tests", 1), new XAttribute("failures", 0), new XAttribute("errors", 1), new XAttribute("skipped", 0));
                suites.Add(failed);
                totalTests++; totalErrors++;
                continue;
            }
            var mine = findings.Where(f => f.Image == image).ToList();
            var suite = new XElement("testsuite", new XAttribute("name", image));
            var failures = 0; var skipped = 0;
            foreach (var r in ImageDnsRules.All)
            {
                var hits = mine.Where(f => f.RuleId == r.Id).ToList();
                var tc = new XElement("testcase", new XAttribute("classname", image), new XAttribute("name", $"{r.Id}: {r.Title}"));
                if (hits.Count > 0)
                {
                    var text = string.Join("\n", hits.Select(h => $"{h.Severity}: {h.Message} [{h.Path} {h.Layer}] {h.HelpUri}"));
                    if (hits.All(h => h.Suppressed)) { tc.Add(new XElement("skipped", new XAttribute("message", "suppressed: " + hits[0].SuppressionReason), text)); skipped++; }
                    else if (threshold != DnsRuleSeverity.None && hits.Any(h => !h.Suppressed && h.Severity >= threshold))
                    { tc.Add(new XElement("failure", new XAttribute("type", r.Severity.ToString()), new XAttribute("message", hits[0].Message), text)); failures++; }
                    else tc.Add(new XElement("system-out", text));
                }
                suite.Add(tc);
            }
            var tests = ImageDnsRules.All.Count;
            suite.Add(new XAttribute("tests", tests), new XAttribute("failures", failures), new XAttribute("errors", 0), new XAttribute("skipped", skipped));
            totalTests += tests; totalFail += failures; totalSkip += skipped;
            suites.Add(suite);
        }
        suites.Add(new XAttribute("tests", totalTests), new XAttribute("failures", totalFail), new XAttribute("errors", totalErrors), new XAttribute("skipped", totalSkip));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites).Declaration + "\n" + suites.ToString();
    }
}
