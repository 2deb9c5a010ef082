# Safety conventions as a user meets them: -WhatIf/-Confirm, -OutFile that never overwrites without -Force,
# -LiteralPath and wildcards that match nothing, Get-DnsLabServer, and ErrorRecords that name one offending item.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force

    # The error a command raises (terminating or, with -ErrorAction Stop, the first non-terminating one).
    function script:Get-CommandError([scriptblock] $Command) {
        try { & $Command | Out-Null; $null }
        catch { $_ }
    }

    # A minimal unpacked image (dir:) with an Alpine os-release, for -OutFile tests without image tools.
    $script:Rootfs = Join-Path $TestDrive 'rootfs'
    New-Item -ItemType Directory (Join-Path $Rootfs 'etc') -Force | Out-Null
    Set-Content (Join-Path $Rootfs 'etc/os-release') "ID=alpine`nVERSION_ID=3.20.0`nPRETTY_NAME=`"Alpine Linux v3.20`""
    Set-Content (Join-Path $Rootfs 'etc/resolv.conf') "nameserver 10.96.0.10`noptions ndots:5"
    $script:Tcpdump = '09:13:49.074130 IP 10.0.0.5.59071 > 10.96.0.10.53: 47843+ A? api.example. (29)',
                      '09:13:49.084130 IP 10.96.0.10.53 > 10.0.0.5.59071: 47843 1/0/0 A 1.2.3.4 (45)'
}

Describe 'Lab servers: -WhatIf, -Confirm and Get-DnsLabServer' -Tag Safety {
    AfterEach { Get-DnsLabServer | Stop-DnsLabServer }

    It 'Start-DnsLabServer -WhatIf starts nothing; Stop-DnsLabServer -WhatIf stops nothing' {
        $before = @(Get-DnsLabServer).Count
        Start-DnsLabServer -WhatIf | Should -BeNullOrEmpty
        @(Get-DnsLabServer).Count | Should -Be $before
        $lab = Start-DnsLabServer
        $lab | Stop-DnsLabServer -WhatIf
        $lab.IsRunning | Should -BeTrue
        $lab | Stop-DnsLabServer -Confirm:$false
        $lab.IsRunning | Should -BeFalse
    }

    It 'the lab cmdlets and Test-ImageDns support ShouldProcess' -ForEach 'Start-DnsLabServer', 'Stop-DnsLabServer', 'Test-ImageDns' {
        (Get-Command $_).Parameters.Keys | Should -Contain 'WhatIf'
        (Get-Command $_).Parameters.Keys | Should -Contain 'Confirm'
    }

    It 'Get-DnsLabServer lists the running servers and forgets stopped ones' {
        $a = Start-DnsLabServer '* -> NXDOMAIN'
        $b = Start-DnsLabServer
        $listed = @(Get-DnsLabServer)
        $listed.EndPoint | Should -Contain $a.EndPoint
        $listed.EndPoint | Should -Contain $b.EndPoint
        @(Get-DnsLabServer -Port $a.EndPoint.Port).EndPoint | Should -Be $a.EndPoint
        $a | Stop-DnsLabServer
        (Get-DnsLabServer).EndPoint | Should -Not -Contain $a.EndPoint
        (Get-DnsLabServer).EndPoint | Should -Contain $b.EndPoint
    }
}

Describe 'Test-ImageDns -OutFile never overwrites without -Force' -Tag Safety {
    It 'refuses an existing file before reading any image, and leaves it as it was' {
        $out = Join-Path $TestDrive 'existing.json'
        Set-Content $out 'keep me'
        $e = Get-CommandError { Test-ImageDns -Image "dir:$Rootfs" -Format Json -OutFile $out }
        $e.FullyQualifiedErrorId | Should -BeLike 'OutFileExists,*'
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
        $e.TargetObject | Should -Be $out
        Get-Content $out -Raw | Should -Be "keep me$([Environment]::NewLine)"
    }

    It 'overwrites with -Force; -WhatIf writes nothing' {
        $out = Join-Path $TestDrive 'forced.json'
        Set-Content $out 'old'
        Test-ImageDns -Image "dir:$Rootfs" -Format Json -OutFile $out -Force
        (Get-Content $out -Raw | ConvertFrom-Json) | Should -Not -BeNullOrEmpty
        $new = Join-Path $TestDrive 'whatif.json'
        Test-ImageDns -Image "dir:$Rootfs" -Format Json -OutFile $new -WhatIf
        Test-Path $new | Should -BeFalse
    }
}

Describe '-LiteralPath, and a wildcard that matches nothing is an error' -Tag Safety {
    BeforeAll {
        $script:Capture = Join-Path $TestDrive 'pod[1].pcap'
        [IO.File]::WriteAllLines($Capture, [string[]]$Tcpdump)
        $script:Conf = Join-Path $TestDrive 'resolv[1].conf'
        [IO.File]::WriteAllText($Conf, "nameserver 127.0.0.9`n")
    }

    It 'Read-DnsCapture -LiteralPath reads pod[1].pcap; -Path pod[1].pcap is an error saying so, not 0 queries' {
        @(Read-DnsCapture -LiteralPath $Capture).Count | Should -Be 1
        $errors = $null
        $q = @(Read-DnsCapture -Path $Capture -ErrorAction SilentlyContinue -ErrorVariable errors)
        $q.Count | Should -Be 0
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'CaptureNotFound,*'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be $Capture
        $errors[0].Exception.Message | Should -BeLike '*-LiteralPath*'
    }

    It 'Measure-DnsCapture -LiteralPath measures it; a pattern matching nothing is an error' {
        @(Measure-DnsCapture -LiteralPath $Capture).Count | Should -Be 1
        $e = Get-CommandError { Measure-DnsCapture -Path (Join-Path $TestDrive 'nothing-*.pcap') -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -BeLike 'CaptureNotFound,*'
        $e.TargetObject | Should -Be (Join-Path $TestDrive 'nothing-*.pcap')
    }

    It 'ConvertFrom-ResolvConf -LiteralPath reads resolv[1].conf; -Path of it and a missing literal file are errors' {
        (ConvertFrom-ResolvConf -LiteralPath $Conf).Nameservers | Should -Be '127.0.0.9'
        $e = Get-CommandError { ConvertFrom-ResolvConf -Path $Conf -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -BeLike 'ResolvConfNotFound,*'
        $e.TargetObject | Should -Be $Conf
        $e = Get-CommandError { ConvertFrom-ResolvConf -LiteralPath (Join-Path $TestDrive 'missing.conf') -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -BeLike 'ResolvConfNotFound,*'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'ErrorRecords name the error, its category and the one offending item' -Tag Safety {
    It '<Case>' -ForEach @(
        @{ Case = 'Start-DnsLabServer: the one bad rule'; Id = 'InvalidRule'; Category = 'InvalidArgument'; Target = 'A * means nothing'
           Command = { Start-DnsLabServer '*.cluster.local -> NXDOMAIN', 'A * means nothing' } }
        @{ Case = 'Get-ResolverQueryPlan: the one bad -ServerBehavior rule'; Id = 'InvalidServerBehavior'; Category = 'InvalidArgument'; Target = 'AAAA * SERVFAIL'
           Command = { Get-ResolverQueryPlan x.example -ResolvConf 'nameserver 127.0.0.1' -ServerBehavior 'A * -> NXDOMAIN', 'AAAA * SERVFAIL' } }
        @{ Case = 'Get-ResolverQueryPlan: the one unknown resolver'; Id = 'UnknownResolver'; Category = 'InvalidArgument'; Target = 'uclibc-1.0'
           Command = { Get-ResolverQueryPlan x.example -ResolvConf 'nameserver 127.0.0.1' -Resolver musl-1.2.3, uclibc-1.0 } }
        @{ Case = 'Test-PodDnsLatency: the one bad server'; Id = 'InvalidServer'; Category = 'InvalidArgument'; Target = 'kube-dns.kube-system'
           Command = { Test-PodDnsLatency -Name a.example -ResolvConf 'nameserver 127.0.0.1' -Server '127.0.0.1:1', 'kube-dns.kube-system' } }
        @{ Case = 'Measure-DnsCapture: the one bad -Client pattern'; Id = 'InvalidClientPattern'; Category = 'InvalidArgument'; Target = '10.0.0.[5'
           Command = { $Tcpdump | Measure-DnsCapture -Client '10.*', '10.0.0.[5' } }
        @{ Case = 'Test-ImageDns: an unwritable -OutFile'; Id = 'OutFileUnwritable'; Category = 'WriteError'; Target = 'TESTDRIVE/no-such-dir/x.sarif'
           Command = { Test-ImageDns -Image "dir:$Rootfs" -Format Sarif -OutFile (Join-Path $TestDrive 'no-such-dir/x.sarif') } }
        @{ Case = 'Test-ImageDns -FailOn: the failing image'; Id = 'ImageDnsGateFailed'; Category = 'InvalidResult'; Target = 'dir:TESTDRIVE/missing-rootfs'
           Command = { Test-ImageDns -Image "dir:$Rootfs", "dir:$(Join-Path $TestDrive 'missing-rootfs')" -Format Json -FailOn Error -ErrorAction SilentlyContinue } }
        @{ Case = 'Test-ImageDns: an unreadable image'; Id = 'ImageNotFound'; Category = 'ObjectNotFound'; Target = 'dir:TESTDRIVE/missing-rootfs'
           Command = { Test-ImageDns -Image "dir:$Rootfs", "dir:$(Join-Path $TestDrive 'missing-rootfs')" -Format Json -ErrorAction Stop } }
        @{ Case = 'Read-DnsCapture: a missing file'; Id = 'CaptureNotFound'; Category = 'ObjectNotFound'; Target = 'TESTDRIVE/none.pcap'
           Command = { Read-DnsCapture -LiteralPath (Join-Path $TestDrive 'none.pcap') -ErrorAction Stop } }
    ) {
        $e = Get-CommandError $Command
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.TargetObject | Should -Not -BeOfType [System.Array]
        # Targets under the test drive are written TESTDRIVE/… (it does not exist while Pester discovers the cases).
        "$($e.TargetObject)" | Should -Be ($Target -replace '(^|:)TESTDRIVE', "`$1$TestDrive")
    }

    It 'Start-DnsLabServer on a port in use: CannotListen, the endpoint as target' {
        $lab = Start-DnsLabServer
        try {
            $e = Get-CommandError { Start-DnsLabServer -Port $lab.EndPoint.Port }
            $e.FullyQualifiedErrorId | Should -BeLike 'CannotListen,*'
            $e.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $e.TargetObject | Should -Be $lab.EndPoint
        }
        finally { $lab | Stop-DnsLabServer }
    }
}
