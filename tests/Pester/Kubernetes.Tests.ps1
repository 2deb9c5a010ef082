# Kubernetes objects as input, in the shape kubectl prints them (tests/fixtures/kubernetes), read by ConvertFrom-Json
# as a user pipes `kubectl ... -o json | ConvertFrom-Json`. The pod list's images are served by a REAL docker-registry
# on loopback (the fixtures' registry hosts rewritten to it), so nothing leaves the machine.
BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:KubeFx = Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/fixtures/kubernetes'
    $script:Node = "nameserver 10.0.0.2`nsearch node.example"
}

Describe 'New-PodResolvConf from a pod' -Tag Kubernetes {
    BeforeAll {
        $script:Pod = Get-Content "$KubeFx/pod-dnsconfig.json" -Raw | ConvertFrom-Json
    }

    It 'binds namespace, dnsPolicy, hostNetwork and dnsConfig from kubectl''s pod JSON' {
        $fromPod = $Pod | New-PodResolvConf -ClusterDns 10.96.0.10 -HostResolvConf $Node
        $explicit = New-PodResolvConf -Namespace payments -DnsPolicy ClusterFirstWithHostNet -HostNetwork -ClusterDns 10.96.0.10 -HostResolvConf $Node `
            -DnsConfig @{ nameservers = '10.0.0.53'; searches = 'corp.example'; options = @{ name = 'ndots'; value = '2' }, @{ name = 'single-request-reopen' } }
        $fromPod.ToString() | Should -Be $explicit.ToString()
        $fromPod.Search | Should -Contain 'payments.svc.cluster.local'
        $fromPod.Search | Should -Contain 'corp.example'
        $fromPod.Nameservers.Address.IPAddressToString | Should -Be '10.96.0.10', '10.0.0.53'
        $fromPod.Options.Name | Should -Contain 'single-request-reopen'
        # hostNetwork with plain ClusterFirst acts as Default: the node's file, so hostNetwork was read.
        $hostPod = $Pod | ConvertTo-Json -Depth 20 | ConvertFrom-Json
        $hostPod.spec.dnsPolicy = 'ClusterFirst'
        $hostPod.spec.PSObject.Properties.Remove('dnsConfig')
        ($hostPod | New-PodResolvConf -ClusterDns 10.96.0.10 -HostResolvConf $Node).Nameservers.Address.IPAddressToString | Should -Be '10.0.0.2'
    }

    It 'lets the command line win over the pod, and -DnsConfig takes the object form' {
        ($Pod | New-PodResolvConf -Namespace billing -ClusterDns 10.96.0.10 -HostResolvConf $Node).Search | Should -Contain 'billing.svc.cluster.local'
        $object = New-PodResolvConf -Namespace payments -ClusterDns 10.96.0.10 -HostResolvConf $Node -DnsConfig $Pod.spec.dnsConfig
        $table = New-PodResolvConf -Namespace payments -ClusterDns 10.96.0.10 -HostResolvConf $Node `
            -DnsConfig @{ nameservers = '10.0.0.53'; searches = 'corp.example'; options = @{ name = 'ndots'; value = '2' }, @{ name = 'single-request-reopen' } }
        $object.ToString() | Should -Be $table.ToString()
        $bad = $Pod | ConvertTo-Json -Depth 20 | ConvertFrom-Json
        $bad.spec.dnsPolicy = 'Sometimes'
        $bad | New-PodResolvConf -ClusterDns 10.96.0.10 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Match 'InvalidPodDnsPolicy'
        "$($err[0])" | Should -Match 'payments/payments-api'
    }
}

Describe 'Test-ImageDns over every image a cluster runs' -Tag Kubernetes, ImageDns {
    BeforeAll {
        . (Join-Path $env:DNSTOOLS_REPO_ROOT 'tests/Pester/Helpers/LintFixtures.ps1') -Folder (Join-Path $TestDrive 'lintfx')
        $script:Started = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
        if (-not $SkipReason) { $script:SkipReason = Get-MissingRequirement -Tools 'docker-registry' }
        if ($SkipReason) { return }
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'registry') -Force
        "version: 0.1`nlog:`n  level: warn`nstorage:`n  filesystem:`n    rootdirectory: $dir/data`nhttp:`n  addr: 127.0.0.1:$port" | Set-Content "$dir/config.yml"
        $p = Start-Process -FilePath (Get-Command docker-registry -CommandType Application | Select-Object -First 1).Source -ArgumentList 'serve', "$dir/config.yml" -PassThru `
            -RedirectStandardOutput "$dir/out.log" -RedirectStandardError "$dir/err.log"
        $Started.Add($p)
        $script:Registry = "127.0.0.1:$port"
        # The cluster's four images, each a fixture image: what the rules find tells them apart.
        $script:ImageMap = [ordered]@{
            'registry.k8s.io/coredns/coredns:v1.11.1' = "oci-archive:$Fx/static.oci.tar"
            'registry.example/payments/api:1.4'       = "oci-archive:$Fx/alpine-apk.oci.tar"
            'nginx:1.25'                              = "oci-archive:$Fx/glibc-dpkg.oci.tar"
            'busybox:1.36'                            = "docker-archive:$Fx/layered.docker.tar"
        }
        $script:Local = [ordered]@{}
        foreach ($k in $ImageMap.Keys) {
            $repo = if ($k -match '^[^/]+\.[^/]+/(.+)$') { $Matches[1] } else { "library/$k" }
            $Local[$k] = "$Registry/$repo"
            for ($i = 0; $i -lt 50; $i++) { $out = & skopeo copy -q --dest-tls-verify=false $ImageMap[$k] "docker://$($Local[$k])" 2>&1 | Out-String; if ($LASTEXITCODE -eq 0) { break }; Start-Sleep -Milliseconds 200 }
            if ($LASTEXITCODE -ne 0) { throw "skopeo copy $k failed: $out" }
        }
        # kubectl's output with every image pointed at the loopback registry (no test may reach the real ones).
        $json = Get-Content "$KubeFx/pods-all-namespaces.json" -Raw
        foreach ($k in $ImageMap.Keys) { $json = $json.Replace("`"$k`"", "`"$($Local[$k])`"").Replace("`"docker.io/library/$k`"", "`"$($Local[$k])`"") }
        $script:PodList = $json | ConvertFrom-Json
        $images = $PodList.items.spec | ForEach-Object { $_.initContainers; $_.containers; $_.ephemeralContainers } | Where-Object { $_ } | ForEach-Object image
        if (@($images | Where-Object { -not $_.StartsWith($Registry) }).Count) { throw "an image still points away from $Registry" }
    }
    AfterAll {
        foreach ($p in $Started) { if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force; $p.WaitForExit(5000) | Out-Null } }
    }

    It 'reads each image once (containers, initContainers, ephemeralContainers) and finds what each image holds' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $findings = $PodList | Test-ImageDns -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [DnsTools.Core.Inspection.ImageDnsFinding] }
        $read = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'reading the DNS profile' })
        $read.Count | Should -Be 4
        ($findings.Image | Sort-Object -Unique) | Should -Be (@($Local.Values) | Sort-Object)
        foreach ($k in $ImageMap.Keys) {
            $direct = Test-ImageDns -Image $ImageMap[$k]
            ($findings | Where-Object Image -eq $Local[$k]).RuleId | Should -Be $direct.RuleId -Because $k
        }
        # One pod (`kubectl get pod NAME -o json`) works the same way.
        (($PodList.items[0] | Test-ImageDns).Image | Sort-Object -Unique) | Should -Be $Local['registry.k8s.io/coredns/coredns:v1.11.1']
        # And the JSON report of a whole cluster names every image once.
        (($PodList | Test-ImageDns -Format Json | ConvertFrom-Json).images.image | Sort-Object) | Should -Be (@($Local.Values) | Sort-Object)
    }
}
