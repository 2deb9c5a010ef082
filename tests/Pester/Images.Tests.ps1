# Get-ImageFile / Get-ImageLayer against REAL images built by umoci and skopeo
# (tests/fixtures/New-ImageFixtures.sh). Expected answers come from `umoci unpack`, `find`,
# `skopeo inspect` and `gzip`, never from the code under test.
BeforeDiscovery {
    $tags = 'musl', 'glibc', 'layers', 'link-relative', 'link-absolute', 'link-dangling'
    $transports = 'oci-dir', 'oci-archive', 'docker-archive'
    $cases = foreach ($t in $tags) { foreach ($tr in $transports) { @{ Tag = $t; Transport = $tr } } }
}

BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:SkipReason = $null
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $script:SkipReason = Get-MissingRequirement -Tools 'umoci', 'skopeo', 'tar', 'find', 'gzip' -Files '/usr/lib/x86_64-linux-musl/libc.so=musl'
    if ($SkipReason) { return }
    $script:Fx = Join-Path $TestDrive 'fx'
    $script_ = Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-ImageFixtures.sh'
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $log = & bash $script_ $Fx 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "New-ImageFixtures.sh failed ($LASTEXITCODE): $log" }
    $script:FixtureSeconds = $sw.Elapsed.TotalSeconds
    Write-Host "    fixtures built in $([math]::Round($FixtureSeconds, 1)) s"

    function script:ImageRef([string] $Transport, [string] $Tag) {
        switch ($Transport) {
            'oci-dir' { "oci-dir:$Fx/oci:$Tag" }
            'oci-archive' { "oci-archive:$Fx/$Tag.oci.tar" }
            'docker-archive' { "docker-archive:$Fx/$Tag.docker.tar" }
        }
    }

    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/ImageTrees.ps1')
}

Describe 'Image fixtures' {
    It 'are built from Debian packages by umoci and skopeo in well under a minute' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $FixtureSeconds | Should -BeLessThan 60
        Test-Path (Join-Path $Fx 'oci/index.json') | Should -BeTrue
        Test-Path (Join-Path $Fx 'expected/musl/lib/ld-musl-x86_64.so.1') | Should -BeTrue
    }
}

Describe 'Get-ImageFile -Recurse / matches umoci unpack for <Tag> as <Transport>' -ForEach $cases {
    It 'lists the same paths, types, sizes and link targets' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $files = Get-ImageFile -Image (ImageRef $Transport $Tag) -Path / -Recurse -ErrorAction Stop
        $files | Should -Not -BeNullOrEmpty
        $files[0] | Should -BeOfType 'DnsTools.Core.Images.ImageFileInfo'
        (ActualTree $files) | Should -Be (ExpectedTree $Tag)
    }
}

Describe 'Get-ImageFile content' {
    It '<Tag>: /etc/resolv.conf has the content umoci unpacked (links followed inside the image)' -ForEach @(
        @{ Tag = 'musl'; Target = 'etc/resolv.conf' }
        @{ Tag = 'glibc'; Target = 'etc/resolv.conf' }
        @{ Tag = 'layers'; Target = 'etc/resolv.conf' }
        @{ Tag = 'link-relative'; Target = 'run/systemd/resolve/stub-resolv.conf' }
        @{ Tag = 'link-absolute'; Target = 'run/systemd/resolve/stub-resolv.conf' }
    ) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        # Read the expected file by its path inside the unpacked tree: an absolute link must never be followed on this host.
        $expected = [IO.File]::ReadAllText((Join-Path $Fx "expected/$Tag/$Target"))
        foreach ($tr in 'oci-dir', 'oci-archive', 'docker-archive') {
            $f = Get-ImageFile -Image (ImageRef $tr $Tag) -Path /etc/resolv.conf -ErrorAction Stop
            $f.Content | Should -BeExactly $expected -Because $tr
            $f.ResolvedPath | Should -Be "/$Target"
            Get-ImageFile -Image (ImageRef $tr $Tag) -Path /etc/resolv.conf -Raw | Should -BeExactly $expected
        }
    }

    It 'link-dangling: returns the link with IsDangling and a warning' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (& readlink (Join-Path $Fx 'expected/link-dangling/etc/resolv.conf')) | Should -Be '/run/systemd/resolve/stub-resolv.conf'
        $f = Get-ImageFile -Image (ImageRef 'oci-dir' 'link-dangling') -Path /etc/resolv.conf -WarningVariable w -WarningAction SilentlyContinue
        $f.IsDangling | Should -BeTrue
        $f.LinkTarget | Should -Be '/run/systemd/resolve/stub-resolv.conf'
        $f.Content | Should -BeNullOrEmpty
        "$w" | Should -Match 'dangling'
        Get-ImageFile -Image (ImageRef 'oci-dir' 'link-dangling') -Path /etc/resolv.conf -Raw -ErrorVariable e2 -ErrorAction SilentlyContinue -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$e2" | Should -Match 'leads nowhere'
    }

    It 'musl: libc.musl-x86_64.so.1 leads to the bytes of Debian''s musl libc.so (-AsByteStream)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $f = Get-ImageFile -Image (ImageRef 'oci-archive' 'musl') -Path /lib/libc.musl-x86_64.so.1
        $f.LinkTarget | Should -Be 'ld-musl-x86_64.so.1'
        $f.ResolvedPath | Should -Be '/lib/ld-musl-x86_64.so.1'
        $bytes = Get-ImageFile -Image (ImageRef 'oci-archive' 'musl') -Path /lib/libc.musl-x86_64.so.1 -AsByteStream
        $bytes.GetType() | Should -Be ([byte[]])
        $hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes))
        $hash | Should -Be (Get-FileHash /usr/lib/x86_64-linux-musl/libc.so -Algorithm SHA256).Hash
    }

    It 'glibc: libc.so.6 through the merged-/usr /lib link is the host''s libc' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $bytes = Get-ImageFile -Image (ImageRef 'docker-archive' 'glibc') -Path /lib/x86_64-linux-gnu/libc.so.6 -AsByteStream
        [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes)) | Should -Be (Get-FileHash /lib/x86_64-linux-gnu/libc.so.6 -Algorithm SHA256).Hash
        $listing = Get-ImageFile -Image (ImageRef 'oci-dir' 'glibc') -Path /lib -Recurse
        $listing.Path | Should -Contain '/usr/lib/x86_64-linux-gnu/libc.so.6'
    }

    It 'reads the umoci insert layer that lacks the tar end-of-archive marker' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $manifest = & skopeo inspect --raw "oci:$Fx/oci:musl" | ConvertFrom-Json
        $blob = Join-Path $Fx "oci/blobs/sha256/$($manifest.layers[-1].digest.Substring(7))"
        $tarLength = [int](& bash -c "gzip -dc '$blob' | wc -c")
        $tarLength % 512 | Should -Not -Be 0 -Because 'the quirk: no end-of-archive marker, no padding'
        (Get-ImageFile -Image (ImageRef 'oci-dir' 'musl') -Path /etc/hosts).Content | Should -BeExactly ([IO.File]::ReadAllText("$Fx/expected/musl/etc/hosts"))
    }

    It 'zstd layers and the old docker save layout give the same tree as the gzip OCI image' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageLayer -Image "oci-dir:$Fx/zstd").Compression | Should -Be @('Zstd', 'Zstd')
        (ActualTree (Get-ImageFile -Image "oci-dir:$Fx/zstd" -Path / -Recurse)) | Should -Be (ExpectedTree 'layers')
        (ActualTree (Get-ImageFile -Image "$Fx/layers.docker-old.tar" -Path / -Recurse)) | Should -Be (ExpectedTree 'layers')
    }

    It '-Path wildcards match what a glob over the umoci-unpacked tree matches; -LiteralPath takes them literally' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $root = "$Fx/expected/layers"
        $expected = Get-ChildItem -Path "$root/etc/*.conf" -Force | ForEach-Object { $_.FullName.Substring($root.Length) } | Sort-Object
        $expected | Should -Not -BeNullOrEmpty
        $got = Get-ImageFile -Image "oci-dir:$Fx/oci:layers" -Path '/etc/*.conf'
        $got.Path | Should -Be $expected
        ($got | Where-Object Path -eq '/etc/resolv.conf').Content | Should -BeExactly ([IO.File]::ReadAllText("$root/etc/resolv.conf"))
        Get-ImageFile -Image "oci-dir:$Fx/oci:layers" -Path '/etc/*.nothing' -ErrorVariable e | Should -BeNullOrEmpty
        $e | Should -BeNullOrEmpty
        Get-ImageFile -Image "oci-dir:$Fx/oci:layers" -LiteralPath '/etc/*.conf' -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match ([regex]::Escape("no '/etc/*.conf'"))
    }

    It 'dir: reads an unpacked root file system' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (ActualTree (Get-ImageFile -Image "dir:$Fx/expected/layers" -Path / -Recurse)) | Should -Be (ExpectedTree 'layers')
        (Get-ImageFile -Image "dir:$Fx/expected/link-absolute" -Path /etc/resolv.conf).Content | Should -Match '127\.0\.0\.53'
    }
}

Describe 'Get-ImageLayer' {
    It '<Transport> lists the layers skopeo inspect reports' -ForEach @(@{ Transport = 'oci-dir' }, @{ Transport = 'oci-archive' }, @{ Transport = 'docker-archive' }) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ref = ImageRef $Transport 'layers'
        $skopeoRef = $ref -replace '^oci-dir:', 'oci:'
        $manifest = & skopeo inspect --raw $skopeoRef | ConvertFrom-Json
        $config = & skopeo inspect --config --raw $skopeoRef | ConvertFrom-Json
        $layers = Get-ImageLayer -Image $ref
        $layers | Should -HaveCount 2
        $layers[0] | Should -BeOfType 'DnsTools.Core.Images.ImageLayerInfo'
        $layers.Index | Should -Be @(0, 1)
        $layers.DiffId | Should -Be $config.rootfs.diff_ids
        if ($Transport -ne 'docker-archive') {
            $layers.Digest | Should -Be $manifest.layers.digest
            $layers.CompressedSize | Should -Be $manifest.layers.size
            $layers.MediaType | Should -Be $manifest.layers.mediaType
        }
        else {
            $layers.Compression | Should -Be @('None', 'None')
        }
    }

    It 'picks linux/amd64 from an index by default, another platform by -Platform, and names the offered ones otherwise' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageFile -Image "oci-dir:$Fx/multi" -Path /etc/os-release).Content | Should -Match 'ID=debian'
        (Get-ImageFile -Image "oci-dir:$Fx/multi" -Platform linux/arm64 -Path /etc/os-release).Content | Should -Match 'ID=alpine'
        Get-ImageLayer -Image "oci-dir:$Fx/multi" -Platform linux/s390x -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match 'linux/s390x'
        "$e" | Should -Match 'linux/amd64, linux/arm64/v8'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'profiles every platform of an index with -Platform all, one object each' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $p = Get-ImageDnsProfile -Image "oci-dir:$Fx/multi" -Platform all
        $p | Should -HaveCount 2
        $p.Platform | Should -Be 'linux/amd64', 'linux/arm64/v8'
        $p[0].Resolver | Should -Match '^glibc \d+\.\d+'
        $p[1].Resolver | Should -Match '^musl 1\.\d+\.\d+'
        $f = Test-ImageDns -Image "oci-dir:$Fx/multi" -Platform all
        ($f | Where-Object Platform -eq 'linux/arm64/v8').RuleId | Should -Contain 'DNS-MUSL-001'
        ($f | Where-Object Platform -eq 'linux/amd64').RuleId | Should -Contain 'DNS-GLIBC-002'
        (Get-ImageDnsProfile -Image "oci-dir:$Fx/oci:musl" -Platform all).Platform | Should -Be 'linux/amd64'
    }
}

Describe 'Bad input is a clear error naming the input' {
    BeforeAll {
        if ($SkipReason) { return }
        $script:Bad = Join-Path $TestDrive 'bad'
        New-Item -ItemType Directory $Bad | Out-Null
        Copy-Item -Recurse "$Fx/oci" "$Bad/corrupt"
        $m = & skopeo inspect --raw "oci:$Fx/oci:layers" | ConvertFrom-Json
        $script:TopLayer = $m.layers[-1].digest
    }

    It 'a missing file' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageFile -Image "docker-archive:$Bad/nope.tar" -Path /etc/resolv.conf -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match ([regex]::Escape("$Bad/nope.tar"))
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a tar that is not an image' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        & tar -cf "$Bad/plain.tar" -C "$Fx/expected/musl" etc
        Get-ImageLayer -Image "$Bad/plain.tar" -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match 'not an image archive'
        "$e" | Should -Match 'plain\.tar'
    }

    It 'a layer whose bytes do not match its digest' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $blob = "$Bad/corrupt/blobs/sha256/$($TopLayer.Substring(7))"
        $bytes = [IO.File]::ReadAllBytes($blob); $bytes[5] = $bytes[5] -bxor 0xff; [IO.File]::WriteAllBytes($blob, $bytes)
        Get-ImageFile -Image "oci-dir:$Bad/corrupt:layers" -Path /etc/resolv.conf -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match $TopLayer
        $e[0].TargetObject | Should -Be $TopLayer
    }

    It 'a truncated layer' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $m = & skopeo inspect --raw "oci:$Fx/oci:glibc" | ConvertFrom-Json
        $digest = $m.layers[0].digest
        $blob = "$Bad/corrupt/blobs/sha256/$($digest.Substring(7))"
        $bytes = [IO.File]::ReadAllBytes($blob); [IO.File]::WriteAllBytes($blob, $bytes[0..([int]($bytes.Length / 2))])
        Get-ImageFile -Image "oci-dir:$Bad/corrupt:glibc" -Path /etc/resolv.conf -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match $digest
    }

    It 'a symlink loop names the path' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path /etc/loop1 -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match 'loop'
        "$e" | Should -Match '/etc/loop1'
    }

    It 'more decompressed bytes than -MaxDecompressedBytes' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageFile -Image (ImageRef 'oci-dir' 'glibc') -Path /etc/os-release -MaxDecompressedBytes 100000 -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match '100000'
        $e[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
    }

    It 'more entries than -MaxEntries, more layers than -MaxLayers, a longer name than -MaxPathLength' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        # The limit counts what is held while the layers are merged (entries a later layer replaces too), so the
        # listing's own size is only a lower bound: a tenth of it fails, ten times it passes.
        $all = @(Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path / -Recurse)
        $few = [math]::Max(1, [int]($all.Count / 10))
        Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path / -Recurse -MaxEntries $few -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match "more than $few entries.*-MaxEntries"
        $e[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        @(Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path / -Recurse -MaxEntries (10 * $all.Count)).Count | Should -Be $all.Count
        $layers = @(Get-ImageLayer -Image (ImageRef 'oci-dir' 'layers')).Count
        Get-ImageLayer -Image (ImageRef 'oci-dir' 'layers') -MaxLayers ($layers - 1) -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match "lists $layers layers, more than the $($layers - 1) allowed \(-MaxLayers"
        $longest = ($all.Path | Measure-Object -Property Length -Maximum).Maximum
        Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path / -Recurse -MaxPathLength ($longest - 2) -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$e" | Should -Match '-MaxPathLength'
    }

    It 'a path that is not in the image, while the other paths are still returned' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $f = Get-ImageFile -Image (ImageRef 'oci-dir' 'layers') -Path /etc/old.conf, /etc/new.conf -ErrorVariable e -ErrorAction SilentlyContinue
        $f.Path | Should -Be '/etc/new.conf'
        "$e" | Should -Match '/etc/old.conf'
    }

    It 'writes nothing: reading leaves the image folder and the current folder unchanged' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $before = (Get-ChildItem -Recurse -Force $Fx | Measure-Object).Count
        Push-Location $TestDrive
        try {
            $cwdBefore = (Get-ChildItem -Force | Measure-Object).Count
            Get-ImageFile -Image (ImageRef 'oci-archive' 'layers') -Path / -Recurse | Out-Null
            (Get-ChildItem -Force | Measure-Object).Count | Should -Be $cwdBefore
        }
        finally { Pop-Location }
        (Get-ChildItem -Recurse -Force $Fx | Measure-Object).Count | Should -Be $before
    }
}

# examples/Get-ImageResolver.ps1, run as a user would run it.
Describe 'examples/Get-ImageResolver.ps1' {
    It 'tells musl from glibc and shows the resolv.conf each image ships' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $example = Join-Path $env:DNSTOOLS_REPO_ROOT 'examples/Get-ImageResolver.ps1'
        $musl = & $example -Image "$Fx/musl.docker.tar" -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST
        $musl.Libc | Should -Be 'musl'
        $musl.Evidence | Should -Contain '/lib/ld-musl-x86_64.so.1'
        $musl.ResolvConf | Should -Match 'ndots:5'
        $glibc = & $example -Image "oci-archive:$Fx/glibc.oci.tar" -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST
        $glibc.Libc | Should -Be 'glibc'
        $glibc.NsSwitch | Should -Be 'files dns'
        $glibc.OS | Should -Be 'DnsTools glibc fixture'
        $link = & $example -Image "oci-dir:$Fx/oci:link-dangling" -ModuleManifest $env:DNSTOOLS_MODULE_MANIFEST
        $link.ResolvConfIs | Should -Be 'a dangling link to /run/systemd/resolve/stub-resolv.conf'
    }
}
