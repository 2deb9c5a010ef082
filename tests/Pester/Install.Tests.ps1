# Installs the built module the way a user does, from a local repository folder, into a throw-away
# HOME (so the user's modules and repository registrations are untouched), then calls a cmdlet in a
# fresh pwsh with no Import-Module. Every command names its repository, so nothing asks the
# PowerShell Gallery.
BeforeAll {
    $moduleDir = Split-Path $env:DNSTOOLS_MODULE_MANIFEST
    $version = (Import-PowerShellDataFile $env:DNSTOOLS_MODULE_MANIFEST).ModuleVersion
    $pwsh = Join-Path $PSHOME 'pwsh'
    # Our own folder, not TestDrive: Pester removes what an It block creates in TestDrive when the block ends.
    $work = Join-Path ([IO.Path]::GetTempPath()) "dnstools-install-$([guid]::NewGuid().ToString('N'))"
    $repo = Join-Path $work 'repo'
    New-Item -ItemType Directory $repo | Out-Null
    $publisher = Join-Path $env:DNSTOOLS_REPO_ROOT 'tools/Publish-LocalRepository.ps1'

    function Invoke-Isolated([string] $HomeName, [string] $Script) {
        $home_ = Join-Path $work $HomeName
        # .NET reports LocalApplicationData (where PSResourceGet keeps its repository list) only if
        # the folder exists; otherwise PSResourceGet writes into the current directory.
        New-Item -ItemType Directory (Join-Path $home_ '.local/share') -Force | Out-Null
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME; XDG_CACHE_HOME = $env:XDG_CACHE_HOME; PSModulePath = $env:PSModulePath }
        try {
            $env:HOME = $home_
            $env:XDG_DATA_HOME = Join-Path $home_ '.local/share'
            $env:XDG_CONFIG_HOME = Join-Path $home_ '.config'
            $env:XDG_CACHE_HOME = Join-Path $home_ '.cache'
            $env:PSModulePath = $null
            Push-Location $home_
            try { $out = & $pwsh -NoProfile -NonInteractive -Command $Script 2>&1 } finally { Pop-Location }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
        }
        finally {
            foreach ($k in $saved.Keys) { Set-Item "env:$k" -Value $saved[$k] }
        }
    }
}

AfterAll {
    if ($work -and (Test-Path $work)) { Remove-Item $work -Recurse -Force }
}

Describe 'Install from a local repository' -Tag 'Install' {
    It 'publishes the built module to a repository folder' {
        $r = Invoke-Isolated 'publisher' "& '$publisher' -ModuleDirectory '$moduleDir' -RepositoryPath '$repo'"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Get-ChildItem $repo -Filter "DnsTools.$version.nupkg" | Should -Not -BeNullOrEmpty
    }

    It 'installs with Install-Module and auto-loads in a fresh pwsh' {
        $install = "Register-PSRepository -Name Local -SourceLocation '$repo' -InstallationPolicy Trusted; Install-Module DnsTools -Repository Local -Scope CurrentUser -ErrorAction Stop"
        $r = Invoke-Isolated 'user-psget' $install
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r = Invoke-Isolated 'user-psget' "(Get-Module DnsTools).Count; (New-PodResolvConf -Namespace shop -ClusterDns 10.96.0.10).Search[0]; (Get-Module DnsTools).ModuleBase"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $lines = $r.Output.Trim() -split "`r?`n"
        $lines[0] | Should -Be '0'          # not loaded before the call: auto-loading did it
        $lines[1] | Should -Be 'shop.svc.cluster.local'
        $lines[2] | Should -BeLike "$work*user-psget*DnsTools*$version"
    }

    It 'installs with Install-PSResource and auto-loads in a fresh pwsh' {
        $install = "Register-PSResourceRepository -Name Local -Uri '$repo' -Trusted; Install-PSResource DnsTools -Repository Local -TrustRepository -ErrorAction Stop"
        $r = Invoke-Isolated 'user-psresource' $install
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r = Invoke-Isolated 'user-psresource' "('nameserver 10.0.0.1' | ConvertFrom-ResolvConf).Musl.Nameservers[0].ToString(); (Get-Module DnsTools).ModuleBase"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $lines = $r.Output.Trim() -split "`r?`n"
        $lines[0] | Should -Be '10.0.0.1'
        $lines[1] | Should -BeLike "$work*user-psresource*DnsTools*$version"
    }

    It 'installs with the README''s commands, as written (both PSResourceGet and PowerShellGet v2)' {
        $readme = Get-Content (Join-Path $env:DNSTOOLS_REPO_ROOT 'README.md') -Raw
        $block = [regex]::Match($readme, '(?s)Install from there as a user would:\s*```powershell\r?\n(.*?)```').Groups[1].Value
        $lines = @($block -split '\r?\n' | Where-Object { $_ -and -not $_.StartsWith('#') })
        $psresource = @($lines | Where-Object { $_ -match 'PSResource' })
        $psget = @($lines | Where-Object { $_ -match 'PSRepository|Install-Module' })
        $psresource.Count | Should -Be 2 -Because $block
        $psget.Count | Should -Be 2 -Because $block
        foreach ($case in @(@{ Home = 'readme-psresource'; Lines = $psresource }, @{ Home = 'readme-psget'; Lines = $psget })) {
            # The README runs from the repository root, where the Package task leaves out/repo.
            $out = Join-Path $work "$($case.Home)/out/repo"
            New-Item -ItemType Directory $out -Force | Out-Null
            Copy-Item (Join-Path $repo '*.nupkg') $out
            $script_ = '$ErrorActionPreference = ''Stop''; ' + ($case.Lines -join '; ')
            $r = Invoke-Isolated $case.Home $script_
            $r.ExitCode | Should -Be 0 -Because "$($case.Lines -join '; '): $($r.Output)"
            $r = Invoke-Isolated $case.Home "(New-PodResolvConf -Namespace shop -ClusterDns 10.96.0.10).Search[0]; (Get-Module DnsTools).ModuleBase"
            $r.ExitCode | Should -Be 0 -Because $r.Output
            $got = $r.Output.Trim() -split "`r?`n"
            $got[0] | Should -Be 'shop.svc.cluster.local'
            $got[1] | Should -BeLike "$work*$($case.Home)*DnsTools*$version"
        }
    }
}
