# JSON a script can rely on: results through ConvertTo-Json keep one shape at any -Depth (durations as ...Ms numbers,
# enums as names), -Format Json on Get-ResolverQueryPlan and Test-PodDnsLatency round-trips, and the image report
# (cmdlet and CLI) carries schema version, tool, timestamp, digests and platforms and passes docs/schema.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/SarifSchema.ps1')
    $script:ReportSchema = Join-Path $env:DNSTOOLS_REPO_ROOT 'docs/schema/dnstools-report.schema.json'
    $script:PodConf = "search svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5 timeout:1 attempts:2"
    # The top-level keys and the JSON kind of each value, to compare shapes.
    function script:Get-JsonShape([string] $Json) {
        $o = $Json | ConvertFrom-Json -AsHashtable
        if ($o -is [System.Collections.IList]) { $o = $o[0] }
        ($o.Keys | Sort-Object | ForEach-Object { "$_=$(if ($null -eq $o[$_]) { 'null' } elseif ($o[$_] -is [string]) { 'string' } elseif ($o[$_] -is [bool]) { 'bool' } elseif ($o[$_] -is [ValueType]) { 'number' } else { 'object' })" }) -join ' '
    }
}

Describe 'ConvertTo-Json of results' -Tag Json {
    It 'writes a query plan with the same shape at -Depth 1, 2 and 6: durations as numbers, enums as names' {
        $plan = Get-ResolverQueryPlan -Name api -ResolvConf $PodConf -ServerBehavior 'AAAA * -> SERVFAIL after 100ms'
        $shapes = foreach ($depth in 1, 2, 6) { Get-JsonShape ($plan | ConvertTo-Json -Depth $depth -WarningAction SilentlyContinue) }
        $shapes[1] | Should -Be $shapes[0]
        $shapes[2] | Should -Be $shapes[0]
        $shapes[0] | Should -Match 'TotalTimeMs=number'
        $shapes[0] | Should -Match 'Result=string'
        $shapes[0] | Should -Not -Match 'TotalTime='
        $json = $plan | ConvertTo-Json -Depth 6 | ConvertFrom-Json
        $json.TotalTimeMs | Should -Be $plan.TotalTime.TotalMilliseconds
        $json.Result | Should -Be 'TryAgain'
        $json.Queries[1].Response | Should -Be 'ServFail'
        $json.Queries[1].ResponseTimeMs | Should -Be 100
        $json.Queries[0].PSObject.Properties.Name | Should -Not -Contain 'SendTime'
        # PowerShell still has the TimeSpans.
        $plan.TotalTime | Should -BeOfType [TimeSpan]
        $plan.Queries[1].ResponseTime.TotalMilliseconds | Should -Be 100
    }
}

Describe 'ConvertTo-Json of what Get-DnsServerBehavior learns' -Tag Json, ServerBehavior {
    BeforeAll {
        $script:BehaviorLab = Start-DnsLabServer 'AAAA api.example -> SERVFAIL after 50ms', '*.cluster.local -> NXDOMAIN'
    }
    AfterAll { $BehaviorLab | Stop-DnsLabServer }

    It 'has the same shape at -Depth 2 and 6: durations as ...Ms numbers, enums as names, TimeSpans still there for PowerShell' {
        $b = Get-DnsServerBehavior -Name api.example -ResolvConf $PodConf -Server $BehaviorLab -Count 2
        Get-DnsLabQuery $BehaviorLab -Clear | Out-Null
        $observation = $b.Observations | Where-Object { $_.Name -eq 'api.example.' -and $_.Type -eq 'AAAA' }
        $sample = $observation.Samples[0]
        foreach ($o in $b, $observation, $sample) {
            $shallow = Get-JsonShape ($o | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue)
            $deep = Get-JsonShape ($o | ConvertTo-Json -Depth 6 -WarningAction SilentlyContinue)
            $deep | Should -Be $shallow -Because $o.GetType().Name
        }
        $behaviorShape = Get-JsonShape ($b | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue)
        $behaviorShape | Should -Match 'DurationMs=number'
        $behaviorShape | Should -Not -Match '(^| )Duration='
        $observationShape = Get-JsonShape ($observation | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue)
        $observationShape | Should -Match 'P50Ms=number'
        $observationShape | Should -Match 'MaxMs=number'
        $observationShape | Should -Match 'MinMs=number'
        $observationShape | Should -Match 'Outcome=string'
        $observationShape | Should -Not -Match '(^| )(P50|Max|Min)='
        $sampleShape = Get-JsonShape ($sample | ConvertTo-Json -Depth 2 -WarningAction SilentlyContinue)
        $sampleShape | Should -Match 'LatencyMs=number'
        $sampleShape | Should -Match 'Transport=string'
        $sampleShape | Should -Not -Match '(^| )Latency='

        $json = $b | ConvertTo-Json -Depth 6 | ConvertFrom-Json
        $jsonObservation = $json.Observations | Where-Object { $_.Name -eq 'api.example.' -and $_.Type -eq 'AAAA' }
        $jsonObservation.Outcome | Should -Be 'ServFail'
        $jsonObservation.P50Ms | Should -BeGreaterOrEqual 50
        $jsonObservation.P50Ms | Should -Be $observation.P50Ms
        $jsonObservation.Samples[0].Transport | Should -Be 'Udp'
        $jsonObservation.Samples[0].LatencyMs | Should -Be $sample.LatencyMs
        $json.DurationMs | Should -BeGreaterThan 0
        $json.Rules | Should -Contain '*.cluster.local -> NXDOMAIN'
        # PowerShell still has the TimeSpans, as before.
        $b.Duration | Should -BeOfType [TimeSpan]
        $observation.P50 | Should -BeOfType [TimeSpan]
        $observation.P50.TotalMilliseconds | Should -BeGreaterOrEqual 50
        $observation.Max | Should -BeGreaterOrEqual $observation.Min
        $sample.Latency | Should -BeOfType [TimeSpan]
        [math]::Round($sample.Latency.TotalMilliseconds, 3) | Should -Be $sample.LatencyMs
    }

    It 'Test-PodDnsLatency -Verify -Format Json writes the verifications: planMs and replayMs as numbers (of milliseconds), the plan and the lookup inside' {
        $rules = 'AAAA api.example -> SERVFAIL after 50ms', '*.cluster.local -> NXDOMAIN'
        $objects = @(Test-PodDnsLatency -Name api.example -ResolvConf $PodConf -Server $BehaviorLab -Resolver musl-1.2.3, glibc-2.36 -Verify -ServerBehavior $rules -WarningAction SilentlyContinue)
        $text = Test-PodDnsLatency -Name api.example -ResolvConf $PodConf -Server $BehaviorLab -Resolver musl-1.2.3, glibc-2.36 -Verify -ServerBehavior $rules -WarningAction SilentlyContinue -Format Json
        Get-DnsLabQuery $BehaviorLab -Clear | Out-Null
        $text | Should -BeOfType [string]
        $verifications = $text | ConvertFrom-Json
        $verifications.Count | Should -Be 2
        $objects.Count | Should -Be 2
        for ($i = 0; $i -lt 2; $i++) {
            $v = $verifications[$i]
            $v.resolver | Should -Be $objects[$i].Resolver
            $v.agrees | Should -Be $objects[$i].Agrees
            $v.agrees | Should -BeTrue -Because ($v.differences -join '; ')
            $v.planOutcome | Should -Be $objects[$i].PlanOutcome
            $v.planQueries | Should -Be $objects[$i].PlanQueries
            $v.rules | Should -Be $objects[$i].Rules
            $v.planMs | Should -BeOfType [ValueType]
            $v.planMs | Should -Be $objects[$i].PlanMs
            $v.replayMs | Should -BeGreaterOrEqual 50
            $v.plan.totalTimeMs | Should -Be $objects[$i].Plan.TotalTimeMs
            $v.plan.queries.response | Should -Contain 'ServFail'
            $v.lookup.durationMs | Should -BeGreaterOrEqual 50
            $v.lookup.queries.Count | Should -Be $v.replayQueries
            $v.PSObject.Properties.Name | Should -Not -Contain 'planTime'
        }
    }
}

Describe '-Format Json' -Tag Json {
    It 'Get-ResolverQueryPlan -Format Json round-trips what the objects say, camelCase' {
        $plans = Get-ResolverQueryPlan -Name api, db -ResolvConf $PodConf -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior 'AAAA * -> SERVFAIL after 100ms'
        $text = Get-ResolverQueryPlan -Name api, db -ResolvConf $PodConf -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior 'AAAA * -> SERVFAIL after 100ms' -Format Json
        $text | Should -BeOfType [string]
        $json = $text | ConvertFrom-Json
        $json.Count | Should -Be $plans.Count
        for ($i = 0; $i -lt $plans.Count; $i++) {
            $json[$i].name | Should -Be $plans[$i].Name
            $json[$i].resolver.family | Should -Be "$($plans[$i].Resolver.Family)"
            $json[$i].resultCode | Should -Be $plans[$i].ResultCode
            $json[$i].totalTimeMs | Should -Be $plans[$i].TotalTime.TotalMilliseconds
            $json[$i].queries.name | Should -Be $plans[$i].Queries.Name
            $json[$i].queries.type | Should -Be ($plans[$i].Queries.Type | ForEach-Object { "$_" })
            $json[$i].queries.sendTimeMs | Should -Be ($plans[$i].Queries | ForEach-Object { $_.SendTime.TotalMilliseconds })
            $json[$i].settings.nameservers[0].address | Should -Be '10.96.0.10'
        }
    }

    It 'Test-PodDnsLatency -Format Json round-trips lookups and summaries against the lab server' {
        $lab = Start-DnsLabServer 'AAAA api.example -> SERVFAIL after 50ms', '*.cluster.local -> NXDOMAIN'
        try {
            $text = Test-PodDnsLatency -Name api.example -ResolvConf $PodConf -Server $lab -Resolver musl-1.2.3, glibc-2.36 -Format Json
            $lookups = $text | ConvertFrom-Json
            $lookups.Count | Should -Be 2
            $lookups.resolverSpec | Should -Be 'musl-1.2.3', 'glibc-2.36'
            $logged = @(Get-DnsLabQuery $lab -Clear)
            ($lookups.queries | Measure-Object).Count | Should -Be $logged.Count
            foreach ($l in $lookups) {
                $l.durationMs | Should -BeOfType [double]
                $l.durationMs | Should -BeGreaterThan 40
                $l.queries[0].sentAtMs | Should -BeGreaterOrEqual 0
                $l.queries.reason | Should -Contain 'FirstTry'
                $l.resolver | Should -BeIn 'Musl', 'Glibc'
            }
            $summary = Test-PodDnsLatency -Name api.example -ResolvConf $PodConf -Server $lab -Resolver glibc-2.36 -Count 2 -Format Json | ConvertFrom-Json
            $summary.count | Should -Be 2
            $summary.p50Ms | Should -BeGreaterThan 40
            $summary.maxMs | Should -BeGreaterOrEqual $summary.p50Ms
            $summary.lookups.Count | Should -Be 2
        }
        finally { $lab | Stop-DnsLabServer }
    }
}

Describe 'The image report JSON' -Tag Json, ImageDns {
    BeforeAll {
        . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
        if ($SkipReason) { return }
        # A '+' in the image name (as in versioned file names): it must stay '+' in the JSON.
        $script:Plus = Join-Path $TestDrive 'app+v1.oci.tar'
        Copy-Item "$Fx/alpine-apk.oci.tar" $Plus
    }

    It 'carries schemaVersion, tool, timestamp, each image''s platform and manifest digest, and passes the schema' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $missing = "oci-archive:$Fx/missing.tar"
        $file = Join-Path $TestDrive 'report.json'
        $text = Test-ImageDns -Image "oci-archive:$Plus", "oci-archive:$Fx/glibc-dpkg.oci.tar", $missing -Format Json -ErrorAction SilentlyContinue
        $text | Set-Content $file -NoNewline
        $text | Should -Match 'app\+v1'
        $text | Should -Not -Match '\\u002B'
        $r = $text | ConvertFrom-Json
        $r.schemaVersion | Should -Be '1.0'
        $r.tool.name | Should -Be 'DnsTools'
        $r.tool.version | Should -Be (Get-Module DnsTools).Version.ToString()
        ([datetime]$r.timestamp).ToUniversalTime() | Should -BeGreaterThan ([datetime]::UtcNow.AddMinutes(-5))
        $read = $r.images | Where-Object inspected
        $read.Count | Should -Be 2
        $read.platform | Should -Be 'linux/amd64', 'linux/amd64'
        # skopeo's digest of the manifest it reads, not ours.
        $read[0].manifestDigest | Should -Be (& skopeo inspect --format '{{.Digest}}' "oci-archive:$Plus")
        $read[1].manifestDigest | Should -Be (& skopeo inspect --format '{{.Digest}}' "oci-archive:$Fx/glibc-dpkg.oci.tar")
        ($r.images | Where-Object image -eq $missing).inspected | Should -BeFalse
        $r.errors.image | Should -Be $missing
        if ($SarifSchemaSkipReason) { Set-ItResult -Skipped -Because "schema check: $SarifSchemaSkipReason"; return }
        $errors = @(Get-JsonSchemaError $ReportSchema $file)
        $errors | Should -BeNullOrEmpty -Because ($errors -join "`n")
        # The check can fail: a report without schemaVersion, or with a numeric severity, does not pass.
        $bad = Join-Path $TestDrive 'bad.json'
        $text.Replace('"schemaVersion"', '"schemaversion"') | Set-Content $bad
        (Get-JsonSchemaError $ReportSchema $bad) -join "`n" | Should -Match 'schemaVersion'
        $text.Replace('"severity": "Warning"', '"severity": 2') | Set-Content $bad
        (Get-JsonSchemaError $ReportSchema $bad) -join "`n" | Should -Match 'severity'
    }
}
