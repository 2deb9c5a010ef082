# One read per layer, as a user sees it: Get-ImageDnsProfile and Test-ImageDns say in their Verbose output how many
# bytes they decompressed, and that equals the image's uncompressed layers as gzip counts them.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
    if ($SkipReason) { return }
    $script:Glibc = "oci-archive:$Fx/glibc-dpkg.oci.tar"
    # The uncompressed size of the layers, by gzip: not by the code under test.
    $layers = @(Get-Content "$Fx/expected/glibc-dpkg.layers" | Where-Object { $_ } | ForEach-Object { "$Fx/oci/blobs/$($_.Replace(':', '/'))" })
    # (TestDrive paths have no spaces: no quoting to go wrong between pwsh and bash.)
    $script:Uncompressed = [long](& bash -c 'gzip -dc $* | wc -c' bash $layers)
    if ($Uncompressed -le 0) { throw "gzip counted no bytes in $($layers -join ', ')" }
}

Describe 'Reading an image once' -Tag ImageDns {
    It 'Get-ImageDnsProfile decompresses each layer once and says so' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $verbose = Get-ImageDnsProfile -Image $Glibc -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $profile = Get-ImageDnsProfile -Image $Glibc
        $profile.DecompressedBytes | Should -Be $Uncompressed
        $profile.LayerReads | Should -Be 1
        ($verbose.Message -join "`n") | Should -Match ('(?<![\d,.])' + [regex]::Escape(('{0:N0} decompressed bytes in 1 read(s)' -f $Uncompressed)))
    }

    It 'Test-ImageDns reads no more than the profile' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $verbose = Test-ImageDns -Image $Glibc -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose.Message -join "`n") | Should -Match ('(?<![\d,.])' + [regex]::Escape(('{0:N0} decompressed bytes in 1 read(s)' -f $Uncompressed)))
    }
}
