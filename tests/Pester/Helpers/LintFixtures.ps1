# Shared by the image DNS tests (ImageDns, Lint, CiGate): builds the real lint fixture images
# (tests/fixtures/New-DnsLintFixtures.sh) into $Fx, or sets $SkipReason when the tools are missing.
# Dot-source in BeforeAll with the folder to build into.
param([Parameter(Mandatory)] [string] $Folder)

. (Join-Path $PSScriptRoot 'Requirements.ps1')
$script:SkipReason = Get-MissingRequirement -Tools 'umoci', 'skopeo', 'tar' -Files '/usr/lib/x86_64-linux-musl/libc.so=musl'
if ($SkipReason) { return }
$script:Fx = $Folder
$fixtureLog = & bash (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-DnsLintFixtures.sh') $Fx 2>&1 | Out-String
if ($LASTEXITCODE -ne 0) { throw "New-DnsLintFixtures.sh failed ($LASTEXITCODE): $fixtureLog" }
