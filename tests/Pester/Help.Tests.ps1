# Help as Get-Help shows it: INPUTS, OUTPUTS and each parameter's default value for every cmdlet (tools/New-MamlHelp.ps1
# writes them from the compiled cmdlets), and about_DnsTools telling the truth about /etc/resolv.conf.
BeforeDiscovery {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $cmdlets = (Get-Command -Module DnsTools -CommandType Cmdlet).Name
}

BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
}

Describe 'Help of <_> has INPUTS, OUTPUTS and default values' -ForEach $cmdlets -Tag Help {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
        $text = $help | Out-String -Width 200
    }

    It 'lists INPUTS: each type bound from the pipeline, or None' {
        $types = @($help.inputTypes.inputType.type.name)
        $types | Should -Not -BeNullOrEmpty
        $byValue = @($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true })
        foreach ($p in $byValue) { $types | Should -Contain $p.ParameterType.FullName -Because "-$($p.Name) binds by value" }
        if (-not ($command.Parameters.Values | Where-Object { $_.ParameterSets.Values.ValueFromPipeline -contains $true -or $_.ParameterSets.Values.ValueFromPipelineByPropertyName -contains $true })) {
            $types | Should -Be 'None'
        }
        $text | Should -Match '(?m)^INPUTS'
    }

    It 'lists OUTPUTS naming each [OutputType]' {
        $outputs = "$($help.returnValues.returnValue.type.name)"
        $outputs | Should -Not -BeNullOrEmpty
        foreach ($t in $command.OutputType.Type) {
            if ($t -eq [string]) { continue }
            $outputs | Should -Match ([regex]::Escape($t.FullName)) -Because "$name declares [OutputType($($t.Name))]"
        }
        $text | Should -Match '(?m)^OUTPUTS'
    }

    It 'gives every parameter a default value' {
        foreach ($p in $help.parameters.parameter) {
            "$($p.defaultValue)" | Should -Not -BeNullOrEmpty -Because "-$($p.name) shows a default value"
        }
    }
}

Describe 'Default values in help are the cmdlets'' own' -Tag Help {
    It '<Cmdlet> -<Parameter> defaults to <Value>' -ForEach @(
        @{ Cmdlet = 'Test-PodDnsLatency'; Parameter = 'Timeout'; Value = '60' }
        @{ Cmdlet = 'Test-PodDnsLatency'; Parameter = 'Resolver'; Value = 'musl-1.2.3, glibc-2.36, go-1.22' }
        @{ Cmdlet = 'Test-PodDnsLatency'; Parameter = 'ResolvConf'; Value = 'None' }
        @{ Cmdlet = 'Get-ResolverQueryPlan'; Parameter = 'Resolver'; Value = 'musl-1.2.3' }
        @{ Cmdlet = 'New-PodResolvConf'; Parameter = 'Namespace'; Value = 'default' }
        @{ Cmdlet = 'New-PodResolvConf'; Parameter = 'ClusterDomain'; Value = 'cluster.local' }
        @{ Cmdlet = 'New-PodResolvConf'; Parameter = 'DnsPolicy'; Value = 'ClusterFirst' }
        @{ Cmdlet = 'New-PodResolvConf'; Parameter = 'HostNetwork'; Value = 'False' }
        @{ Cmdlet = 'Test-ImageDns'; Parameter = 'FailOn'; Value = 'None' }
        @{ Cmdlet = 'Test-ImageDns'; Parameter = 'Format'; Value = 'Table' }
        @{ Cmdlet = 'Start-DnsLabServer'; Parameter = 'Address'; Value = '127.0.0.1' }
    ) {
        (Get-Help $Cmdlet -Parameter $Parameter).defaultValue | Should -Be $Value
    }
}

Describe 'about_DnsTools' -Tag Help {
    It 'says that Test-PodDnsLatency reads /etc/resolv.conf when -ResolvConf is absent, as it does' {
        $about = Get-Help about_DnsTools | Out-String
        $about | Should -Not -Match 'No cmdlet reads this machine''s /etc/resolv.conf'
        $about -replace '\s+', ' ' | Should -Match 'Test-PodDnsLatency is the one cmdlet that reads /etc/resolv.conf'
        # The behaviour it describes: without -ResolvConf the cmdlet goes for /etc/resolv.conf (refused here by the
        # test runner's DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF, which about_DnsTools also names).
        $about | Should -Match 'DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF'
        $env:DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF | Should -Not -BeNullOrEmpty
        { Test-PodDnsLatency -Name a.example -ErrorAction Stop } | Should -Throw '*/etc/resolv.conf*'
    }
}
