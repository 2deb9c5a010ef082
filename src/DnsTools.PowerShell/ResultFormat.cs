namespace DnsTools.PowerShell;

/// <summary>
/// -Format of the cmdlets whose results a script or another program reads: objects for the pipeline, or one JSON
/// document (camelCase, durations as …Ms numbers, enums as names: DnsTools.Core.Json.DnsJson) as a string.
/// </summary>
public enum ResultFormat { Object, Json }
