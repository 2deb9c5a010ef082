BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:PodConf = "nameserver 10.96.0.10`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5`n"
    $script:Seed = @('AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN')
}

Describe 'Get-ResolverQueryPlan' {
    It 'reproduces the incident report: musl 5 s with AAAA re-sends, glibc 1.7 s' {
        $rc = $PodConf | ConvertFrom-ResolvConf
        $musl, $glibc = Get-ResolverQueryPlan -Name elink.spic.com.cn -ResolvConf $rc -Resolver musl-1.2.3, glibc-2.36 -ServerBehavior $Seed
        $musl | Should -BeOfType 'DnsTools.Core.Resolvers.QueryPlan'
        $musl.TotalTime.TotalSeconds | Should -Be 5
        $musl.ResultCode | Should -Be 'EAI_AGAIN'
        @($musl.Queries | Where-Object { $_.Name -eq 'elink.spic.com.cn.' -and "$($_.Type)" -eq 'AAAA' }).Count | Should -Be 5
        $glibc.TotalTime.TotalSeconds | Should -Be 1.7
        $glibc.ResultCode | Should -Be 'ok'
        $glibc.QueryCount | Should -Be 8
    }

    It 'takes the resolv.conf as an object, a path or text, and names from the pipeline' {
        $path = Join-Path $TestDrive 'pod-resolv.conf'
        Set-Content $path $PodConf -NoNewline
        $fromPath = Get-ResolverQueryPlan x.example -ResolvConf $path
        $fromText = Get-ResolverQueryPlan x.example -ResolvConf $PodConf
        $fromPath.QueryCount | Should -Be $fromText.QueryCount
        $fromPath.Candidates[0] | Should -Be 'x.example.tke-test.svc.cluster.local.'
        $plans = 'a.example', 'b.example.' | Get-ResolverQueryPlan -ResolvConf $path -Resolver musl, glibc, go
        $plans.Count | Should -Be 6
        ($plans | Select-Object -First 3 | ForEach-Object { "$($_.Resolver)" }) | Should -Be @('musl-1.2.3', 'glibc-2.36', 'go-1.22')
    }

    It 'requires -ResolvConf: no default reads this machine''s /etc/resolv.conf' {
        # Required here or from the pipeline (a piped ResolvConf binds to it); without either, an error, not a default.
        $e = try { Get-ResolverQueryPlan x.example -ErrorAction Stop; $null } catch { $_ }
        $e.FullyQualifiedErrorId | Should -BeLike 'ResolvConfMissing,*'
        $e.Exception.Message | Should -BeLike '*/etc/resolv.conf is never read by default*'
    }

    It 'rejects an unknown resolver and an unreadable rule with errors that say what is accepted' {
        { Get-ResolverQueryPlan x.example -ResolvConf $PodConf -Resolver uclibc-1.0 -ErrorAction Stop } | Should -Throw "*'uclibc-1.0' is not a uclibc-ng version*"
        { Get-ResolverQueryPlan x.example -ResolvConf $PodConf -Resolver musl-0.9.0 -ErrorAction Stop } | Should -Throw "*older than the first release modelled, musl-1.1.0*"
        { Get-ResolverQueryPlan x.example -ResolvConf $PodConf -Resolver bionic -ErrorAction Stop } | Should -Throw '*musl-<version>, glibc-<version>, go-<version> or uclibc-ng-<version>*'
        { Get-ResolverQueryPlan x.example -ResolvConf $PodConf -ServerBehavior 'AAAA * SERVFAIL' -ErrorAction Stop } | Should -Throw '*NAME-PATTERN -> OUTCOME*'
    }

    It 'accepts the version strings users copy, warns for a release newer than modelled and plans uClibc-ng' {
        $plans = Get-ResolverQueryPlan x.example -ResolvConf $PodConf -Resolver musl-1.2.4_git20230717, musl-1.2.4-r0, glibc-2.36-9+deb12u14, glibc-2.41, uclibc-ng-1.0.x
        ($plans | ForEach-Object { "$($_.Resolver)" }) | Should -Be @('musl-1.2.4', 'musl-1.2.4', 'glibc-2.36', 'glibc-2.41', 'uclibc-ng-1.0.52')
        $plan = Get-ResolverQueryPlan x.example -ResolvConf $PodConf -Resolver musl-1.3.0 -WarningVariable w -WarningAction SilentlyContinue
        "$($plan.Resolver)" | Should -Be 'musl-1.3.0'
        "$w" | Should -BeLike '*behaviour of musl-1.2.5 is used*'
        $u = Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $PodConf -Resolver uclibc-ng -ServerBehavior $Seed
        ($u.Queries | ForEach-Object { "$($_.Type) $($_.Name)" }) | Should -Be @('AAAA elink.spic.com.cn.', 'AAAA elink.spic.com.cn.tke-test.svc.cluster.local.', 'AAAA elink.spic.com.cn.svc.cluster.local.', 'AAAA elink.spic.com.cn.cluster.local.', 'A elink.spic.com.cn.')
        $u.SocketCount | Should -Be 5
    }

    It 'lists each query with socket, attempt, reason and response' {
        $q = (Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $PodConf -ServerBehavior $Seed).Queries
        $q[8].Reason | Should -Be 'ResendAfterServfail'
        $q[8].Attempt | Should -Be 2
        $q[8].Socket | Should -Be 4
        $q[8].SendTime.TotalMilliseconds | Should -Be 1700
        $q[-1].Handling | Should -Match 'after the socket closed'
    }

    It 'has a help example that reproduces the incident report from its resolv.conf and server behaviour' {
        $example = (Get-Help Get-ResolverQueryPlan -Examples).examples.example[0].code
        $musl, $glibc = & ([scriptblock]::Create($example))
        "$($musl.Resolver) $($musl.ResultCode) $($musl.TotalTime.TotalSeconds) $($musl.QueryCount)" | Should -Be 'musl-1.2.3 EAI_AGAIN 5 12'
        "$($glibc.Resolver) $($glibc.ResultCode) $($glibc.TotalTime.TotalSeconds) $($glibc.QueryCount)" | Should -Be 'glibc-2.36 ok 1.7 8'
    }

    It 'formats plans and queries readably in a terminal' {
        $plan = Get-ResolverQueryPlan elink.spic.com.cn -ResolvConf $PodConf -Resolver glibc-2.36 -ServerBehavior $Seed
        # Grouped by name (whole on its group line), the columns fit 80 characters (Views tests check every view).
        $text = $plan | Out-String -Width 80
        $text | Should -Match 'Name: elink\.spic\.com\.cn'
        $text | Should -Match 'glibc-2\.36\s+ok\s+1\.700 s\s+8\s+4'
        $queries = $plan.Queries | Out-String -Width 80
        $queries | Should -Match 'Name: elink\.spic\.com\.cn\.\s'
        $queries | Should -Match '8\s+0\.000 s\s+4 10\.96\.0\.10\s+AAAA\s+1 NextCandidate\s+ServFail 1\.700s'
    }

    It 'writes each plan''s assumptions as verbose messages' {
        $null = Get-ResolverQueryPlan x.example -ResolvConf "nameserver 10.0.0.1`noptions rotate" -Resolver glibc-2.36 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Tee-Object -Variable verbose
        ($verbose -join "`n") | Should -Match 'rotate'
    }
}
