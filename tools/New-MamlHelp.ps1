<#
.SYNOPSIS
    Writes en-US/<dll>-Help.xml (MAML) for the module's binary cmdlets.
.DESCRIPTION
    The prose comes from module/help/<Cmdlet>.psd1; syntax, parameter types, positions, pipeline
    input and aliases come from the compiled cmdlets themselves, so help cannot drift from code.
    Written by hand because platyPS is not available from the package feeds this project uses.
    Inputs (what binds from the pipeline) and parameter default values come from the cmdlets too.
    Fails when a cmdlet lacks a help file, a parameter lacks a description, Outputs are missing, or
    there are fewer than two examples.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDirectory,
    [Parameter(Mandatory)] [string] $HelpSource
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$manifest = Join-Path $ModuleDirectory 'DnsTools.psd1'
$module = Import-Module $manifest -PassThru -Force
# -WhatIf and -Confirm are described per cmdlet (what each would do or ask), like its own parameters.
$common = [System.Management.Automation.Cmdlet]::CommonParameters
$nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$enUs = Join-Path $ModuleDirectory 'en-US'
New-Item -ItemType Directory -Path $enUs -Force | Out-Null
$dllName = Split-Path $module.Path -Leaf
if ($dllName -notlike '*.dll') { $dllName = 'DnsTools.PowerShell.dll' }
$target = Join-Path $enUs "$dllName-Help.xml"
$w = [System.Xml.XmlWriter]::Create($target, $settings)

function Write-Paras([string] $Text) {
    foreach ($para in ($Text.Trim() -split "\r?\n\s*\r?\n")) {
        # A list ("- item" lines) keeps one paragraph per item; other line breaks are reflowed.
        foreach ($item in ($para -split "\r?\n(?=- )")) {
            $w.WriteElementString('para', $nsMaml, ($item -replace '\r?\n', ' ').Trim())
        }
    }
}

function Get-PipelineText($p) {
    $kinds = @()
    if ($p.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($p.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

# The value a parameter has when it is not given: read from a fresh instance of the cmdlet class, so help cannot
# drift from code. None for null; switches are False unless set.
function Get-DefaultText($cmd, $p) {
    $instance = [Activator]::CreateInstance($cmd.ImplementingType)
    $property = $cmd.ImplementingType.GetProperty($p.Name)
    if (-not $property) { return 'None' }
    $value = $property.GetValue($instance)
    if ($null -eq $value) { return 'None' }
    if ($value -is [System.Management.Automation.SwitchParameter]) { return "$($value.IsPresent)" }
    if ($value -is [string]) { return $(if ($value.Length) { $value } else { '""' }) }
    if ($value -is [System.Collections.IEnumerable]) {
        $items = @($value | ForEach-Object { "$_" })
        return $(if ($items.Count) { $items -join ', ' } else { 'None' })
    }
    "$value"
}

# What the pipeline takes: each parameter bound by value (its type) or by property name (the property it reads).
function Get-InputTypes($cmd) {
    foreach ($p in ($cmd.Parameters.Values | Where-Object { $common -notcontains $_.Name } | Sort-Object Name)) {
        $attrs = @($p.ParameterSets.Values)
        if ($attrs | Where-Object ValueFromPipeline) {
            [pscustomobject]@{ Type = $p.ParameterType.FullName; Text = "Bound by value to -$($p.Name)." }
        }
        if ($attrs | Where-Object ValueFromPipelineByPropertyName) {
            $names = @($p.Name) + @($p.Aliases)
            [pscustomobject]@{ Type = 'System.Management.Automation.PSObject'; Text = "An object with a property named $($names -join ' or ') is bound to -$($p.Name) ($($p.ParameterType.Name))." }
        }
    }
}

function Get-TypeName([type] $t) {
    if ($t -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    $t.Name
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$problems = [System.Collections.Generic.List[string]]::new()

foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
    $sourceFile = Join-Path $HelpSource "$name.psd1"
    if (-not (Test-Path $sourceFile)) { $problems.Add("$name has no help file $sourceFile"); continue }
    $help = Import-PowerShellDataFile $sourceFile
    $cmd = Get-Command $name -Module $module.Name
    $parameters = @($cmd.Parameters.Values | Where-Object { $common -notcontains $_.Name })
    foreach ($p in $parameters) {
        if (-not $help.Parameters.ContainsKey($p.Name)) { $problems.Add("$name -$($p.Name) has no description") }
    }
    if (@($help.Examples).Count -lt 2) { $problems.Add("$name has fewer than two examples") }

    $w.WriteStartElement('command', 'command', $nsCommand)
    $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)
    $w.WriteStartElement('details', $nsCommand)
    $w.WriteElementString('name', $nsCommand, $name)
    $w.WriteElementString('verb', $nsCommand, $cmd.Verb)
    $w.WriteElementString('noun', $nsCommand, $cmd.Noun)
    $w.WriteStartElement('description', $nsMaml); Write-Paras $help.Synopsis; $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('description', $nsMaml); Write-Paras $help.Description; $w.WriteEndElement()

    $w.WriteStartElement('syntax', $nsCommand)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('syntaxItem', $nsCommand)
        $w.WriteElementString('name', $nsMaml, $name)
        foreach ($sp in ($set.Parameters | Where-Object { $common -notcontains $_.Name })) {
            $w.WriteStartElement('parameter', $nsCommand)
            $w.WriteAttributeString('required', "$($sp.IsMandatory)".ToLower())
            $w.WriteAttributeString('position', $(if ($sp.Position -ge 0) { "$($sp.Position)" } else { 'named' }))
            $w.WriteAttributeString('pipelineInput', (Get-PipelineText $sp))
            $w.WriteElementString('name', $nsMaml, $sp.Name)
            if ($sp.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                $w.WriteElementString('parameterValue', $nsCommand, (Get-TypeName $sp.ParameterType))
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('parameters', $nsCommand)
    foreach ($p in ($parameters | Sort-Object Name)) {
        $attr = $p.ParameterSets.Values | Select-Object -First 1
        $w.WriteStartElement('parameter', $nsCommand)
        $w.WriteAttributeString('required', "$([bool]($p.ParameterSets.Values | Where-Object IsMandatory))".ToLower())
        $w.WriteAttributeString('position', $(if ($attr.Position -ge 0) { "$($attr.Position)" } else { 'named' }))
        $w.WriteAttributeString('pipelineInput', (Get-PipelineText $attr))
        $w.WriteAttributeString('globbing', "$($name -eq 'ConvertFrom-ResolvConf' -and $p.Name -eq 'Path')".ToLower())
        $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
        $w.WriteElementString('name', $nsMaml, $p.Name)
        $w.WriteStartElement('description', $nsMaml); Write-Paras ([string]$help.Parameters[$p.Name]); $w.WriteEndElement()
        $w.WriteElementString('parameterValue', $nsCommand, (Get-TypeName $p.ParameterType))
        $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $p.ParameterType.FullName); $w.WriteEndElement()
        $w.WriteElementString('defaultValue', $nsDev, (Get-DefaultText $cmd $p))
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('inputTypes', $nsCommand)
    $inputs = @(Get-InputTypes $cmd)
    if ($inputs.Count -eq 0) { $inputs = @([pscustomobject]@{ Type = 'None'; Text = 'Nothing is taken from the pipeline.' }) }
    foreach ($in in $inputs) {
        $w.WriteStartElement('inputType', $nsCommand)
        $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $in.Type); $w.WriteEndElement()
        $w.WriteStartElement('description', $nsMaml); Write-Paras $in.Text; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    if (-not $help.ContainsKey('Outputs') -or -not $help.Outputs) { $problems.Add("$name has no Outputs in its help file") }
    $w.WriteStartElement('returnValues', $nsCommand)
    $w.WriteStartElement('returnValue', $nsCommand)
    $w.WriteStartElement('type', $nsDev); $w.WriteElementString('name', $nsMaml, $help.Outputs); $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteEndElement()

    $w.WriteStartElement('examples', $nsCommand)
    $i = 0
    foreach ($example in $help.Examples) {
        $i++
        $w.WriteStartElement('example', $nsCommand)
        $w.WriteElementString('title', $nsMaml, "-------------------------- Example $i --------------------------")
        $w.WriteElementString('code', $nsDev, $example.Code.Trim())
        $w.WriteStartElement('remarks', $nsDev); Write-Paras $example.Remarks; $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('relatedLinks', $nsCommand)
    foreach ($link in @($help.Links)) {
        $w.WriteStartElement('navigationLink', $nsMaml)
        $w.WriteElementString('linkText', $nsMaml, $link)
        $w.WriteElementString('uri', $nsMaml, '')
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()

if ($problems.Count) {
    $problems | ForEach-Object { Write-Error $_ -ErrorAction Continue }
    exit 1
}
