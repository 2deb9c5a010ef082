# registry: sources against a REAL Debian docker-registry (distribution 2.8) on 127.0.0.1, started
# here with a config file of ours and filesystem storage under TestDrive, images pushed by skopeo.
# Anonymous, basic auth (htpasswd) and bearer token (tests/fixtures/Start-TokenServer.ps1) registries.
# Every process started here is stopped by its PID in AfterAll.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:SkipReason = $null
    $script:Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/Requirements.ps1')
    $script:SkipReason = Get-MissingRequirement -Tools 'docker-registry', 'skopeo', 'umoci', 'htpasswd', 'find' -Files '/usr/lib/x86_64-linux-musl/libc.so=musl'
    if ($SkipReason) { return }
    $script:Fx = Join-Path $TestDrive 'fx'
    $log = & bash (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/New-ImageFixtures.sh') $Fx 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) { throw "New-ImageFixtures.sh failed ($LASTEXITCODE): $log" }

    function script:Get-FreePort {
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $port
    }

    function script:Wait-Port([int] $Port, [System.Diagnostics.Process] $Process) {
        for ($i = 0; $i -lt 100; $i++) {
            if ($Process.HasExited) { throw "process $($Process.Id) exited with $($Process.ExitCode)" }
            $c = [Net.Sockets.TcpClient]::new()
            try { $c.Connect('127.0.0.1', $Port); return } catch { Start-Sleep -Milliseconds 100 } finally { $c.Dispose() }
        }
        throw "nothing listens on 127.0.0.1:$Port after 10 s"
    }

    function script:Start-Registry([string] $Name, [string] $AuthYaml = '') {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive "registry-$Name") -Force
        $port = Get-FreePort
        $config = Join-Path $dir 'config.yml'
        @"
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: 127.0.0.1:$port
$AuthYaml
"@ | Set-Content $config
        $p = Start-Process -FilePath (Get-Command docker-registry -CommandType Application | Select-Object -First 1).Source -ArgumentList 'serve', $config -PassThru `
            -RedirectStandardOutput (Join-Path $dir 'out.log') -RedirectStandardError (Join-Path $dir 'err.log')
        $Started.Add($p)
        Wait-Port $port $p
        "127.0.0.1:$port"
    }

    function script:Push([string] $Source, [string] $Dest, [string[]] $Extra = @()) {
        $out = & skopeo copy -q --dest-tls-verify=false @Extra $Source "docker://$Dest" 2>&1 | Out-String
        if ($LASTEXITCODE -ne 0) { throw "skopeo copy $Source $Dest failed: $out" }
    }

    . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/ImageTrees.ps1')

    $script:Anon = Start-Registry 'anon'
    Push "oci:$Fx/oci:musl" "$Anon/team/app:1.4"
    Push "oci:$Fx/oci:glibc" "$Anon/team/glibc:v2s2" @('--format', 'v2s2')
    Push "oci:$Fx/oci:layers" "$Anon/team/layers:zstd" @('--dest-compress-format', 'zstd')
    Push "oci:$Fx/multi:multi" "$Anon/team/multi:1" @('--all')
    Push "oci:$Fx/oci:glibc-entry" "$Anon/team/entry:1"

    $script:Cred = [pscredential]::new('alice', (ConvertTo-SecureString 's3cret-pw' -AsPlainText -Force))
    $htpasswd = Join-Path $TestDrive 'htpasswd'
    & htpasswd -Bbn alice 's3cret-pw' | Set-Content $htpasswd
    $script:Basic = Start-Registry 'basic' "auth:`n  htpasswd:`n    realm: dnstools-test`n    path: $htpasswd"
    Push "oci:$Fx/oci:musl" "$Basic/team/app:1.4" @('--dest-creds', 'alice:s3cret-pw')
}

AfterAll {
    foreach ($p in $Started) {
        if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue; $p.WaitForExit(5000) | Out-Null }
    }
}

Describe 'registry: anonymous' {
    It 'lists the layers the registry serves (OCI manifest), as skopeo inspect reports them' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $manifest = & skopeo inspect --raw --tls-verify=false "docker://$Anon/team/app:1.4" | ConvertFrom-Json
        $layers = Get-ImageLayer -Image "registry:$Anon/team/app:1.4"
        $layers.Digest | Should -Be $manifest.layers.digest
        $layers.CompressedSize | Should -Be $manifest.layers.size
        $layers.MediaType | Should -Be $manifest.layers.mediaType
    }

    It 'reads /etc/os-release from an OCI image and a Docker v2s2 image' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageFile -Image "registry:$Anon/team/app:1.4" -Path /etc/os-release).Content | Should -BeExactly ([IO.File]::ReadAllText("$Fx/expected/musl/etc/os-release"))
        (Get-ImageLayer -Image "registry:$Anon/team/glibc:v2s2").MediaType | Should -Be 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        (Get-ImageFile -Image "registry:$Anon/team/glibc:v2s2" -Path /etc/os-release).Content | Should -BeExactly ([IO.File]::ReadAllText("$Fx/expected/glibc/etc/os-release"))
    }

    It 'merges zstd layers to the tree umoci unpacked' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageLayer -Image "registry:$Anon/team/layers:zstd").Compression | Should -Be @('Zstd', 'Zstd')
        (ActualTree (Get-ImageFile -Image "registry:$Anon/team/layers:zstd" -Path / -Recurse)) | Should -Be (ExpectedTree 'layers')
    }

    It 'picks the platform from a pushed index, and pins by digest' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Get-ImageFile -Image "registry:$Anon/team/multi:1" -Path /etc/os-release).Content | Should -Match 'ID=debian'
        (Get-ImageFile -Image "registry:$Anon/team/multi:1" -Platform linux/arm64/v8 -Path /etc/os-release).Content | Should -Match 'ID=alpine'
        $digest = (& skopeo inspect --tls-verify=false "docker://$Anon/team/app:1.4" | ConvertFrom-Json).Digest
        (Get-ImageLayer -Image "registry:$Anon/team/app@$digest") | Should -HaveCount 2
        Get-ImageLayer -Image "registry:$Anon/team/multi:1" -Platform linux/ppc64le -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match 'linux/amd64, linux/arm64/v8'
        $all = Get-ImageDnsProfile -Image "registry:$Anon/team/multi:1" -Platform all
        $all.Platform | Should -Be 'linux/amd64', 'linux/arm64/v8'
        $all.Os.Id | Should -Be 'debian', 'alpine'
    }

    It 'follows the entrypoint the image config names (script, then Cmd by PATH) to the program it runs' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $config = & skopeo inspect --config --tls-verify=false "docker://$Anon/team/entry:1" | ConvertFrom-Json
        $e = (Get-ImageDnsProfile -Image "registry:$Anon/team/entry:1").Entrypoint
        $e.Command | Should -Be (@($config.config.Entrypoint) + @($config.config.Cmd))
        $e.Via | Should -Be '/usr/local/bin/docker-entrypoint.sh'
        $e.Path | Should -Be '/usr/bin/env'
        $e.Resolver | Should -Be 'Glibc'
    }

    It 'names a missing repository or tag' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageLayer -Image "registry:$Anon/team/nope:1" -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match '404'
        "$e" | Should -Match 'team/nope:1'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'registry: basic auth' {
    It 'uses the credentials docker login stored in config.json when -Credential is not given' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $dockerConfig = Join-Path $TestDrive 'docker-config'
        New-Item -ItemType Directory $dockerConfig -Force | Out-Null
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('alice:s3cret-pw'))
        @{ auths = @{ "$Basic" = @{ auth = $auth } } } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $dockerConfig 'config.json')
        $saved = $env:DOCKER_CONFIG
        try {
            $env:DOCKER_CONFIG = $dockerConfig
            (Get-ImageFile -Image "registry:$Basic/team/app:1.4" -Path /etc/resolv.conf).Content | Should -Match 'ndots:5'
        }
        finally { $env:DOCKER_CONFIG = $saved }
    }

    It 'runs the credential helper config.json names (credsStore, then credHelpers): the real docker-credential-pass' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ($why = Get-MissingRequirement -Tools 'docker-credential-pass', 'pass', 'gpg', 'gpgconf') { Set-ItResult -Skipped -Because $why; return }
        # A key and a password store of this test's own; docker-credential-pass stores through pass and gpg, as on a desktop.
        $home_ = Join-Path $TestDrive 'cred'
        $saved = @{ GNUPGHOME = $env:GNUPGHOME; PASSWORD_STORE_DIR = $env:PASSWORD_STORE_DIR; DOCKER_CONFIG = $env:DOCKER_CONFIG; PATH = $env:PATH }
        $env:GNUPGHOME = New-Item -ItemType Directory (Join-Path $home_ 'gnupg') -Force
        & chmod 700 $env:GNUPGHOME
        $env:PASSWORD_STORE_DIR = Join-Path $home_ 'store'
        try {
            & gpg --batch --passphrase '' --quick-gen-key 'dnstools-test@example.invalid' default default never 2>$null
            $fpr = (& gpg --batch --list-keys --with-colons 2>$null | Where-Object { $_ -like 'fpr:*' } | Select-Object -First 1).Split(':')[9]
            & pass init $fpr | Out-Null
            '{"ServerURL":"' + $Basic + '","Username":"alice","Secret":"s3cret-pw"}' | & docker-credential-pass store
            $LASTEXITCODE | Should -Be 0

            $env:DOCKER_CONFIG = New-Item -ItemType Directory (Join-Path $home_ 'docker') -Force
            # docker login with a credsStore leaves an empty auths entry: the helper must be asked, not the entry.
            @{ credsStore = 'pass'; auths = @{ "$Basic" = @{} } } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $env:DOCKER_CONFIG 'config.json')
            (Get-ImageFile -Image "registry:$Basic/team/app:1.4" -Path /etc/resolv.conf).Content | Should -Match 'ndots:5'

            # credHelpers wins over credsStore for its host; a helper that fails is a clear error naming it.
            $bin = New-Item -ItemType Directory (Join-Path $home_ 'bin') -Force
            "#!/bin/sh`necho 'keychain locked' >&2`nexit 3" | Set-Content "$bin/docker-credential-broken"
            & chmod +x "$bin/docker-credential-broken"
            $env:PATH = "$bin$([IO.Path]::PathSeparator)$env:PATH"
            @{ credsStore = 'pass'; credHelpers = @{ "$Basic" = 'broken' } } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $env:DOCKER_CONFIG 'config.json')
            Get-ImageLayer -Image "registry:$Basic/team/app:1.4" -ErrorVariable e -ErrorAction SilentlyContinue
            "$e" | Should -Match 'docker-credential-broken failed .*exit 3.*keychain locked'
            $e[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            @{ credsStore = 'nosuchhelper' } | ConvertTo-Json | Set-Content (Join-Path $env:DOCKER_CONFIG 'config.json')
            Get-ImageLayer -Image "registry:$Basic/team/app:1.4" -ErrorVariable e -ErrorAction SilentlyContinue
            "$e" | Should -Match 'docker-credential-nosuchhelper.*cannot be started'
        }
        finally {
            # gpg started an agent for this GNUPGHOME: stop it by its PID.
            Get-Process -Name gpg-agent -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -like "*$($env:GNUPGHOME)*" } |
                ForEach-Object { Stop-Process -Id $_.Id -Force -ErrorAction SilentlyContinue }
            foreach ($k in $saved.Keys) { Set-Item "env:$k" $saved[$k] }
        }
    }

    It 'asks for -Credential, refuses a wrong password, reads with the right one' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageLayer -Image "registry:$Basic/team/app:1.4" -ErrorVariable e1 -ErrorAction SilentlyContinue
        "$e1" | Should -Match 'Credential'
        $wrong = [pscredential]::new('alice', (ConvertTo-SecureString 'nope' -AsPlainText -Force))
        Get-ImageLayer -Image "registry:$Basic/team/app:1.4" -Credential $wrong -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        (Get-ImageFile -Image "registry:$Basic/team/app:1.4" -Credential $Cred -Path /etc/resolv.conf).Content | Should -Match 'ndots:5'
    }
}

Describe 'registry: TLS on loopback' {
    BeforeAll {
        if ($SkipReason) { return }
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'tls') -Force
        $rsa = [Security.Cryptography.RSA]::Create(2048)
        $req = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=127.0.0.1', $rsa, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $san = [Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
        $san.AddIpAddress([Net.IPAddress]::Loopback)
        $req.CertificateExtensions.Add($san.Build())
        $req.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $cert = $req.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(1))
        $script:TlsCert = "$dir/cert.pem"
        $cert.ExportCertificatePem() | Set-Content $TlsCert
        $rsa.ExportRSAPrivateKeyPem() | Set-Content "$dir/key.pem"
        $script:Tls = Start-Registry 'tls' "  tls:`n    certificate: $TlsCert`n    key: $dir/key.pem"
        Push "oci:$Fx/oci:musl" "$Tls/team/app:1.4"
    }

    It 'speaks HTTPS when the registry does, and says when its certificate is not trusted' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageLayer -Image "registry:$Tls/team/app:1.4" -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match 'not trusted'
        # A fresh process that trusts the certificate (SSL_CERT_FILE is read by .NET's OpenSSL at start).
        $env:SSL_CERT_FILE = $TlsCert
        try {
            $count = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command "Import-Module '$env:DNSTOOLS_MODULE_MANIFEST'; (Get-ImageLayer -Image 'registry:$Tls/team/app:1.4' -ErrorAction Stop).Count"
        }
        finally { Remove-Item Env:SSL_CERT_FILE }
        $count | Should -Be 2
    }
}

Describe 'registry: bearer token' {
    BeforeAll {
        if ($SkipReason) { return }
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'token') -Force
        $rsa = [Security.Cryptography.RSA]::Create(2048)
        $req = [Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=dnstools-test-token', $rsa, [Security.Cryptography.HashAlgorithmName]::SHA256, [Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $req.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $cert = $req.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(1))
        $cert.ExportCertificatePem() | Set-Content "$dir/cert.pem"
        $rsa.ExportRSAPrivateKeyPem() | Set-Content "$dir/key.pem"
        $tokenPort = Get-FreePort
        $script:TokenLog = "$dir/requests.log"
        $tp = Start-Process -FilePath (Join-Path $PSHOME 'pwsh') -PassThru -RedirectStandardError "$dir/err.log" -RedirectStandardOutput "$dir/out.log" -ArgumentList @(
            '-NoProfile', '-NonInteractive', '-File', (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/Start-TokenServer.ps1'),
            '-Port', $tokenPort, '-KeyFile', "$dir/key.pem", '-CertFile', "$dir/cert.pem", '-User', 'alice', '-Password', 's3cret-pw',
            '-Service', 'dnstools-registry', '-Issuer', 'dnstools-token', '-LogFile', $TokenLog)
        $Started.Add($tp)
        Wait-Port $tokenPort $tp
        $auth = "auth:`n  token:`n    realm: http://127.0.0.1:$tokenPort/token`n    service: dnstools-registry`n    issuer: dnstools-token`n    rootcertbundle: $dir/cert.pem"
        $script:Token = Start-Registry 'token' $auth
        Push "oci:$Fx/oci:musl" "$Token/team/app:1.4" @('--dest-creds', 'alice:s3cret-pw')
    }

    It 'fetches a token from the realm the registry names and reads with it' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $before = @(Get-Content $TokenLog).Count
        (Get-ImageFile -Image "registry:$Token/team/app:1.4" -Credential $Cred -Path /etc/os-release).Content | Should -Match 'ID=alpine'
        $asked = @(Get-Content $TokenLog | Select-Object -Skip $before)
        $asked | Should -Contain 'True repository:team/app:pull 200'
    }

    It 'reports a refused token request' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Get-ImageLayer -Image "registry:$Token/team/app:1.4" -ErrorVariable e -ErrorAction SilentlyContinue
        "$e" | Should -Match 'token realm'
        $e[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
    }
}
