# Tab completion as a user meets it: TabExpansion2 on a command line, the completers in the module, real images, a
# real lab server and a real dockerd.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    function script:Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

Describe 'Tab completion' -Tag Completion {
    It '-Resolver offers the families and known releases from ResolverSpec, each one a resolver the cmdlets take' {
        $known = [DnsTools.Core.Resolvers.ResolverSpec]::KnownNames
        $musl12 = Complete 'Get-ResolverQueryPlan -Resolver musl-1.2'
        $musl12 | Should -Contain 'musl-1.2.3'
        $musl12 | Should -Contain 'musl-1.2.4'
        $musl12 | Should -Be @($known | Where-Object { $_ -like 'musl-1.2*' })
        $g = Complete 'Test-PodDnsLatency -Name a.example -Resolver g'
        $g | Should -Contain 'glibc'
        $g | Should -Contain 'glibc-2.36'
        $g | Should -Contain 'go-1.22'
        $g | Should -Not -Contain 'musl'
        foreach ($r in Complete 'Get-ResolverQueryPlan -Resolver ') {
            (Get-ResolverQueryPlan -Name a.example -ResolvConf 'nameserver 10.96.0.10' -Resolver $r).Resolver | Should -Not -BeNullOrEmpty
        }
    }

    It '-ExcludeRule offers the rule ids, the same set docs/rules documents' {
        $documented = (Get-ChildItem (Join-Path $env:DNSTOOLS_REPO_ROOT 'docs/rules') -Filter 'DNS-*.md').BaseName | Sort-Object
        (Complete 'Test-ImageDns -Image x -ExcludeRule ') | Sort-Object | Should -Be $documented
        Complete 'Test-ImageDns -Image x -ExcludeRule DNS-GLIBC' | Should -Be @($documented | Where-Object { $_ -like 'DNS-GLIBC*' })
    }

    It '-ServerBehavior offers whole rules of the grammar, then outcomes after the arrow; each parses' {
        $rules = Complete 'Get-ResolverQueryPlan -Name a -ServerBehavior '
        $rules | Should -Contain "'AAAA * -> SERVFAIL after 1700ms'"
        foreach ($r in $rules) {
            $rule = $r.Trim("'")
            { Get-ResolverQueryPlan -Name a -ResolvConf 'nameserver 127.0.0.1' -ServerBehavior $rule -ErrorAction Stop } | Should -Not -Throw
        }
        Complete "Get-ResolverQueryPlan -Name a -ServerBehavior 'AAAA * -> SE" | Should -Be "'AAAA * -> SERVFAIL'"
        Complete "Get-ResolverQueryPlan -Name a -ServerBehavior '*.cluster.local -> n" | Should -Be "'*.cluster.local -> NXDOMAIN'", "'*.cluster.local -> NODATA'", "'*.cluster.local -> no answer'"
        Complete 'Start-DnsLabServer -Rule *.clu' | Should -Be "'*.cluster.local -> NXDOMAIN'"
    }

    It '-Server offers the lab servers that run, and only while they run' {
        $lab = Start-DnsLabServer
        try {
            $offered = Complete 'Test-PodDnsLatency -Name a.example -Server '
            $offered | Should -Contain "$($lab.EndPoint)"
        }
        finally { $lab | Stop-DnsLabServer }
        Complete 'Test-PodDnsLatency -Name a.example -Server ' | Should -Not -Contain "$($lab.EndPoint)"
    }
}

Describe 'Tab completion of images' -Tag Completion, ImageDns {
    BeforeAll {
        . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
        if ($SkipReason) { return }
        # A two-platform OCI layout made of two fixture images.
        $script:Multi = Join-Path $TestDrive 'multi'
        Copy-Item -Recurse "$Fx/oci" $Multi
        $index = Get-Content "$Multi/index.json" -Raw | ConvertFrom-Json
        $byName = @{}; foreach ($m in $index.manifests) { $byName[$m.annotations.'org.opencontainers.image.ref.name'] = $m }
        $index.manifests = @(
            @{ mediaType = $byName['alpine-apk'].mediaType; digest = $byName['alpine-apk'].digest; size = $byName['alpine-apk'].size; platform = @{ os = 'linux'; architecture = 'amd64' } }
            @{ mediaType = $byName['glibc-dpkg'].mediaType; digest = $byName['glibc-dpkg'].digest; size = $byName['glibc-dpkg'].size; platform = @{ os = 'linux'; architecture = 'arm64'; variant = 'v8' } })
        $index | ConvertTo-Json -Depth 5 | Set-Content "$Multi/index.json"
    }

    It '-Image offers the transport schemes, then files and folders after a path scheme' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Complete 'Test-ImageDns -Image oci-' | Should -Be 'oci-archive:', 'oci-dir:'
        Complete 'Get-ImageLayer -Image ' | Should -Contain 'docker:'
        Push-Location $Fx
        try {
            $files = Complete 'Test-ImageDns -Image oci-archive:'
            $expected = (Get-ChildItem $Fx | Sort-Object { $_.Name } -Culture '' | ForEach-Object { 'oci-archive:' + $_.Name + $(if ($_.PSIsContainer) { '/' }) })
            $files | Should -Be $expected
            Complete 'Get-ImageDnsProfile -Image oci-archive:gl' | Should -Be 'oci-archive:glibc-dpkg.oci.tar'
            Complete 'Get-ImageFile -Image oci-dir:oc' | Should -Be 'oci-dir:oci/'
            Complete 'Get-ImageFile -Image oci-dir:oci/bl' | Should -Be 'oci-dir:oci/blobs/'
        }
        finally { Pop-Location }
    }

    It '-Platform offers all and the platforms of the bound image''s index' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Complete "Test-ImageDns -Image oci-dir:$Multi -Platform " | Should -Be 'all', 'linux/amd64', 'linux/arm64/v8'
        Complete "Get-ImageDnsProfile -Image oci-dir:$Multi -Platform linux/ar" | Should -Be 'linux/arm64/v8'
        Complete "Get-ImageLayer -Image oci-archive:$Fx/static.oci.tar -Platform " | Should -Be 'linux/amd64'
        Complete 'Test-ImageDns -Platform ' | Should -Be 'all'
    }

    It '-Image docker: offers the names a running dockerd holds, and nothing (quickly) when none answers' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $saved = $env:DOCKER_HOST
        try {
            $env:DOCKER_HOST = 'unix:///nonexistent/docker.sock'
            $sw = [Diagnostics.Stopwatch]::StartNew()
            Complete 'Test-ImageDns -Image docker:' | Should -BeNullOrEmpty
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 3
            $missing = Get-MissingRequirement -Tools 'dockerd', 'docker'
            if ($missing) { Set-ItResult -Skipped -Because $missing; return }
            if ((& id -u) -ne '0') { Set-ItResult -Skipped -Because 'dockerd needs root'; return }
            $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'dk') -Force
            $sock = "$dir/docker.sock"
            $dockerd = Start-Process -FilePath (Get-Command dockerd -CommandType Application | Select-Object -First 1).Source -PassThru `
                -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log" -ArgumentList @(
                '--host', "unix://$sock", '--data-root', "$dir/data", '--exec-root', "$dir/exec", '--pidfile', "$dir/docker.pid",
                '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none')
            try {
                $ready = $false
                for ($i = 0; $i -lt 100 -and -not $ready; $i++) {
                    if (Test-Path $sock) { & docker -H "unix://$sock" version *> $null; $ready = $LASTEXITCODE -eq 0 }
                    if (-not $ready) { Start-Sleep -Milliseconds 200 }
                }
                if (-not $ready) { throw 'dockerd did not answer within 20 s' }
                & docker -H "unix://$sock" load -i "$Fx/layered.docker.tar" *> $null
                & docker -H "unix://$sock" tag dnstools/layered:latest team/app:1.4
                $env:DOCKER_HOST = "unix://$sock"
                Complete 'Test-ImageDns -Image docker:' | Should -Be 'docker:dnstools/layered:latest', 'docker:team/app:1.4'
                Complete 'Test-ImageDns -Image docker:te' | Should -Be 'docker:team/app:1.4'
            }
            finally {
                & kill -TERM $dockerd.Id
                if (-not $dockerd.WaitForExit(15000)) { Stop-Process -Id $dockerd.Id -Force -ErrorAction SilentlyContinue }
                & mountpoint -q "$dir/data"
                if ($LASTEXITCODE -eq 0) { & umount "$dir/data" }
            }
        }
        finally { $env:DOCKER_HOST = $saved }
    }
}
