# Get-ImageFile on a long read: Write-Progress per layer, and Stop (Ctrl+C) ends it promptly through
# StopProcessing -> CancellationToken. The image (one 1.5 GiB file of zeros, gzip, as 16 layers sharing that
# blob, the most duplicates allowed: 24 GiB to decompress, read with a ceiling above the default 8 GiB) is
# written here with .NET's own tar and gzip; nothing else is needed. One layer of zeros alone inflates in about
# 150 ms, too short to stop reliably.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:Layout = Join-Path $TestDrive 'big-oci'
    New-Item -ItemType Directory "$Layout/blobs/sha256" -Force | Out-Null
    $zero = Join-Path $TestDrive 'zero.bin'
    $fs = [IO.File]::Create($zero); $fs.SetLength(1536MB); $fs.Dispose()     # sparse: reads as zeros, costs no disk
    $tmp = Join-Path $TestDrive 'layer.tmp'

    $gzHash = [Security.Cryptography.SHA256]::Create()
    $tarHash = [Security.Cryptography.SHA256]::Create()
    $out = [IO.File]::Create($tmp)
    $gzTee = [Security.Cryptography.CryptoStream]::new($out, $gzHash, [Security.Cryptography.CryptoStreamMode]::Write)
    $gz = [IO.Compression.GZipStream]::new($gzTee, [IO.Compression.CompressionLevel]::Fastest)
    $tarTee = [Security.Cryptography.CryptoStream]::new($gz, $tarHash, [Security.Cryptography.CryptoStreamMode]::Write)
    $tw = [Formats.Tar.TarWriter]::new($tarTee, [Formats.Tar.TarEntryFormat]::Pax, $true)
    $tw.WriteEntry([Formats.Tar.PaxTarEntry]::new([Formats.Tar.TarEntryType]::Directory, 'etc'))
    $e = [Formats.Tar.PaxTarEntry]::new([Formats.Tar.TarEntryType]::RegularFile, 'etc/resolv.conf')
    $e.DataStream = [IO.MemoryStream]::new([Text.Encoding]::ASCII.GetBytes("nameserver 10.96.0.10`n"))
    $tw.WriteEntry($e)
    $tw.WriteEntry($zero, 'zero.bin')
    $tw.Dispose(); $tarTee.Dispose()   # flushes the chain down to the file
    $script:DiffId = 'sha256:' + [Convert]::ToHexString($tarHash.Hash).ToLower()
    $layerDigest = 'sha256:' + [Convert]::ToHexString($gzHash.Hash).ToLower()
    $layerSize = (Get-Item $tmp).Length
    Move-Item $tmp "$Layout/blobs/sha256/$($layerDigest.Substring(7))"
    Remove-Item $zero

    function Add-Blob([string] $Text) {
        $bytes = [Text.Encoding]::UTF8.GetBytes($Text)
        $d = 'sha256:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)).ToLower()
        [IO.File]::WriteAllBytes("$Layout/blobs/sha256/$($d.Substring(7))", $bytes)
        @{ digest = $d; size = $bytes.Length }
    }
    $script:LayerCount = 16
    $config = Add-Blob (@{ architecture = 'amd64'; os = 'linux'; rootfs = @{ type = 'layers'; diff_ids = @(1..$LayerCount | ForEach-Object { $DiffId }) } } | ConvertTo-Json -Depth 4 -Compress)
    $manifest = Add-Blob (@{
            schemaVersion = 2; mediaType = 'application/vnd.oci.image.manifest.v1+json'
            config = @{ mediaType = 'application/vnd.oci.image.config.v1+json'; digest = $config.digest; size = $config.size }
            layers = @(1..$LayerCount | ForEach-Object { @{ mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'; digest = $layerDigest; size = $layerSize } })
        } | ConvertTo-Json -Depth 5 -Compress)
    @{ schemaVersion = 2; manifests = @(@{ mediaType = 'application/vnd.oci.image.manifest.v1+json'; digest = $manifest.digest; size = $manifest.size }) } |
        ConvertTo-Json -Depth 5 -Compress | Set-Content "$Layout/index.json" -NoNewline
    '{"imageLayoutVersion":"1.0.0"}' | Set-Content "$Layout/oci-layout" -NoNewline
}

Describe 'Get-ImageFile on a long read' {
    It 'writes progress for the layer and stops promptly when the pipeline is stopped' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:DNSTOOLS_MODULE_MANIFEST'; Get-ImageFile -Image 'oci-dir:$Layout' -Path /etc/resolv.conf -MaxDecompressedBytes 32GB")
            $handle = $ps.BeginInvoke()
            $sw = [Diagnostics.Stopwatch]::StartNew()
            # Wait until the read is under way (a progress record after some bytes), then stop it.
            while ($sw.Elapsed.TotalSeconds -lt 30 -and -not ($ps.Streams.Progress | Where-Object StatusDescription -like 'layer */16 *' | Select-Object -Skip 1)) {
                if ($handle.IsCompleted) { break }
                Start-Sleep -Milliseconds 20
            }
            $handle.IsCompleted | Should -BeFalse -Because '16 layers of 1.5 GiB take longer than that to read'
            $stopWatch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $stopWatch.Elapsed.TotalSeconds | Should -BeLessThan 3
            Write-Host "    stopped $([math]::Round($stopWatch.Elapsed.TotalMilliseconds)) ms after Stop(), $(@($ps.Streams.Progress).Count) progress records"
            ($ps.Streams.Progress | Select-Object -First 1).Activity | Should -BeLike "Reading oci-dir:*"
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
        }
    }

    It 'reads it whole when not stopped, within the decompressed-byte ceiling' {
        $f = Get-ImageFile -Image "oci-dir:$Layout" -Path /etc/resolv.conf -MaxDecompressedBytes 32GB
        $f.Content | Should -Be "nameserver 10.96.0.10`n"
        Get-ImageFile -Image "oci-dir:$Layout" -Path /etc/resolv.conf -MaxDecompressedBytes 1GB -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
    }
}
