# Pipeline binding as a user meets it: what is piped goes to the parameter it is (a name to -Name, a ResolvConf to
# -ResolvConf, a lab server to -Server, a profile to Test-ImageDns as a profile) or is refused while binding; nothing
# is ever looked up by its ToString(), and no query goes to a server the user did not name. All traffic on loopback.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force

    # The first error of a pipeline (a binding error is PowerShell's own, raised while binding the piped object; it is
    # non-terminating, so Stop here makes it the one caught whatever the caller's preference).
    function script:Get-BindingError([scriptblock] $Pipeline) {
        $ErrorActionPreference = 'Stop'
        try { & $Pipeline | Out-Null; $null }
        catch { $_ }
    }
}

Describe 'Test-PodDnsLatency and Get-ResolverQueryPlan take from the pipeline only what they name' -Tag Binding {
    BeforeAll {
        # The decoy is where a resolv.conf's own nameserver leads (port 53 of a loopback address): it must get nothing.
        $script:DecoyAddress = '127.16.53.2'
        $script:Decoy = $null
        $script:DecoySkip = $null
        try { $script:Decoy = Start-DnsLabServer -Address $DecoyAddress -Port 53 -ErrorAction Stop }
        catch { $script:DecoySkip = "cannot listen on ${DecoyAddress}:53 (needs root or CAP_NET_BIND_SERVICE): $($_.Exception.Message)" }
        $script:Lab = Start-DnsLabServer '*.cluster.local -> NXDOMAIN'
        $script:DecoyConf = "nameserver $DecoyAddress`nsearch web.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5 timeout:1 attempts:1" | ConvertFrom-ResolvConf
    }
    AfterAll {
        if ($Decoy) { $Decoy | Stop-DnsLabServer }
        $Lab | Stop-DnsLabServer
    }
    BeforeEach {
        if ($Decoy) { Get-DnsLabQuery $Decoy -Clear | Out-Null }
        Get-DnsLabQuery $Lab -Clear | Out-Null
    }

    It 'a piped lab server is -Server: only it is queried, never the resolv.conf''s own nameserver' {
        if ($DecoySkip) { Set-ItResult -Skipped -Because $DecoySkip; return }
        $r = $Lab | Test-PodDnsLatency -Name api.example -ResolvConf $DecoyConf -Resolver glibc-2.36
        $r.Outcome | Should -Be 'ok'
        $r.Queries.Server | Select-Object -Unique | Should -Be $Lab.EndPoint.ToString()
        (Get-DnsLabQuery $Lab).Name | Should -Contain 'api.example.web.svc.cluster.local.'
        @(Get-DnsLabQuery $Decoy).Count | Should -Be 0
    }

    It 'a piped ResolvConf is -ResolvConf and a piped lab server -Server, in one pipeline' {
        if ($DecoySkip) { Set-ItResult -Skipped -Because $DecoySkip; return }
        $r = @($DecoyConf, $Lab) | Test-PodDnsLatency -Name api.example -Resolver musl-1.2.3
        $r.Outcome | Should -Be 'ok'
        # The piped resolv.conf's search list was used (ndots:5 → the search names first), against the lab server only.
        (Get-DnsLabQuery $Lab).Name | Should -Contain 'api.example.svc.cluster.local.'
        @(Get-DnsLabQuery $Decoy).Count | Should -Be 0
    }

    It 'New-PodResolvConf | Test-PodDnsLatency uses the pod''s resolv.conf, never its text as a name' {
        $r = New-PodResolvConf -Namespace web -ClusterDns 127.0.0.1 -WarningAction SilentlyContinue | Test-PodDnsLatency -Name api.example -Server $Lab -Resolver glibc-2.36
        @($r).Count | Should -Be 1
        $r.Name | Should -Be 'api.example'
        (Get-DnsLabQuery $Lab).Name | Should -Contain 'api.example.web.svc.cluster.local.'
    }

    It 'a piped lab server without -Name is an error before any query (it is not a name)' {
        if ($DecoySkip) { Set-ItResult -Skipped -Because $DecoySkip; return }
        $e = Get-BindingError { $Lab | Test-PodDnsLatency -ResolvConf $DecoyConf -Resolver musl-1.2.3 }
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike 'NameMissing,*'
        @(Get-DnsLabQuery $Decoy).Count | Should -Be 0
        @(Get-DnsLabQuery $Lab).Count | Should -Be 0
    }

    It 'names come from strings and from Name or HostName properties' {
        $r = [pscustomobject]@{ HostName = 'a.example' }, [pscustomobject]@{ Name = 'b.example' }, 'c.example' |
            Test-PodDnsLatency -ResolvConf 'options ndots:1' -Server $Lab -Resolver go-1.22
        $r.Name | Should -Be 'a.example', 'b.example', 'c.example'
    }

    It 'refuses a piped <Kind> while binding, and nothing is queried' -ForEach @(
        @{ Kind = 'DateTime'; Make = { Get-Date } }
        @{ Kind = 'object without Name or HostName'; Make = { [pscustomobject]@{ Address = '127.0.0.1' } } }
        @{ Kind = 'number'; Make = { 42 } }
        @{ Kind = 'hashtable'; Make = { @{ Name = 'x.example' } } }
        @{ Kind = 'IP address'; Make = { [ipaddress]'127.0.0.1' } }
    ) {
        $item = & $Make
        $e = Get-BindingError { $item | Test-PodDnsLatency -ResolvConf $DecoyConf -Server $Lab -Resolver musl-1.2.3 }
        $e | Should -Not -BeNullOrEmpty
        $e.Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
        $e.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $e.Exception.Message | Should -BeLike '*cannot be used here: this command takes names*'
        @(Get-DnsLabQuery $Lab).Count | Should -Be 0
        if ($Decoy) { @(Get-DnsLabQuery $Decoy).Count | Should -Be 0 }

        $e = Get-BindingError { $item | Get-ResolverQueryPlan -ResolvConf $DecoyConf }
        $e.Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
    }

    It 'refuses an explicit -Server that is neither an address nor a lab server (no ToString())' {
        $e = Get-BindingError { Test-PodDnsLatency -Name a.example -ResolvConf $DecoyConf -Server ([pscustomobject]@{ Note = '127.0.0.1' }) -Resolver musl-1.2.3 }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidServer,*'
        @(Get-DnsLabQuery $Lab).Count | Should -Be 0
        if ($Decoy) { @(Get-DnsLabQuery $Decoy).Count | Should -Be 0 }
    }

    It 'Get-DnsServerBehavior: a piped ResolvConf and lab server are -ResolvConf and -Server; only the lab server is asked' {
        if ($DecoySkip) { Set-ItResult -Skipped -Because $DecoySkip; return }
        $b = @($DecoyConf, $Lab) | Get-DnsServerBehavior -Name api.example -Count 1 -Timeout 1
        $b | Should -Not -BeNullOrEmpty
        (Get-DnsLabQuery $Lab).Name | Should -Contain 'api.example.web.svc.cluster.local.'
        @(Get-DnsLabQuery $Decoy).Count | Should -Be 0
        $before = @(Get-DnsLabQuery $Lab).Count
        (Get-BindingError { Get-Date | Get-DnsServerBehavior -Server $Lab -Count 1 }).Exception |
            Should -BeOfType [System.Management.Automation.ParameterBindingException]
        @(Get-DnsLabQuery $Lab).Count | Should -Be $before
    }

    It 'Get-ResolverQueryPlan: a piped ResolvConf is -ResolvConf, piped names wait for it' {
        $plans = 'a.example', $DecoyConf, 'b.example' | Get-ResolverQueryPlan -Resolver musl-1.2.3
        $plans.Name | Should -Be 'a.example', 'b.example'
        $plans[0].Queries[0].Name | Should -Be 'a.example.web.svc.cluster.local.'
        $DecoyConf | Get-ResolverQueryPlan -Name c.example | ForEach-Object Name | Should -Be 'c.example'
    }

    It 'Get-ResolverQueryPlan refuses a piped lab server and a second resolv.conf' {
        (Get-BindingError { $Lab | Get-ResolverQueryPlan -Name a.example -ResolvConf $DecoyConf }).Exception |
            Should -BeOfType [System.Management.Automation.ParameterBindingException]
        (Get-BindingError { $DecoyConf | Get-ResolverQueryPlan -Name a.example -ResolvConf 'nameserver 127.0.0.1' }).FullyQualifiedErrorId |
            Should -BeLike 'ResolvConfGivenTwice,*'
    }
}

Describe 'Text cmdlets parse text and files only' -Tag Binding {
    It 'ConvertFrom-ResolvConf refuses a DateTime instead of parsing its text' {
        (Get-BindingError { Get-Date | ConvertFrom-ResolvConf }).Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
    }

    It 'ConvertFrom-ResolvConf reads a piped file literally (brackets in its name)' {
        $file = Join-Path $TestDrive 'pod[1].conf'
        [IO.File]::WriteAllText($file, "nameserver 127.0.0.9`n")
        $rc = Get-Item -LiteralPath $file | ConvertFrom-ResolvConf
        $rc.Nameservers | Should -Be '127.0.0.9'
    }

    It 'Read-DnsCapture and Measure-DnsCapture refuse a DateTime instead of reading its text' {
        (Get-BindingError { Get-Date | Read-DnsCapture }).Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
        (Get-BindingError { Get-Date | Measure-DnsCapture }).Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
    }

    It 'Read-DnsCapture | Measure-DnsCapture still measures the queries' {
        $text = '09:13:49.074130 IP 10.0.0.5.59071 > 10.96.0.10.53: 47843+ A? api.example. (29)',
                '09:13:49.084130 IP 10.96.0.10.53 > 10.0.0.5.59071: 47843 1/0/0 A 1.2.3.4 (45)'
        $lookups = $text | Read-DnsCapture | Measure-DnsCapture
        @($lookups).Count | Should -Be 1
        $lookups.Client | Should -Be '10.0.0.5'
    }
}

Describe 'Image cmdlets: layers are not images, profiles are checked as they are' -Tag Binding {
    BeforeAll {
        . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'fx')
    }

    It 'Get-ImageLayer | Get-ImageFile is a binding error, not the merged file once per layer' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $image = "docker-archive:$Fx/layered.docker.tar"
        @(Get-ImageLayer $image).Count | Should -BeGreaterThan 1
        $out = @()
        $e = try { $out = @(Get-ImageLayer $image | Get-ImageFile -Path /etc/resolv.conf -ErrorAction Stop); $null } catch { $_ }
        $out.Count | Should -Be 0
        $e.Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
        $e.Exception.Message | Should -BeLike '*is not an image: pipe the image reference*'
        # The image reference itself still binds.
        @([pscustomobject]@{ Image = $image } | Get-ImageFile -Path /etc/resolv.conf).Count | Should -Be 1
    }

    It 'Get-ImageDnsProfile | Test-ImageDns checks the profile without reading the image again' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $copy = Join-Path $TestDrive 'alpine-once.oci.tar'
        Copy-Item "$Fx/alpine-apk.oci.tar" $copy
        $profile = Get-ImageDnsProfile "oci-archive:$copy"
        Remove-Item $copy   # read again, it would be "not found"
        $findings = $profile | Test-ImageDns -ErrorAction Stop
        $findings.RuleId | Should -Contain 'DNS-MUSL-001'
        $findings.Image | Select-Object -Unique | Should -Be "oci-archive:$copy"
        $json = $profile | Test-ImageDns -Format Json -ErrorAction Stop | ConvertFrom-Json
        $json | Should -Not -BeNullOrEmpty
    }

    It 'Test-ImageDns refuses a piped DateTime' {
        (Get-BindingError { Get-Date | Test-ImageDns }).Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
        (Get-BindingError { Get-Date | Get-ImageDnsProfile }).Exception | Should -BeOfType [System.Management.Automation.ParameterBindingException]
    }
}
