# Every view in DnsTools.Format.ps1xml, rendered with real objects from the cmdlets at 80 and 120 columns (a
# terminal's two common widths): no table column narrower than its header (PowerShell cuts a header to fit, down to
# one character, and wraps it into a vertical header), no column dropped, every list label whole, and the values a
# reader scans for (a query's name, a finding's path) on one line, never wrapped.
BeforeDiscovery {
    [xml] $script:FormatXml = Get-Content (Join-Path $PSScriptRoot '../../module/DnsTools/DnsTools.Format.ps1xml') -Raw
    $script:ViewCases = foreach ($v in $FormatXml.Configuration.ViewDefinitions.View) {
        @{ View = $v.Name; TypeName = $v.ViewSelectedBy.TypeName; Width = 80 }
        @{ View = $v.Name; TypeName = $v.ViewSelectedBy.TypeName; Width = 120 }
    }
}

BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    [xml] $script:Format = Get-Content (Join-Path $env:DNSTOOLS_REPO_ROOT 'module/DnsTools/DnsTools.Format.ps1xml') -Raw
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'fx')
    $script:ImageSkip = $SkipReason

    # Real objects of every type a view selects, from the cmdlets as a user calls them.
    $lab = Start-DnsLabServer 'AAAA elink.spic.com.cn -> SERVFAIL after 50ms', '*.cluster.local -> NXDOMAIN'
    try {
        $rc = New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10 -DnsConfig @{ options = 'single-request-reopen' }
        $plan = Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $rc -Resolver musl-1.2.3, glibc-2.36, go-1.22 `
            -ServerBehavior 'AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN'
        $summaries = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $rc -Server $lab -Resolver glibc-2.36 -Mitigation None, SingleRequestReopen -Count 2
        $labQueries = Get-DnsLabQuery $lab
        $behavior = Get-DnsServerBehavior -Name elink.spic.com.cn -ResolvConf $rc -Server $lab -Count 1 -Timeout 1
        $verification = Test-PodDnsLatency -Name elink.spic.com.cn -ResolvConf $rc -Server $lab -Resolver glibc-2.36, musl-1.2.3 -Verify -ServerBehavior $behavior -WarningAction SilentlyContinue
        $capture = Get-Content (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/DnsTools.Core.Tests/Capture/data/seed-alpine-musl.txt')
        $observed = $capture | Read-DnsCapture
        $lookups = $capture | Measure-DnsCapture
        $script:Samples = @{
            'DnsTools.Core.ResolvConf.ResolvConf'        = @($rc)
            'DnsTools.Core.ResolvConf.ResolverSettings'  = @($rc.Musl, $rc.Glibc, $rc.Go)
            'DnsTools.Core.Diagnosis.ObservedQuery'      = @($observed)
            'DnsTools.Core.Diagnosis.ObservedLookup'     = @($lookups)
            'DnsTools.Core.Diagnosis.DnsDiagnosis'       = @($lookups.Diagnoses)
            'DnsTools.Core.Resolvers.QueryPlan'          = @($plan)
            'DnsTools.Core.Resolvers.PlannedQuery'       = @($plan.Queries)
            'DnsTools.Core.Probe.DnsProbeSummary'        = @($summaries)
            'DnsTools.Core.Lab.DnsLabServer'             = @($lab)
            'DnsTools.Core.Lab.DnsLabQueryRecord'        = @($labQueries)
            'DnsTools.Core.ServerDiscovery.DnsServerBehavior'    = @($behavior)
            'DnsTools.Core.ServerDiscovery.DnsServerObservation' = @($behavior.Observations)
            'DnsTools.Core.ServerDiscovery.BehaviorVerification' = @($verification)
        }
    }
    finally { $lab | Stop-DnsLabServer }
    if (-not $ImageSkip) {
        $alpine = "oci-archive:$Fx/alpine-apk.oci.tar"
        $Samples['DnsTools.Core.Images.ImageFileInfo'] = @(Get-ImageFile $alpine -Path /lib -Recurse)
        $Samples['DnsTools.Core.Images.ImageLayerInfo'] = @(Get-ImageLayer "docker-archive:$Fx/layered.docker.tar")
        $Samples['DnsTools.Core.Inspection.ImageDnsProfile'] = @(Get-ImageDnsProfile $alpine, "oci-archive:$Fx/glibc-dpkg.oci.tar")
        $script:MuslLoader = "oci-dir:$Fx/oci:musl-loader"
        $Samples['DnsTools.Core.Inspection.ImageDnsFinding'] = @(Test-ImageDns $alpine, $MuslLoader, "oci-archive:$Fx/glibc-dpkg.oci.tar",
            "docker-archive:$Fx/alpine-glibc-entry.docker.tar")
    }

    # Column start and width of each run of dashes in a table's separator line.
    function script:Get-DashRun([string] $Line) {
        foreach ($m in [regex]::Matches($Line, '-+')) { [pscustomobject]@{ Start = $m.Index; Width = $m.Length } }
    }
}

Describe 'Default views at 80 and 120 columns' -Tag Views {
    It '<View> (<TypeName>) at <Width> columns' -ForEach $ViewCases {
        $objects = $Samples[$TypeName]
        if ($null -eq $objects) {
            if ($ImageSkip -and $TypeName -like 'DnsTools.Core.I*') { Set-ItResult -Skipped -Because $ImageSkip; return }
            throw "No sample objects for ${TypeName}: add them to this test's BeforeAll"
        }
        $objects.Count | Should -BeGreaterThan 0 -Because "the cmdlets gave real $TypeName objects"
        $def = @($Format.Configuration.ViewDefinitions.View | Where-Object { $_.Name -eq $View })[0]
        if ($def.TableControl) {
            $labels = @($def.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { $_.Label })
            $text = $objects | Format-Table -View $View | Out-String -Width $Width
            $lines = $text -split "`r?`n"
            $separators = @(for ($i = 1; $i -lt $lines.Count; $i++) { if ($lines[$i] -match '^[ -]*-[ -]*$') { $i } })
            $separators.Count | Should -BeGreaterThan 0 -Because "a table has a header:`n$text"
            foreach ($i in $separators) {
                $runs = @(Get-DashRun $lines[$i])
                $runs.Count | Should -Be $labels.Count -Because "every column is shown at $Width columns:`n$text"
                for ($c = 0; $c -lt $labels.Count; $c++) {
                    $runs[$c].Width | Should -BeGreaterOrEqual $labels[$c].Length -Because "column '$($labels[$c])' is at least as wide as its header at $Width columns:`n$text"
                    $header = $lines[$i - 1].PadRight($runs[$c].Start + $runs[$c].Width).Substring($runs[$c].Start, $runs[$c].Width).Trim()
                    $header | Should -Be $labels[$c] -Because "the header is whole, on one line:`n$text"
                }
                ($lines | Where-Object { $_.Length -gt $Width }) | Should -BeNullOrEmpty -Because "no line is wider than $Width"
            }
        }
        elseif ($def.ListControl) {
            $text = $objects | Format-List -View $View | Out-String -Width $Width
            $labels = @($def.ListControl.ListEntries.ListEntry.ListItems.ListItem | ForEach-Object { if ($_.Label) { $_.Label } else { $_.PropertyName } })
            foreach ($label in $labels) { $text | Should -Match "(?m)^$([regex]::Escape($label)) +: " -Because "list label $label is whole at $Width columns" }
        }
        elseif ($def.CustomControl) {
            $text = $objects | Format-Custom -View $View | Out-String -Width $Width
            ($text -split "`r?`n" | Where-Object { $_.Length -gt $Width }) | Should -BeNullOrEmpty -Because "no line is wider than $Width"
        }
        else { throw "view $View has a control this test does not know" }

        # What a reader scans for is on one line, whole: a query's name, a finding's path.
        $whole = switch ($TypeName) {
            'DnsTools.Core.Resolvers.PlannedQuery' { $objects.Name }
            'DnsTools.Core.Diagnosis.ObservedQuery' { $objects.Name }
            'DnsTools.Core.Lab.DnsLabQueryRecord' { $objects.Name }
            'DnsTools.Core.ServerDiscovery.DnsServerObservation' { $objects.Name }
            'DnsTools.Core.Inspection.ImageDnsFinding' { $objects.Path | Where-Object { $_ } }
            default { @() }
        }
        foreach ($value in ($whole | Select-Object -Unique)) {
            $text | Should -Match ([regex]::Escape($value)) -Because "'$value' is shown whole, not wrapped, at $Width columns:`n$text"
        }
    }

    It 'the findings of the musl image show the loader path /lib/ld-musl-x86_64.so.1 whole at 80 columns' {
        if ($ImageSkip) { Set-ItResult -Skipped -Because $ImageSkip; return }
        $findings = @($Samples['DnsTools.Core.Inspection.ImageDnsFinding'] | Where-Object Image -eq $MuslLoader)
        $findings.Path | Should -Contain '/lib/ld-musl-x86_64.so.1'
        $text = $findings | Out-String -Width 80
        $text | Should -Match '(?m)^DNS-MUSL-001 +Warning +/lib/ld-musl-x86_64\.so\.1$'
    }
}
