# Shared by the image DNS tests (ImageDns, Lint, CiGate): builds the real lint fixture images
# (tests/fixtures/New-DnsLintFixtures.sh) into $Fx, or sets $SkipReason when the tools are missing.
# Dot-source in BeforeAll with the folder to build into.
param([Parameter(Mandatory)] [string] $Folder)

$script:SkipReason = $null
$missingTools = @('umoci', 'skopeo', 'tar') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) }
if (-not (Test-Path /usr/lib/x86_64-linux-musl/libc.so)) { $missingTools += 'musl' }
if ($missingTools) {
    $script:SkipReason = "needs $($missingTools -join ', ')" + $(if ($env:DNSTOOLS_APT_UNAVAILABLE) { " ($env:DNSTOOLS_APT_UNAVAILABLE)" })
    return
}
$script:Fx = $Folder
$fixtureLog = & bash (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-DnsLintFixtures.sh') $Fx 2>&1 | Out-String
if ($LASTEXITCODE -ne 0) { throw "New-DnsLintFixtures.sh failed ($LASTEXITCODE): $fixtureLog" }
