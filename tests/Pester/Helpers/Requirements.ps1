# Why an integration test cannot run here, or $null: the programs (on PATH) and files it needs, with the reason
# the Test task could not install Debian packages when it could not. Dot-source, then call Get-MissingRequirement.
function script:Get-MissingRequirement([string[]] $Tools = @(), [string[]] $Files = @()) {
    $missing = @($Tools | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    # A file stands for its Debian package in the message (the musl loader: musl).
    $missing += @($Files | Where-Object { -not (Test-Path $_.Split('=')[0]) } | ForEach-Object { $_.Split('=')[-1] })
    if ($missing.Count -eq 0) { return $null }
    "needs $($missing -join ', ')" + $(if ($env:DNSTOOLS_APT_UNAVAILABLE) { " ($env:DNSTOOLS_APT_UNAVAILABLE)" })
}
