# dnstools-lint (src/DnsTools.Lint) as a CI job runs it: packed as a dotnet tool, installed into a
# tool path from the local package, run against REAL images (tests/fixtures/New-DnsLintFixtures.sh).
BeforeAll {
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/SarifSchema.ps1')
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
    if ($SkipReason) { return }
    $pkg = Join-Path $TestDrive 'pkg'
    $log = & dotnet pack (Join-Path $env:DNSTOOLS_REPO_ROOT 'src/DnsTools.Lint/DnsTools.Lint.csproj') -c Release -o $pkg --nologo -v quiet 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "dotnet pack failed: $log" }
    $tools = Join-Path $TestDrive 'tools'
    # A package cache of its own: the user-wide one may hold an older DnsTools.Lint 0.1.0.
    $saved = $env:NUGET_PACKAGES
    $env:NUGET_PACKAGES = Join-Path $TestDrive 'nuget-cache'
    try { $log = & dotnet tool install DnsTools.Lint --version 0.1.0 --tool-path $tools --add-source $pkg --ignore-failed-sources 2>&1 | Out-String }
    finally { $env:NUGET_PACKAGES = $saved }
    if ($LASTEXITCODE -ne 0) { throw "dotnet tool install failed: $log" }
    $script:Lint = Join-Path $tools 'dnstools-lint'
    $script:Alpine = "oci-archive:$Fx/alpine-apk.oci.tar"
    $script:Glibc = "oci-archive:$Fx/glibc-dpkg.oci.tar"
    function script:Invoke-Lint {
        $out = & $Lint @args 2>&1 | Out-String
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
    }
}

Describe 'dnstools-lint' -Tag ImageDns {
    It 'exits 1 on findings at --fail-on, 0 below it, and the report lists every finding' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $sarif = Join-Path $TestDrive 'lint.sarif'
        $r = Invoke-Lint --fail-on warning --format sarif -o $sarif $Alpine $Glibc
        $r.ExitCode | Should -Be 1
        $r.Output | Should -Match ([regex]::Escape($Alpine) + ': DNS-MUSL-001, DNS-MUSL-002, DNS-CONF-001')
        $doc = Get-Content $sarif -Raw | ConvertFrom-Json
        $doc.version | Should -Be '2.1.0'
        $doc.runs[0].results.ruleId | Should -Be 'DNS-MUSL-001', 'DNS-MUSL-002', 'DNS-CONF-001', 'DNS-CONF-002', 'DNS-CONF-002', 'DNS-GLIBC-001', 'DNS-GLIBC-002'
        (Invoke-Lint --fail-on error $Alpine $Glibc).ExitCode | Should -Be 0
        (Invoke-Lint $Glibc).ExitCode | Should -Be 0
        if ($SarifSchemaSkipReason) { Set-ItResult -Skipped -Because "SARIF schema check: $SarifSchemaSkipReason"; return }
        $errors = @(Get-SarifSchemaError $sarif)
        $errors | Should -BeNullOrEmpty -Because ($errors -join "`n")
    }

    It 'exits 2 on a usage error or an image it cannot read, and honours ignore files and exclusions' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Invoke-Lint --fail-on sometimes $Alpine).ExitCode | Should -Be 2
        (Invoke-Lint).ExitCode | Should -Be 2
        $r = Invoke-Lint "oci-archive:$Fx/missing.tar"
        $r.ExitCode | Should -Be 2
        $r.Output | Should -Match 'missing.tar'
        $ignore = Join-Path $TestDrive 'lint-ignore'
        'DNS-MUSL-001 # CoreDNS answers AAAA', 'DNS-MUSL-002 2020-01-01 # expired' | Set-Content $ignore
        $r = Invoke-Lint --fail-on warning --exclude DNS-CONF-001 --ignore-file $ignore --format json $Alpine
        $r.ExitCode | Should -Be 1
        $r.Output | Should -Match 'expired on 2020-01-01'
        $r.Output | Should -Match 'DNS-MUSL-002 at or above warning'
        $r.Output | Should -Not -Match '"ruleId": "DNS-CONF-001"'
        (Invoke-Lint --list-rules).Output | Should -Match 'DNS-ENTRY-001\tWarning'
    }
}

Describe 'dnstools-lint failures' -Tag ImageDns, LintCli {
    BeforeAll {
        if ($SkipReason) { return }
        $script:NotAnImage = Join-Path $TestDrive 'not-an-image.tar'
        'just text' | Set-Content $NotAnImage
        $script:Truncated = Join-Path $TestDrive 'truncated.oci.tar'
        $bytes = [IO.File]::ReadAllBytes("$Fx/alpine-apk.oci.tar")
        [IO.File]::WriteAllBytes($Truncated, $bytes[0..([math]::Min(4095, $bytes.Length - 1))])
        $script:BadIgnore = Join-Path $TestDrive 'bad-ignore'
        'DNS-MUSL-001 tomorrow' | Set-Content $BadIgnore
        # Runs the CLI with stderr kept apart: exit code, stderr lines, stdout.
        function script:Invoke-LintSplit {
            $errFile = Join-Path $TestDrive 'stderr.txt'
            $out = & $Lint @args 2>$errFile | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Stderr = @(Get-Content $errFile | Where-Object { $_ }); Stdout = $out }
        }
    }

    # Every failure the cmdlets' error tests cover (ImageDns/Lint/Images tests), plus what only a CLI meets.
    It 'exits 2 with one line on stderr naming the input: <Case>' -ForEach @(
        @{ Case = 'output folder missing'; Argv = { '-o', '/missing/dir/x.sarif', $Alpine }; Names = '/missing/dir' }
        @{ Case = 'output is a folder'; Argv = { '-o', $TestDrive, $Alpine }; Names = 'is a directory' }
        @{ Case = 'missing image file'; Argv = { "oci-archive:$Fx/missing.tar" }; Names = 'missing\.tar' }
        @{ Case = 'not an image'; Argv = { $NotAnImage }; Names = 'not-an-image\.tar' }
        @{ Case = 'truncated archive'; Argv = { "oci-archive:$Truncated" }; Names = 'truncated\.oci\.tar' }
        @{ Case = 'registry reference without host'; Argv = { 'registry:alpine' }; Names = 'alpine' }
        @{ Case = 'daemon not running'; Argv = { '--platform', 'linux/amd64', 'docker:dnstools/none:1' }; Env = 'unix:///nonexistent/docker.sock'; Names = 'dnstools/none:1' }
        @{ Case = 'malformed platform'; Argv = { '--platform', 'linux', $Alpine }; Names = 'platform' }
        @{ Case = 'platform not offered'; Argv = { '--platform', 'linux/s390x', $Alpine }; Names = 's390x' }
        @{ Case = 'ignore file missing'; Argv = { '--ignore-file', (Join-Path $TestDrive 'no-such-ignore'), $Alpine }; Names = 'no-such-ignore' }
        @{ Case = 'ignore file with a bad date'; Argv = { '--ignore-file', $BadIgnore, $Alpine }; Names = 'tomorrow' }
        @{ Case = 'bad --fail-on'; Argv = { '--fail-on', 'sometimes', $Alpine }; Names = 'sometimes' }
        @{ Case = 'bad --format'; Argv = { '--format', 'xml', $Alpine }; Names = 'xml' }
        @{ Case = 'unknown option'; Argv = { '--frobnicate', $Alpine }; Names = 'frobnicate' }
        @{ Case = 'option without its value'; Argv = { $Alpine, '--output' }; Names = 'output' }
        @{ Case = 'no image'; Argv = { }; Names = 'image' }
        @{ Case = 'bad --max-entries'; Argv = { '--max-entries', '-5', $Alpine }; Names = 'max-entries' }
        @{ Case = 'bad --max-compression-ratio'; Argv = { '--max-compression-ratio', '0', $Alpine }; Names = 'max-compression-ratio' }
        @{ Case = 'more entries than --max-entries'; Argv = { '--max-entries', '3', $Alpine }; Names = 'alpine.*more than 3 entries.*--max-entries' }
        @{ Case = 'more layers than --max-layers'; Argv = { '--max-layers', '1', "oci-dir:$Fx/oci:layered" }; Names = 'layered.*more than the 1 allowed \(--max-layers' }
    ) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $argv = @(& $Argv)
        $saved = $env:DOCKER_HOST
        if ($Env) { $env:DOCKER_HOST = $Env }
        try { $sw = [Diagnostics.Stopwatch]::StartNew(); $r = Invoke-LintSplit @argv }
        finally { $env:DOCKER_HOST = $saved }
        $r.ExitCode | Should -Be 2 -Because ($r.Stderr -join "`n")
        $r.Stderr.Count | Should -Be 1 -Because ($r.Stderr -join "`n")
        $r.Stderr[0] | Should -Match '^dnstools-lint: '
        $r.Stderr[0] | Should -Match $Names
        $r.Stderr[0] | Should -Not -Match 'Unhandled|Exception'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'checks the output path before the scan: no report, no scan when the folder is missing' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-LintSplit -o /missing/dir/x.sarif "oci-archive:$Fx/missing.tar"
        $r.ExitCode | Should -Be 2
        # The missing image is not even opened: the output path fails first.
        $r.Stderr | Should -Not -Match 'missing\.tar'
        $r.Stdout | Should -BeNullOrEmpty
    }
}

Describe 'dnstools-lint speaks like trivy, grype and hadolint' -Tag ImageDns, LintCli {
    BeforeAll {
        if ($SkipReason) { return }
        # A CI step: a bash script with the tool on PATH, run in its own folder; exit code, stdout, stderr apart.
        function script:Invoke-CiScript([string] $Script, [string] $Folder = (Join-Path $TestDrive 'ci')) {
            New-Item -ItemType Directory $Folder -Force | Out-Null
            $file = Join-Path $Folder 'step.sh'
            "set -u`nexport PATH='$(Split-Path $Lint)':`"`$PATH`"`n$Script" | Set-Content $file
            $out = & bash -c "cd '$Folder' && bash ./step.sh 2>stderr.txt" | Out-String
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Stdout = $out; Stderr = (Get-Content (Join-Path $Folder 'stderr.txt') -Raw) + '' }
        }
    }

    It 'prints its version with --version, -v and the version subcommand' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-CiScript 'dnstools-lint --version && dnstools-lint version && dnstools-lint -v'
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        ($r.Stdout.Trim() -split "`n") | Should -Be 'dnstools-lint 0.1.0', 'dnstools-lint 0.1.0', 'dnstools-lint 0.1.0'
    }

    It 'takes --flag=value like --flag value, -f/--format, -o/--output, and -q keeps notes off stderr' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-CiScript @"
dnstools-lint --format=json --output=a.json --fail-on=none '$Alpine'
dnstools-lint -f json -o b.json --fail-on none '$Alpine'
dnstools-lint --format sarif --output c.sarif --fail-on none '$Alpine'
echo 'DNS-NOPE-001' > .dnsignore
dnstools-lint -q -f json --fail-on none '$Alpine' > d.json
"@
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $ci = Join-Path $TestDrive 'ci'
        $a = Get-Content "$ci/a.json" -Raw | ConvertFrom-Json
        $b = Get-Content "$ci/b.json" -Raw | ConvertFrom-Json
        $a.findings.ruleId | Should -Be 'DNS-MUSL-001', 'DNS-MUSL-002', 'DNS-CONF-001', 'DNS-CONF-002'
        $b.findings.ruleId | Should -Be $a.findings.ruleId
        $a.tool.name | Should -Be 'dnstools-lint'
        $a.images[0].manifestDigest | Should -Match '^sha256:[a-f0-9]{64}$'
        if (-not $SarifSchemaSkipReason) {
            $errors = @(Get-JsonSchemaError (Join-Path $env:DNSTOOLS_REPO_ROOT 'docs/schema/dnstools-report.schema.json') "$ci/a.json")
            $errors | Should -BeNullOrEmpty -Because ($errors -join "`n")
        }
        (Get-Content "$ci/c.sarif" -Raw | ConvertFrom-Json).version | Should -Be '2.1.0'
        (Get-Content "$ci/d.json" -Raw | ConvertFrom-Json).findings.ruleId | Should -Be $a.findings.ruleId
        # The .dnsignore written above names an unknown rule: a warning, which -q keeps quiet.
        $r.Stderr | Should -BeNullOrEmpty
        Remove-Item "$ci/.dnsignore" -Force
    }

    It '--severity filters what is reported; --fail-on still gates on what is reported' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $r = Invoke-CiScript "dnstools-lint -f json --fail-on none '$Alpine' '$Glibc'"
        $all = ($r.Stdout | ConvertFrom-Json).findings
        $warnings = @($all | Where-Object severity -eq 'Warning')
        $warnings.Count | Should -BeGreaterThan 0
        @($all | Where-Object severity -ne 'Warning').Count | Should -BeGreaterThan 0
        $r = Invoke-CiScript "dnstools-lint -f json --severity=warning --fail-on warning '$Alpine' '$Glibc'"
        $r.ExitCode | Should -Be 1
        $shown = ($r.Stdout | ConvertFrom-Json).findings
        $shown.ruleId | Should -Be $warnings.ruleId
        # Only info findings reported: the warning gate has nothing to fail on.
        $r = Invoke-CiScript "dnstools-lint -f json --severity info --fail-on warning '$Alpine' '$Glibc'"
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        ($r.Stdout | ConvertFrom-Json).findings.severity | Sort-Object -Unique | Should -Be 'Info'
        (Invoke-CiScript "dnstools-lint --severity none '$Alpine'").ExitCode | Should -Be 2
    }

    It 'reads .dnsignore from the working directory; --ignore-file overrides it and --no-ignore-file turns it off' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $folder = Join-Path $TestDrive 'ci-ignore'
        New-Item -ItemType Directory $folder -Force | Out-Null
        'DNS-MUSL-001 # CoreDNS answers AAAA' | Set-Content (Join-Path $folder '.dnsignore')
        'DNS-MUSL-002 # no big answers' | Set-Content (Join-Path $folder 'other-ignore')
        function Suppressed($r) { @(($r.Stdout | ConvertFrom-Json).findings | Where-Object suppressed).ruleId }
        $r = Invoke-CiScript "dnstools-lint -f json --fail-on none '$Alpine'" $folder
        Suppressed $r | Should -Be 'DNS-MUSL-001'
        $r.Stderr | Should -Match '\.dnsignore'
        Suppressed (Invoke-CiScript "dnstools-lint -f json --fail-on none --ignore-file=other-ignore '$Alpine'" $folder) | Should -Be 'DNS-MUSL-002'
        Suppressed (Invoke-CiScript "dnstools-lint -f json --fail-on none --no-ignore-file '$Alpine'" $folder) | Should -BeNullOrEmpty
    }

    It 'speaks its own option syntax in messages, and the table says 0 findings when clean' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        # A two-platform OCI layout made of two fixture images: its error names the option to choose one.
        $multi = Join-Path $TestDrive 'multi'
        Copy-Item -Recurse "$Fx/oci" $multi
        $index = Get-Content "$multi/index.json" -Raw | ConvertFrom-Json
        $byName = @{}; foreach ($m in $index.manifests) { $byName[$m.annotations.'org.opencontainers.image.ref.name'] = $m }
        $index.manifests = @(
            @{ mediaType = $byName['alpine-apk'].mediaType; digest = $byName['alpine-apk'].digest; size = $byName['alpine-apk'].size; platform = @{ os = 'linux'; architecture = 'amd64' } }
            @{ mediaType = $byName['glibc-dpkg'].mediaType; digest = $byName['glibc-dpkg'].digest; size = $byName['glibc-dpkg'].size; platform = @{ os = 'linux'; architecture = 'arm64' } })
        $index | ConvertTo-Json -Depth 5 | Set-Content "$multi/index.json"
        $r = Invoke-CiScript "dnstools-lint --platform linux/s390x 'oci-dir:$multi'"
        $r.Stderr | Should -Match 'offers linux/amd64, linux/arm64'
        $r.ExitCode | Should -Be 2
        $r.Stderr | Should -Match '--platform'
        $r.Stderr | Should -Not -Match '(^|\s)-Platform'
        $r = Invoke-CiScript "dnstools-lint --severity error '$Alpine' '$Glibc'"
        $r.ExitCode | Should -Be 0
        $r.Stdout.Trim() | Should -Be '0 findings in 2 images'
        $r = Invoke-CiScript "dnstools-lint --fail-on none '$Glibc'"
        ($r.Stdout.Trim() -split "`n")[-1] | Should -Be '3 findings in 1 image'
    }

    It 'the package carries licence, readme and tags (and no made-up project address)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $nupkg = Get-ChildItem (Join-Path $TestDrive 'pkg') -Filter 'DnsTools.Lint.*.nupkg' | Select-Object -First 1
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg.FullName)
        try {
            $entry = $zip.Entries | Where-Object FullName -eq 'DnsTools.Lint.nuspec'
            $reader = [IO.StreamReader]::new($entry.Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
            $zip.Entries.FullName | Should -Contain 'README.md'
        }
        finally { $zip.Dispose() }
        $m = $nuspec.package.metadata
        $m.license.type | Should -Be 'expression'
        $m.license.'#text' | Should -Be 'MIT'
        $m.readme | Should -Be 'README.md'
        $m.tags -split ' ' | Should -Contain 'dns'
        $m.tags -split ' ' | Should -Contain 'sarif'
        $m.projectUrl | Should -BeNullOrEmpty
    }
}

Describe 'dnstools-lint resolves a short name like docker and trivy' -Tag ImageDns, LintCli {
    BeforeAll {
        $script:ShortSkip = $SkipReason
        $script:Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
        $script:DockerDataRoot = $null
        if ($ShortSkip) { return }
        $script:ShortSkip = Get-MissingRequirement -Tools 'dockerd', 'docker', 'docker-registry', 'unshare'
        if (-not $ShortSkip -and (& id -u) -ne '0') { $script:ShortSkip = 'dockerd and unshare -n need root' }
        if ($ShortSkip) { return }
        # A real dockerd (everything under TestDrive, no network set-up), as Docker.Tests.ps1 starts it.
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'dk') -Force
        $script:Sock = "$dir/docker.sock"
        $script:DockerDataRoot = "$dir/data"
        $p = Start-Process -FilePath (Get-Command dockerd -CommandType Application | Select-Object -First 1).Source -PassThru `
            -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log" -ArgumentList @(
            '--host', "unix://$Sock", '--data-root', "$dir/data", '--exec-root', "$dir/exec", '--pidfile', "$dir/docker.pid",
            '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none')
        $Started.Add($p)
        # A real registry on loopback, as Registry.Tests.ps1 starts it: the docker.io mirror.
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $rdir = New-Item -ItemType Directory (Join-Path $TestDrive 'mirror') -Force
        "version: 0.1`nlog:`n  level: warn`nstorage:`n  filesystem:`n    rootdirectory: $rdir/data`nhttp:`n  addr: 127.0.0.1:$port" | Set-Content "$rdir/config.yml"
        $Started.Add((Start-Process -FilePath (Get-Command docker-registry -CommandType Application | Select-Object -First 1).Source -ArgumentList 'serve', "$rdir/config.yml" -PassThru `
            -RedirectStandardOutput "$rdir/out.log" -RedirectStandardError "$rdir/err.log"))
        $script:Mirror = "http://127.0.0.1:$port"
        $ready = $false
        for ($i = 0; $i -lt 100 -and -not $ready; $i++) {
            if (Test-Path $Sock) { & docker -H "unix://$Sock" version *> $null; $ready = $LASTEXITCODE -eq 0 }
            if (-not $ready) { Start-Sleep -Milliseconds 200 }
        }
        if (-not $ready) { throw "dockerd did not answer within 20 s: $(Get-Content "$dir/err.log" -Raw)" }
        # The daemon holds alpine:3.20 (the layered fixture under that name, so the source shows in the findings);
        # the mirror holds docker.io's library/alpine:3.19 (the musl fixture).
        $out = & docker -H "unix://$Sock" load -i "$Fx/layered.docker.tar" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "docker load failed: $out" }
        & docker -H "unix://$Sock" tag dnstools/layered:latest alpine:3.20
        $out = & skopeo copy -q --dest-tls-verify=false "oci-archive:$Fx/alpine-apk.oci.tar" "docker://127.0.0.1:$port/library/alpine:3.19" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "skopeo copy to the mirror failed: $out" }
        $script:DaemonJson = Join-Path $TestDrive 'daemon.json'
        @{ 'registry-mirrors' = @($Mirror) } | ConvertTo-Json | Set-Content $DaemonJson
        $script:Layered = (& $Lint -f json --fail-on none "docker-archive:$Fx/layered.docker.tar" | ConvertFrom-Json).findings.ruleId
        $script:Musl = (& $Lint -f json --fail-on none $Alpine | ConvertFrom-Json).findings.ruleId
    }

    AfterAll {
        foreach ($p in $Started) {
            if ($p.HasExited) { continue }
            & kill -TERM $p.Id
            if (-not $p.WaitForExit(15000)) { Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue }
        }
        if ($DockerDataRoot -and (Test-Path $DockerDataRoot)) {
            & mountpoint -q $DockerDataRoot
            if ($LASTEXITCODE -eq 0) { & umount $DockerDataRoot }
        }
    }

    It 'takes the image from the local daemon when it holds it' {
        if ($ShortSkip) { Set-ItResult -Skipped -Because $ShortSkip; return }
        $r = Invoke-CiScript "DOCKER_HOST=unix://$Sock dnstools-lint -f json --fail-on none --daemon-config '$DaemonJson' alpine:3.20"
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $r.Stderr | Should -Match 'alpine:3\.20 is docker\.io/library/alpine:3\.20, read from the local daemon'
        ($r.Stdout | ConvertFrom-Json).findings.ruleId | Should -Be $Layered
    }

    It 'else reads docker.io/library/NAME through the mirror of daemon.json or --registry-mirror' {
        if ($ShortSkip) { Set-ItResult -Skipped -Because $ShortSkip; return }
        $r = Invoke-CiScript "DOCKER_HOST=unix://$Sock dnstools-lint -f json --fail-on none --daemon-config '$DaemonJson' alpine:3.19"
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $r.Stderr | Should -Match ([regex]::Escape("alpine:3.19 is docker.io/library/alpine:3.19, read from the registry mirror $Mirror"))
        ($r.Stdout | ConvertFrom-Json).findings.ruleId | Should -Be $Musl
        # No daemon at all, the mirror as an option.
        $r = Invoke-CiScript "DOCKER_HOST=unix:///nonexistent/docker.sock dnstools-lint -f json --fail-on none --daemon-config /nonexistent.json --registry-mirror=$Mirror alpine:3.19"
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $r.Stderr | Should -Match 'read from the registry mirror'
        ($r.Stdout | ConvertFrom-Json).findings.ruleId | Should -Be $Musl
    }

    It 'else goes to docker.io itself (run in an empty network namespace: nothing leaves the machine)' {
        if ($ShortSkip) { Set-ItResult -Skipped -Because $ShortSkip; return }
        # unshare -n: no interface but a down loopback, so neither the name lookup nor a connection can leave.
        $r = Invoke-CiScript "DOCKER_HOST=unix:///nonexistent/docker.sock unshare -n dnstools-lint --daemon-config /nonexistent.json alpine:3.20"
        $r.ExitCode | Should -Be 2
        $r.Stderr | Should -Match 'alpine:3\.20 is docker\.io/library/alpine:3\.20, read from docker\.io \(registry-1\.docker\.io\)'
        $r.Stderr | Should -Match 'error: alpine:3\.20 \(registry:registry-1\.docker\.io/library/alpine:3\.20\)'
    }
}
