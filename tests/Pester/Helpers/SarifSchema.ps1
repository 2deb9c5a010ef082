# Checks SARIF files against the SARIF 2.1.0 JSON schema (sarif-2.1.0.json from Microsoft's SARIF SDK,
# fetched by build.ps1 into tools/packages/npm) with JsonSchema.Net (restored by build.ps1 into
# tools/packages). Dot-source it in BeforeAll; $SarifSchemaSkipReason is set when either is missing.

$script:SarifSchemaSkipReason = $null
$script:SarifSchema = $null
$packages = Join-Path $env:DNSTOOLS_REPO_ROOT 'tools/packages'
$schemaPath = if ($env:DNSTOOLS_SARIF_SCHEMA) { $env:DNSTOOLS_SARIF_SCHEMA } else { Join-Path $packages 'npm/_microsoft_sarif-multitool-linux_5.7.0/sarif-2.1.0.json' }
$assemblies = @('humanizer.core/2.14.1/lib/net6.0/Humanizer.dll', 'json.more.net/2.1.1/lib/net8.0/Json.More.dll',
    'jsonpointer.net/5.3.1/lib/net8.0/JsonPointer.Net.dll', 'jsonschema.net/7.4.0/lib/net8.0/JsonSchema.Net.dll') |
    ForEach-Object { Join-Path $packages $_ }
if (-not (Test-Path $schemaPath)) {
    $script:SarifSchemaSkipReason = if ($env:DNSTOOLS_SARIF_SCHEMA_UNAVAILABLE) { $env:DNSTOOLS_SARIF_SCHEMA_UNAVAILABLE } else { "no SARIF schema at $schemaPath (run build.ps1 -Task Test)" }
}
elseif ($missing = @($assemblies | Where-Object { -not (Test-Path $_) })) {
    $script:SarifSchemaSkipReason = "JsonSchema.Net is not restored ($($missing -join ', '))"
}
else {
    foreach ($a in $assemblies) { Add-Type -Path $a }
    $script:SarifSchema = [Json.Schema.JsonSchema]::FromText([IO.File]::ReadAllText($schemaPath))
}

# The schema violations of a SARIF file ("/json/pointer: keyword: message"); nothing when it is valid.
function script:Get-SarifSchemaError([string] $Path) {
    $node = [System.Text.Json.Nodes.JsonNode]::Parse([IO.File]::ReadAllText($Path))
    $options = [Json.Schema.EvaluationOptions]::new()
    $options.OutputFormat = [Json.Schema.OutputFormat]::List
    $options.RequireFormatValidation = $true
    $result = $SarifSchema.Evaluate($node, $options)
    if ($result.IsValid) { return }
    # Failed branches of an anyOf that another branch satisfies are not errors of the document: report the
    # locations whose evaluation failed and say why.
    foreach ($d in $result.Details) {
        if ($d.IsValid -or -not $d.Errors) { continue }
        foreach ($e in $d.Errors.GetEnumerator()) { '{0}: {1}: {2}' -f $d.InstanceLocation, $e.Key, $e.Value }
    }
}

# The violations of a JSON file against any schema file (docs/schema/...), the same way; nothing when it is valid.
function script:Get-JsonSchemaError([string] $SchemaPath, [string] $Path) {
    $schema = [Json.Schema.JsonSchema]::FromText([IO.File]::ReadAllText($SchemaPath))
    $node = [System.Text.Json.Nodes.JsonNode]::Parse([IO.File]::ReadAllText($Path))
    $options = [Json.Schema.EvaluationOptions]::new()
    $options.OutputFormat = [Json.Schema.OutputFormat]::List
    $options.RequireFormatValidation = $true
    $result = $schema.Evaluate($node, $options)
    if ($result.IsValid) { return }
    foreach ($d in $result.Details) {
        if ($d.IsValid -or -not $d.Errors) { continue }
        foreach ($e in $d.Errors.GetEnumerator()) { '{0}: {1}: {2}' -f $d.InstanceLocation, $e.Key, $e.Value }
    }
}
