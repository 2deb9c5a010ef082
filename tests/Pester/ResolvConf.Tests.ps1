BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
}

Describe 'ConvertFrom-ResolvConf' {
    It 'reads text from the pipeline line by line (Get-Content) and whole (-Raw) alike' {
        $file = Join-Path $TestDrive 'pod-resolv.conf'
        "search ns.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5`n" | Set-Content $file -NoNewline
        $byLine = Get-Content $file | ConvertFrom-ResolvConf
        $whole = Get-Content $file -Raw | ConvertFrom-ResolvConf
        $byLine | Should -BeOfType 'DnsTools.Core.ResolvConf.ResolvConf'
        @($byLine).Count | Should -Be 1
        $byLine.Search | Should -Be @('ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local')
        $whole.Search | Should -Be $byLine.Search
        $byLine.Musl.Ndots | Should -Be 5
        "$($byLine.Nameservers[0])" | Should -Be '10.96.0.10'
    }

    It 'reads files by -Path, by wildcard and from Get-ChildItem, one object per file' {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'files')
        'nameserver 10.0.0.1' | Set-Content (Join-Path $dir 'a.conf')
        'nameserver 10.0.0.2' | Set-Content (Join-Path $dir 'b.conf')
        $byWildcard = ConvertFrom-ResolvConf -Path (Join-Path $dir '*.conf')
        $byWildcard.Count | Should -Be 2
        $fromPipe = Get-ChildItem $dir -Filter '*.conf' | ConvertFrom-ResolvConf
        ($fromPipe | ForEach-Object { "$($_.Nameservers[0])" }) | Sort-Object | Should -Be @('10.0.0.1', '10.0.0.2')
        $fromPipe[0].Source | Should -BeLike '*.conf'
    }

    It 'warns with the line number and keeps going' {
        $rc = "nameserver 10.0.0.1:53`nsearch a.example`nfrobnicate yes" | ConvertFrom-ResolvConf -WarningVariable warnings -WarningAction SilentlyContinue
        $rc.Search | Should -Be 'a.example'
        $warnings.Count | Should -Be 2
        "$($warnings[0])" | Should -Match 'pipeline:1: .*port'
        "$($warnings[1])" | Should -Match 'pipeline:3: unknown keyword'
    }

    It 'reports a missing file as an error naming it, without stopping other files' {
        'nameserver 10.0.0.1' | Set-Content (Join-Path $TestDrive 'ok.conf')
        $missing = Join-Path $TestDrive 'missing.conf'
        $out = ConvertFrom-ResolvConf -Path $missing, (Join-Path $TestDrive 'ok.conf') -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errs.Count | Should -Be 1
        "$($errs[0])" | Should -Match 'missing\.conf'
    }

    It 'shows what each resolver makes of the file side by side' {
        $rc = "nameserver 10.96.0.10`noptions ndots:20 timeout:90 attempts:9 single-request-reopen" | ConvertFrom-ResolvConf
        $rows = $rc.Resolvers
        $rows.Family | Should -Be @('Musl', 'Glibc', 'Go')
        $rows.Ndots | Should -Be @(15, 15, 15)
        $rows.TimeoutSeconds | Should -Be @(60, 30, 90)
        $rows.Attempts | Should -Be @(9, 5, 9)
        $rc.Musl.IgnoredOptions | Should -Be 'single-request-reopen'
        $rc.Glibc.SingleRequestReopen | Should -BeTrue
    }

    It 'formats readably in a terminal' {
        $rc = "search a.example`nnameserver 10.0.0.1`noptions ndots:2 rotate" | ConvertFrom-ResolvConf
        $list = $rc | Out-String
        $list | Should -Match 'Nameservers\s*:\s*10\.0\.0\.1'
        $list | Should -Match 'musl\s*:\s*ndots:2 timeout:5 attempts:2\s+ignores: rotate'
        $table = $rc.Resolvers | Format-Table | Out-String
        $table | Should -Match 'Resolver\s+Ndots\s+Timeout\s+Attempts'
        $table | Should -Match 'Glibc\s+2\s+5s\s+2\s+10\.0\.0\.1\s+a\.example\s+Rotate'
    }
}

Describe 'ConvertTo-ResolvConf' {
    It 'gives back exactly the text that was read' {
        $text = "# by hand`n`nnameserver 10.0.0.1   # primary`nsortlist 10.0.0.0/255.0.0.0`noptions rotate frobnicate`n"
        ($text | ConvertFrom-ResolvConf | ConvertTo-ResolvConf) | Should -BeExactly $text
    }
}

Describe 'New-PodResolvConf' {
    It 'forms the incident report pod''s resolv.conf' {
        New-PodResolvConf -Namespace tke-test -ClusterDns 10.96.0.10 | ConvertTo-ResolvConf |
            Should -BeExactly "search tke-test.svc.cluster.local svc.cluster.local cluster.local`nnameserver 10.96.0.10`noptions ndots:5`n"
    }

    It 'merges a dnsConfig hashtable the way kubelet does' {
        $rc = New-PodResolvConf -Namespace web -ClusterDns 10.96.0.10 -HostResolvConf "nameserver 192.0.2.53`nsearch corp.example`noptions timeout:2" -DnsConfig @{
            nameservers = '10.96.0.11'
            searches    = 'corp.example', 'extra.example'
            options     = @{ name = 'ndots'; value = '2' }, 'single-request-reopen'
        }
        $rc.Search | Should -Be @('web.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'extra.example')
        ($rc.Nameservers | ForEach-Object { "$_" }) | Should -Be @('10.96.0.10', '10.96.0.11')
        ($rc.Options | ForEach-Object { "$_" }) | Should -Be @('ndots:2', 'single-request-reopen')
        $rc.Glibc.SingleRequestReopen | Should -BeTrue
        $rc.Musl.IgnoredOptions | Should -Be 'single-request-reopen'
    }

    It 'takes the node''s resolv.conf as a path' {
        $node = Join-Path $TestDrive 'node-resolv.conf'
        "nameserver 192.0.2.53`nsearch corp.example" | Set-Content $node
        $rc = New-PodResolvConf -DnsPolicy Default -HostResolvConf $node
        "$($rc.Nameservers[0])" | Should -Be '192.0.2.53'
        $rc.Search | Should -Be 'corp.example'
    }

    It 'refuses a -HostResolvConf that is neither a file nor resolv.conf text' {
        { New-PodResolvConf -DnsPolicy Default -HostResolvConf 'no-such-file.conf' } | Should -Throw '*no-such-file.conf*'
    }

    It 'warns when kubelet would fall back from ClusterFirst' {
        $rc = New-PodResolvConf -HostResolvConf 'nameserver 192.0.2.53' -WarningVariable w -WarningAction SilentlyContinue
        "$($rc.Nameservers[0])" | Should -Be '192.0.2.53'
        ($w -join "`n") | Should -Match 'Falling back to "Default"'
    }

    It 'rejects what the API server rejects, naming the problem' {
        New-PodResolvConf -DnsPolicy None -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$($e[0])" | Should -Match 'None needs dnsConfig with at least one nameserver'
        { New-PodResolvConf -ClusterDns 'kube-dns' -ErrorAction Stop } | Should -Throw '*not an IP address*'
        { New-PodResolvConf -DnsConfig @{ nameserver = '1.1.1.1' } } | Should -Throw "*no field 'nameserver'*"
    }

    It 'cuts nameservers beyond three with kubelet''s warning' {
        $rc = New-PodResolvConf -ClusterDns 10.0.0.1 -DnsConfig @{ nameservers = '10.0.0.2', '10.0.0.3', '10.0.0.4' } -WarningVariable w -WarningAction SilentlyContinue
        $rc.Nameservers.Count | Should -Be 3
        ($w -join "`n") | Should -Match 'Nameserver limits were exceeded'
    }
}
