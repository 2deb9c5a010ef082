BeforeDiscovery {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $manifestData = Import-PowerShellDataFile $env:DNSTOOLS_MODULE_MANIFEST
    $cmdlets = $manifestData.CmdletsToExport
}

BeforeAll {
    $manifestPath = $env:DNSTOOLS_MODULE_MANIFEST
    $manifestData = Import-PowerShellDataFile $manifestPath
    Import-Module $manifestPath -Force
}

Describe 'The module' {
    It 'exports exactly the cmdlets its manifest lists, all with approved verbs' {
        $exported = (Get-Command -Module DnsTools).Name | Sort-Object
        $exported | Should -Be ($manifestData.CmdletsToExport | Sort-Object)
        $approved = (Get-Verb).Verb
        foreach ($c in Get-Command -Module DnsTools) { $approved | Should -Contain $c.Verb }
    }

    It 'has a valid manifest with the gallery metadata' {
        $m = Test-ModuleManifest $manifestPath
        $m.Version | Should -Be ([version]$manifestData.ModuleVersion)
        $m.CompatiblePSEditions | Should -Be 'Core'
        $m.PrivateData.PSData.Tags | Should -Contain 'Kubernetes'
        # No ProjectUri: the project has no public home yet, and a made-up address would mislead.
        $m.PrivateData.PSData.Keys | Should -Not -Contain 'ProjectUri'
        $m.PrivateData.PSData.Keys | Should -Not -Contain 'HelpInfoUri'
        $manifestData.Keys | Should -Not -Contain 'HelpInfoURI'
        $m.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $m.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'imports in a fresh process in well under a second' {
        $pwsh = Join-Path $PSHOME 'pwsh'
        $ms = & $pwsh -NoProfile -NonInteractive -Command "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifestPath'; `$sw.Elapsed.TotalMilliseconds"
        $LASTEXITCODE | Should -Be 0
        Write-Host "    import took $([math]::Round([double]$ms)) ms"
        [double]$ms | Should -BeLessThan 1000
    }

    It 'has about_DnsTools help' {
        (Get-Help about_DnsTools | Out-String) | Should -Match 'ndots'
    }
}

Describe 'Help for <_>' -ForEach $cmdlets {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeLike "*$name*[<]*"
        $help.Synopsis.Length | Should -BeGreaterThan 20
        ($help.description | Out-String).Trim().Length | Should -BeGreaterThan 50
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters
        $params = (Get-Command $name).Parameters.Keys | Where-Object { $common -notcontains $_ }
        foreach ($p in $params) {
            $text = ($help.parameters.parameter | Where-Object name -eq $p).description | Out-String
            $text.Trim() | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'has at least two examples' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'Help examples run as written' {
    BeforeAll {
        Push-Location $TestDrive
        "search default.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5" | Set-Content (Join-Path $TestDrive 'pod-resolv.conf')
        # The files the examples name: a real capture and the incident report's tcpdump text.
        Copy-Item (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/captures/dnsmasq-lo.pcap') (Join-Path $TestDrive 'pod.pcap')
        Copy-Item (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/DnsTools.Core.Tests/Capture/data/seed-alpine-musl.txt') (Join-Path $TestDrive 'tcpdump.txt')
        # dnstools-probe --format jsonl output: the incident replayed by the real binary against its lab server on loopback.
        Copy-Item (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/probe/shop.jsonl') (Join-Path $TestDrive 'shop.jsonl')
    }
    AfterAll { Pop-Location }

    It '<Name> example <Index>' -ForEach @(
        foreach ($c in $cmdlets) {
            $i = 0
            # The help source says which examples must not run here (e.g. they use this machine's resolv.conf).
            $source = Import-PowerShellDataFile (Join-Path $env:DNSTOOLS_REPO_ROOT "module/help/$c.psd1")
            foreach ($e in (Get-Help $c -Examples).examples.example) {
                $skip = $source.Examples[$i]['NotRunByTests']
                $i++
                @{ Name = $c; Index = $i; Code = $e.code; Skip = $skip }
            }
        }
    ) {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $output = & ([scriptblock]::Create($Code)) 3>$null
        $? | Should -BeTrue
        # Every example shows something or writes the file it says it writes.
        ($null -ne $output) -or (Test-Path (Join-Path $TestDrive 'ndots2-resolv.conf')) | Should -BeTrue
    }
}
