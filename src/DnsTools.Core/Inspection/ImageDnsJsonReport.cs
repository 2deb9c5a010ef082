namespace DnsTools.Core.Inspection;

/// <summary>An image (one platform of it) the report covers: what was read, so a finding can be traced to a manifest.</summary>
public sealed record ImageReportTarget(string Image, string? Platform, string? ManifestDigest);

/// <summary>
/// The JSON report (docs/schema/dnstools-report.schema.json): its names are a contract for scripts, so they change
/// only with <see cref="SchemaVersion"/>.
/// </summary>
internal sealed class ImageDnsJsonReport
{
    /// <summary>The report format's version: the major part changes when a field is removed or changes meaning.</summary>
    public const string CurrentSchemaVersion = "1.0";

    public string SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required ReportTool Tool { get; init; }
    /// <summary>When the report was written, UTC, ISO 8601.</summary>
    public required string Timestamp { get; init; }
    public required IReadOnlyList<ReportImage> Images { get; init; }
    /// <summary>The findings as the cmdlets return them (<see cref="ImageDnsFinding"/>: the same fields, one type).</summary>
    public required IReadOnlyList<ImageDnsFinding> Findings { get; init; }
    public required IReadOnlyList<ReportError> Errors { get; init; }

    internal sealed record ReportTool(string Name, string Version);

    /// <summary>One image as named; platform and manifest digest once it was read (null when it could not be).</summary>
    internal sealed record ReportImage(string Image, bool Inspected, string? Platform, string? ManifestDigest);

    internal sealed record ReportError(string Image, string Message);
}
