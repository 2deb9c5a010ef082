# Conformance: the resolver models against the REAL musl 1.2.3, glibc 2.36 and Go pure resolver.
# Each cell builds a tiny getaddrinfo client (gcc for glibc, musl-gcc -static for musl; a
# LookupIPAddr client with CGO_ENABLED=0 for Go when a Go toolchain is present) and a logging
# DNS server (C) at test time, then runs both inside their own network + mount namespace
# (unshare -n -m, only loopback up, resolv.conf/hosts/nsswitch.conf bind-mounted from the cell's own
# folder), so no query can leave for a real nameserver. The server's log (monotonic time, transport,
# server, source port, name, type) is compared with Get-ResolverQueryPlan's plan: names, types,
# servers, transports and order; socket sharing (same source port <=> same model socket); retry
# counts (the whole sequence); send times and total time within ±100 ms; the result code and the
# address families returned. Missing tools or namespaces make the cells SKIPPED with the reason.
#
# Real builds (-Tag RealBuildConformance, RealBuildProbeConformance): the same scenarios against every
# artifact in ../shared/real-libc (DNSTOOLS_REAL_LIBC overrides; SKIPPED with the reason when absent),
# copied into the lab: Alpine 3.8-3.20's musl 1.1.19-1.2.5 and musl 1.1.12 / 1.2.1 built from the tags
# (a musl-gcc dynamic gai client in a chroot), busybox:glibc's glibc 2.41 (a gcc dynamic client in its
# rootfs) and the static busybox:musl and busybox:uclibc (the wget applet as the client: only "resolved
# or not" and the family it connected to are visible). Every build x scenario runs in its own
# namespaces (realrun.sh, 12 at a time, longest first); the server's log is compared with the model's
# plan and with the probe's run (one per release and scenario, 6 at a time in parallel runspaces),
# including the bytes after the query id. A cell that differs is run once more alone before it fails,
# since the batch shares 2 cores with everything else. out/test-results/real-build-*.txt has the matrix.
#
# Probe conformance (-Tag ProbeConformance): the same cells replayed by Test-PodDnsLatency (the
# probe runs the same resolver models on real sockets). The probe is a user-space program that takes
# a server port, so it runs in this process against the SAME logging server, started in the root
# namespace on 127.0.0.1/.2/.3 (loopback only) at a free port outside the ephemeral range, with the
# cell's rules. The server's log of the probe run is compared with its log of the real client's run
# by the same comparer (names, types, servers, transports, order, socket sharing both ways, retries,
# send and total times within ±100 ms), plus the result (probe Outcome vs the client's rc, success vs
# addresses returned) and the probe's own report of what it sent against what the server logged.

BeforeDiscovery {
    $k8s = "nameserver 127.0.0.1`nsearch tke-test.svc.cluster.local svc.cluster.local cluster.local`noptions ndots:5"
    $cells = @(
        @{ Id = 'k8s-default'; Name = 'elink.spic.com.cn'; Conf = $k8s
           Rules = @('AAAA * -> SERVFAIL after 1700ms', '*.cluster.local -> NXDOMAIN') }
        @{ Id = 'ndots-1'; Name = 'svc-a.example'; Conf = "nameserver 127.0.0.1`nsearch ns1.svc.cluster.local`noptions ndots:1 timeout:1"
           Rules = @('svc-a.example -> NXDOMAIN') }
        @{ Id = 'single-request'; Name = 'web.example'; Conf = "nameserver 127.0.0.1`nsearch corp.local`noptions ndots:2 timeout:1 single-request"
           Rules = @('*.corp.local -> NXDOMAIN', 'A web.example -> answer after 300ms', 'AAAA web.example -> NODATA') }
        @{ Id = 'single-request-reopen'; Name = 'web.example'; Conf = "nameserver 127.0.0.1`nsearch corp.local`noptions ndots:2 timeout:1 single-request-reopen"
           Rules = @('*.corp.local -> NXDOMAIN', 'A web.example -> answer after 300ms', 'AAAA web.example -> NODATA') }
        @{ Id = 'timeout1-attempts2-aaaa-silent'; Name = 'slow.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 attempts:2"
           Rules = @('AAAA slow.example -> no answer') }
        @{ Id = 'timeout1-attempts2-all-silent'; Name = 'dead.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 attempts:2"
           Rules = @('* -> no answer') }
        @{ Id = 'two-nameservers'; Name = 'two.example'; Conf = "nameserver 127.0.0.1`nnameserver 127.0.0.2`noptions timeout:1 attempts:2"
           Rules = @('@127.0.0.1 * -> no answer') }
        @{ Id = 'three-nameservers-silent'; Name = 'down.example'; Conf = "nameserver 127.0.0.1`nnameserver 127.0.0.2`nnameserver 127.0.0.3`noptions timeout:2 attempts:1"
           Rules = @('* -> no answer') }
        @{ Id = 'trailing-dot'; Name = 'elink.spic.com.cn.'; Conf = "$k8s timeout:2"
           Rules = @('AAAA * -> SERVFAIL after 400ms', '*.cluster.local -> NXDOMAIN') }
        @{ Id = 'five-dots'; Name = 'a.b.c.d.e.example'; Conf = "$k8s timeout:1"
           Rules = @('*.example -> NXDOMAIN', '*.cluster.local -> NXDOMAIN') }
        @{ Id = 'truncated-a'; Name = 'big.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1"
           Rules = @('A big.example -> truncated') }
        @{ Id = 'parallel-race'; Name = 'race.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 attempts:2"
           Rules = @('AAAA * -> drop if parallel', 'A race.example -> answer after 20ms') }
        @{ Id = 'search-nodata'; Name = 'db.example'; Conf = "$k8s timeout:1"
           Rules = @('*.svc.cluster.local -> NODATA') }
        @{ Id = 'search-servfail'; Name = 'db.example'; Conf = "$k8s timeout:1"
           Rules = @('*.tke-test.svc.cluster.local -> SERVFAIL after 20ms') }
        @{ Id = 'use-vc'; Name = 'tcp.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 use-vc"
           Rules = @('AAAA tcp.example -> NODATA') }
        @{ Id = 'single-request-a-servfail'; Name = 'sf.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 attempts:2 single-request"
           Rules = @('A sf.example -> SERVFAIL after 10ms') }
        @{ Id = 'a-refused'; Name = 'ref.example'; Conf = "nameserver 127.0.0.1`noptions timeout:1 attempts:2"
           Rules = @('A ref.example -> REFUSED') }
        # The first server resets every TCP connection once it has read the queries: glibc reconnects once, then moves on at once.
        @{ Id = 'tcp-reset'; Name = 'rst.example'; Conf = "nameserver 127.0.0.1`nnameserver 127.0.0.2`noptions timeout:1 use-vc"
           Rules = @('@127.0.0.1 * -> reset') }
        @{ Id = 'aaaa-nxdomain-a-answered'; Name = 'half.example'; Conf = "nameserver 127.0.0.1`nsearch corp.local`noptions ndots:2 timeout:1"
           Rules = @('AAAA * -> NXDOMAIN') }
    )
    # Go's pure resolver is checked too when a Go toolchain is present (its cells skip otherwise).
    $matrix = foreach ($c in $cells) { foreach ($libc in 'musl-1.2.3', 'glibc-2.36', 'go') { $c + @{ Resolver = $libc } } }

    # The real builds in ../shared/real-libc (its README): what each is, the model it is checked against,
    # and its client: a dynamic getaddrinfo client (gai.c) in a chroot of the rootfs, or, for the static
    # busybox images, the busybox wget applet (its outcome is only "resolved or not").
    $realBuilds = @(
        @{ Build = 'alpine-3.8.5'; Resolver = 'musl-1.1.19'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.8.5-x86_64.tar.gz' }
        @{ Build = 'alpine-3.12.12'; Resolver = 'musl-1.1.24'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz' }
        @{ Build = 'alpine-3.13.12'; Resolver = 'musl-1.2.2'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.13.12-x86_64.tar.gz' }
        @{ Build = 'alpine-3.17.10'; Resolver = 'musl-1.2.3'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.17.10-x86_64.tar.gz' }
        @{ Build = 'alpine-3.18.9'; Resolver = 'musl-1.2.4'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.18.9-x86_64.tar.gz' }
        @{ Build = 'alpine-3.20.3'; Resolver = 'musl-1.2.5'; Kind = 'alpine'; Artifact = 'alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz' }
        @{ Build = 'musl-src-1.1.12'; Resolver = 'musl-1.1.12'; Kind = 'musl-src'; Artifact = 'musl-src/ld-musl-x86_64.so.1-1.1.12' }
        @{ Build = 'musl-src-1.2.1'; Resolver = 'musl-1.2.1'; Kind = 'musl-src'; Artifact = 'musl-src/ld-musl-x86_64.so.1-1.2.1' }
        @{ Build = 'busybox-glibc'; Resolver = 'glibc-2.41'; Kind = 'busybox-glibc'; Artifact = 'busybox/glibc/rootfs.tar.gz' }
        # busybox:1.38.0-musl is built on Alpine 3.23, whose musl is 1.2.5.
        @{ Build = 'busybox-musl'; Resolver = 'musl-1.2.5'; Kind = 'busybox-static'; Artifact = 'busybox/musl/rootfs.tar.gz' }
        @{ Build = 'busybox-uclibc'; Resolver = 'uclibc-ng'; Kind = 'busybox-static'; Artifact = 'busybox/uclibc/rootfs.tar.gz' }
    )
    $realMatrix = foreach ($b in $realBuilds) { foreach ($c in $cells) { $c + $b } }
}

BeforeAll {
    Import-Module $env:DNSTOOLS_MODULE_MANIFEST -Force
    $script:ToleranceMs = 100
    $script:OrderWindowMs = 5
    $script:Lab = Join-Path ([System.IO.Path]::GetTempPath()) "dnstools-conformance-$PID"
    $script:Source = Join-Path $PSScriptRoot 'Conformance'
    $script:Report = [System.Collections.Generic.List[string]]::new()
    $script:ProbeReport = [System.Collections.Generic.List[string]]::new()

    function Get-SkipReason {
        if ($env:DNSTOOLS_APT_UNAVAILABLE) { return $env:DNSTOOLS_APT_UNAVAILABLE }
        if (-not $IsLinux) { return 'needs Linux network namespaces' }
        foreach ($tool in 'gcc', 'musl-gcc', 'unshare', 'mount', 'timeout', 'sh') {
            if (-not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) { return "$tool is not installed" }
        }
        if ((& id -u) -ne '0') { return 'not root: cannot create network namespaces (unshare -n -m)' }
        & unshare -n -m true 2>$null
        if ($LASTEXITCODE -ne 0) { return 'unshare -n -m is not permitted here' }
        return $null
    }

    # The Go toolchain (Debian golang-go): on PATH or under /usr/lib/go-*/bin.
    function Find-Go {
        $cmd = Get-Command go -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($cmd) { return $cmd.Source }
        Get-ChildItem '/usr/lib/go-*/bin/go' -ErrorAction SilentlyContinue | Sort-Object FullName -Descending | Select-Object -First 1 -ExpandProperty FullName
    }

    $script:SkipReason = Get-SkipReason
    $script:GoSkipReason = $null
    $script:GoSpec = $null
    if (-not $script:SkipReason) {
        New-Item -ItemType Directory -Path $script:Lab -Force | Out-Null
        $build = @(
            @{ Cc = 'gcc'; Args = @('-O1', '-o', (Join-Path $Lab 'dnssrv'), (Join-Path $Source 'dnssrv.c')) }
            @{ Cc = 'gcc'; Args = @('-O1', '-o', (Join-Path $Lab 'gai-glibc'), (Join-Path $Source 'gai.c')) }
            @{ Cc = 'musl-gcc'; Args = @('-static', '-O1', '-o', (Join-Path $Lab 'gai-musl'), (Join-Path $Source 'gai.c')) }
        )
        foreach ($b in $build) {
            $out = & $b.Cc @($b.Args) 2>&1
            if ($LASTEXITCODE -ne 0) { $script:SkipReason = "$($b.Cc) failed: $out"; break }
        }
        $go = Find-Go
        if (-not $go) { $script:GoSkipReason = 'no Go toolchain (Debian golang-go)' }
        else {
            # Offline, stdlib only, pure-Go resolver (CGO_ENABLED=0); the build cache stays in the lab folder.
            $env:CGO_ENABLED = '0'; $env:GO111MODULE = 'off'; $env:GOPROXY = 'off'; $env:GOFLAGS = ''
            $env:GOCACHE = Join-Path $Lab 'gocache'; $env:GOPATH = Join-Path $Lab 'gopath'; $env:GOTOOLCHAIN = 'local'
            $out = & $go build -o (Join-Path $Lab 'golookup') (Join-Path $Source 'golookup.go') 2>&1
            if ($LASTEXITCODE -ne 0) { $script:GoSkipReason = "go build failed: $out" }
            elseif ((& $go version) -match 'go(\d+\.\d+)') { $script:GoSpec = "go-$($Matches[1])" }
            else { $script:GoSkipReason = 'cannot tell the Go version' }
        }
    }

    $script:Rc = @{ Success = 0; NoName = -2; TryAgain = -3; Fail = -4; NoData = -5 }
    $script:Kinds = @{ Answer = 'answer'; NxDomain = 'nxdomain'; NoData = 'nodata'; ServFail = 'servfail'; Refused = 'refused'; NoAnswer = 'none'; Truncated = 'tc'; Reset = 'reset' }

    # Runs the real client once in its own namespaces; returns the client's report and the server's log.
    function Invoke-RealLookup([string] $Resolver, [string] $Conf, [string] $Name, [string[]] $Rules, [string] $Id) {
        $dir = Join-Path $Lab "$Id-$Resolver"
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
        New-Item -ItemType Directory -Path $dir | Out-Null
        Copy-Item (Join-Path $Lab 'dnssrv') $dir
        Set-Content (Join-Path $dir 'resolv.conf') "$Conf`n" -NoNewline
        Set-Content (Join-Path $dir 'hosts') "127.0.0.1 localhost`n::1 localhost`n" -NoNewline
        Set-Content (Join-Path $dir 'nsswitch.conf') "hosts: files dns`n" -NoNewline
        Write-ServerRules (Join-Path $dir 'rules') $Rules
        $client = Join-Path $Lab $(if ($Resolver -like 'musl*') { 'gai-musl' } elseif ($Resolver -like 'go*') { 'golookup' } else { 'gai-glibc' })
        & timeout -k 5 45 unshare -n -m sh (Join-Path $Source 'run.sh') $dir $client $Name 2>&1 | Out-Null
        if ($LASTEXITCODE -eq 91) { return 'cannot bind-mount a private /etc/resolv.conf in the mount namespace' }
        $clientOut = Join-Path $dir 'client.out'
        if ($LASTEXITCODE -ne 0 -or -not (Test-Path $clientOut)) { throw "the namespace run failed (exit $LASTEXITCODE)" }
        $report = @{}
        foreach ($line in Get-Content $clientOut) { $k, $v = $line -split ' ', 2; $report[$k] = $v }
        $start = [long]$report.START
        [pscustomobject]@{
            Rc = [int]$report.RC
            Addresses = "$($report.ADDR)"
            ElapsedMs = ([long]$report.END - $start) / 1e6
            Queries = @(Read-ServerLog (Join-Path $dir 'server.log') $start)
        }
    }

    # The cell's rules in the logging server's format (ServerBehavior parses them, as for the plan).
    function Write-ServerRules([string] $Path, [string[]] $Rules) {
        $behaviour = [DnsTools.Core.Resolvers.ServerBehavior]::Parse([string[]]$Rules)
        $lines = foreach ($r in $behaviour.Rules) {
            $server = if ($r.Server) { $r.Server } else { '*' }
            $type = if ($null -ne $r.Type) { "$($r.Type)" } else { '*' }
            '{0} {1} {2} {3} {4} {5} {6}' -f $server, $type, $r.Pattern.TrimEnd('.'), $Kinds["$($r.Kind)"], [long]$r.Delay.TotalMilliseconds, $r.Specificity, [int]$r.OnlyIfParallel
        }
        Set-Content $Path (($lines -join "`n") + "`n") -NoNewline
    }

    # The server's log: one object per query, its time in ms after StartNs (CLOCK_MONOTONIC ns).
    function Read-ServerLog([string] $Path, [long] $StartNs) {
        Get-Content $Path | Where-Object { $_ -like 'Q *' } | ForEach-Object {
            $f = $_ -split ' '
            [pscustomobject]@{
                Ns = [long]$f[1]
                TimeMs = ([long]$f[1] - $StartNs) / 1e6
                Transport = $f[2].ToUpperInvariant()
                Server = $f[3]
                Port = [int]$f[4]
                Socket = "$($f[2]):$($f[4])"
                Name = "$($f[6])."
                Type = $f[7]
                # The query's bytes after the 16-bit id (flags, counts, question, OPT), in hex.
                Bytes = if ($f.Count -gt 10) { $f[10] } else { $null }
            }
        } | Sort-Object TimeMs
    }

    # The bytes after the id of a query as musl, glibc (without edns0/trust-ad) and uClibc-ng write it:
    # RD set, one question, no other records (res_mkquery.c, resolv.c __dns_lookup), class IN.
    function Get-PlainQueryBytes([string] $Name, [string] $Type) {
        $hex = [System.Text.StringBuilder]::new('01000001000000000000')
        foreach ($label in $Name.TrimEnd('.').Split('.')) {
            $bytes = [System.Text.Encoding]::ASCII.GetBytes($label)
            [void]$hex.Append($bytes.Length.ToString('x2'))
            foreach ($b in $bytes) { [void]$hex.Append($b.ToString('x2')) }
        }
        [void]$hex.Append('00').Append($(if ($Type -eq 'AAAA') { '001c' } else { '0001' })).Append('0001')
        $hex.ToString()
    }

    # Every difference between the real resolver's queries ($Real: the server's log of the real client)
    # and another trace of the same lookup ($Other: the plan, or the server's log of the probe), in
    # words. Both are lists of Name, Type, Server, Transport, TimeMs (after the lookup's start) and
    # Socket; $Other also has Index. $Label names the other side ('model', 'probe').
    # $Stats (a hashtable), when given, gets MaxDtMs: the largest send-time difference of a matched pair.
    function Compare-Trace($Real, $Other, [string] $Label, [hashtable] $Stats) {
        $diffs = [System.Collections.Generic.List[string]]::new()
        $maxDt = 0.0
        $model = @($Other)
        $seen = [System.Collections.Generic.List[object]]::new()
        foreach ($q in $Real) { $seen.Add($q) }
        if ($model.Count -ne $seen.Count) { $diffs.Add("query count: real $($seen.Count), $Label $($model.Count)") }
        $modelToReal = @{}; $realToModel = @{}
        $lastUse = @{}
        foreach ($m in $model) { $lastUse[$m.Socket] = $m.TimeMs }
        $used = [bool[]]::new($seen.Count)
        foreach ($m in $model) {
            $key = "$($m.Name) $($m.Type) $($m.Server) $($m.Transport)".ToUpperInvariant()
            $first = -1
            for ($i = 0; $i -lt $seen.Count; $i++) { if (-not $used[$i]) { $first = $i; break } }
            $pick = -1
            for ($i = 0; $i -lt $seen.Count; $i++) {
                if ($used[$i]) { continue }
                $r = $seen[$i]
                if ("$($r.Name) $($r.Type) $($r.Server) $($r.Transport)".ToUpperInvariant() -eq $key) { $pick = $i; break }
            }
            if ($pick -lt 0) { $diffs.Add(('#{0} {1} at {2:0.0} ms: not sent by the real resolver' -f $m.Index, $key, $m.TimeMs)); continue }
            $used[$pick] = $true
            $r = $seen[$pick]
            if ($first -ge 0 -and $seen[$pick].TimeMs - $seen[$first].TimeMs -gt $OrderWindowMs) {
                $diffs.Add("#$($m.Index) ${key}: out of order (the real resolver sent $($seen[$first].Name) $($seen[$first].Type) first)")
            }
            $dt = [math]::Abs($r.TimeMs - $m.TimeMs)
            $maxDt = [math]::Max($maxDt, $dt)
            if ($dt -gt $ToleranceMs) { $diffs.Add(('#{0} {1}: sent at {2:0.0} ms, {3} {4:0.0} ms' -f $m.Index, $key, $r.TimeMs, $Label, $m.TimeMs)) }
            if ($modelToReal.ContainsKey($m.Socket) -and $modelToReal[$m.Socket] -ne $r.Socket) { $diffs.Add("#$($m.Index): $Label socket $($m.Socket) is real $($modelToReal[$m.Socket]) and $($r.Socket)") }
            # One port for two other sockets is a mismatch unless the first one was last used well before
            # (beyond the tolerance): the kernel may hand a closed socket's ephemeral port to a later socket.
            # (The other way round there is no such excuse: a model socket is one socket, and the probe
            # keeps every socket of a lookup open until the lookup ends, so its ports are never reused.)
            if ($realToModel.ContainsKey($r.Socket) -and $realToModel[$r.Socket] -ne $m.Socket -and
                $m.TimeMs - $lastUse[$realToModel[$r.Socket]] -le $ToleranceMs) {
                $diffs.Add("#$($m.Index): real $($r.Socket) carries $Label sockets $($realToModel[$r.Socket]) and $($m.Socket) at the same time")
            }
            $modelToReal[$m.Socket] = $r.Socket; $realToModel[$r.Socket] = $m.Socket
            if ($r.PSObject.Properties['Bytes'] -and $m.PSObject.Properties['Bytes'] -and $r.Bytes -and $m.Bytes -and $r.Bytes -ne $m.Bytes) {
                $diffs.Add("#$($m.Index) ${key}: bytes after the id: real $($r.Bytes), $Label $($m.Bytes)")
            }
        }
        for ($i = 0; $i -lt $seen.Count; $i++) {
            if (-not $used[$i]) { $diffs.Add(('real query not in the {5}: {0} {1} {2} {3} at {4:0.0} ms' -f $seen[$i].Name, $seen[$i].Type, $seen[$i].Server, $seen[$i].Transport, $seen[$i].TimeMs, $Label)) }
        }
        if ($null -ne $Stats) { $Stats.MaxDtMs = $maxDt }
        $diffs
    }

    # Every difference between the real run and the plan, in words.
    function Compare-Plan($Run, $Plan) {
        # Go writes an OPT record (and AD with trust-ad): its bytes are compared with the probe's, not here.
        $plain = "$($Plan.Resolver.Family)" -ne 'Go' -and -not $Plan.Settings.Edns0 -and -not $Plan.Settings.TrustAd
        $model = @(foreach ($m in $Plan.Queries) {
            [pscustomobject]@{ Index = $m.Index; Name = $m.Name; Type = $m.Type; Server = $m.Server; Transport = $m.Transport; TimeMs = $m.SendTime.TotalMilliseconds; Socket = $m.Socket
                Bytes = if ($plain) { Get-PlainQueryBytes $m.Name "$($m.Type)" } else { $null } }
        })
        $diffs = [System.Collections.Generic.List[string]]::new()
        foreach ($d in @(Compare-Trace $Run.Queries $model 'model')) { $diffs.Add($d) }
        if ([math]::Abs($Run.ElapsedMs - $Plan.TotalTime.TotalMilliseconds) -gt $ToleranceMs) {
            $diffs.Add(('total: real {0:0.0} ms, model {1:0.0} ms' -f $Run.ElapsedMs, $Plan.TotalTime.TotalMilliseconds))
        }
        $expectedRc = $Rc["$($Plan.Result)"]
        if ($Run.Rc -ne $expectedRc) { $diffs.Add("result: real rc $($Run.Rc), model $($Plan.ResultCode) ($expectedRc)") }
        $modelAddr = ($Plan.AddressTypes | ForEach-Object { "$_" }) -join '+'
        if ($Run.Addresses -ne $modelAddr) { $diffs.Add("addresses: real '$($Run.Addresses)', model '$modelAddr'") }
        $diffs
    }

    # The real client's run of a cell: run once, shared by the model and the probe comparisons.
    $script:RealRuns = @{}
    function Get-RealLookup([string] $Resolver, [string] $Conf, [string] $Name, [string[]] $Rules, [string] $Id) {
        $key = "$Id|$Resolver"
        if (-not $RealRuns.ContainsKey($key)) { $RealRuns[$key] = Invoke-RealLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id }
        $RealRuns[$key]
    }

    # A matrix cell's real run with the resolver spec it ran as ('go' is the installed Go), or why it cannot run.
    function Get-RealCell([string] $Resolver, [string] $Conf, [string] $Name, [string[]] $Rules, [string] $Id) {
        if ($SkipReason) { return $SkipReason }
        if ($Resolver -eq 'go') {
            if ($GoSkipReason) { return $GoSkipReason }
            $Resolver = $GoSpec
        }
        $real = Get-RealLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id
        if ($real -is [string]) { return $real }
        @{ Resolver = $Resolver; Real = $real }
    }

    # The real builds' runs, done once for both real-build Describes: unpack the artifacts, put the clients
    # in, run every cell's real client (in parallel, each in its own namespaces) and keep the results.
    function Initialize-RealBuilds($RealBuilds, $RealMatrix) {
        if ($script:RealInitialized) { return }
        $script:RealInitialized = $true
        # Where the artifacts are: DNSTOOLS_REAL_LIBC, else ../shared/real-libc beside the repository.
        $repoRoot = if ($env:DNSTOOLS_REPO_ROOT) { $env:DNSTOOLS_REPO_ROOT } else { (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path }
        $script:RealLibc = if ($env:DNSTOOLS_REAL_LIBC) { $env:DNSTOOLS_REAL_LIBC } else { Join-Path (Split-Path $repoRoot) 'shared/real-libc' }
        $script:RealSkip = $SkipReason
        if (-not $RealSkip -and -not (Test-Path (Join-Path $RealLibc 'README.md'))) { $script:RealSkip = "no real C library artifacts at $RealLibc (set DNSTOOLS_REAL_LIBC to their folder)" }
        foreach ($tool in 'tar', 'chroot', 'xargs') {
            if (-not $RealSkip -and -not (Get-Command $tool -CommandType Application -ErrorAction SilentlyContinue)) { $script:RealSkip = "$tool is not installed" }
        }
        $script:RealRunsByCell = @{}
        $script:RealRunSeconds = 0.0
        if ($RealSkip) { return }

        # Unpack (copy) each artifact into the lab and put a client in it. Nothing is written to the artifacts.
        $real = Join-Path $Lab 'real'
        New-Item -ItemType Directory -Path $real -Force | Out-Null
        $clientOut = & musl-gcc -O1 -o (Join-Path $Lab 'gai-musl-dynamic') (Join-Path $Source 'gai.c') 2>&1
        if ($LASTEXITCODE -ne 0) { $script:RealSkip = "musl-gcc (dynamic) failed: $clientOut"; return }
        $clientOut = & gcc -O1 -static -o (Join-Path $Lab 'runtimed') (Join-Path $Source 'runtimed.c') 2>&1
        if ($LASTEXITCODE -ne 0) { $script:RealSkip = "gcc -static failed (libc6-dev): $clientOut"; return }
        $script:RealRoots = @{}
        foreach ($b in $realBuilds) {
            $artifact = Join-Path $RealLibc $b.Artifact
            if (-not (Test-Path $artifact)) { $RealRoots[$b.Build] = "missing artifact $artifact"; continue }
            $root = Join-Path $real $b.Build
            New-Item -ItemType Directory -Path (Join-Path $root 'etc') -Force | Out-Null
            if ($b.Kind -eq 'musl-src') {
                # A minimal chroot: that release's libc.so as the dynamic loader, and the client.
                New-Item -ItemType Directory -Path (Join-Path $root 'lib') -Force | Out-Null
                Copy-Item $artifact (Join-Path $root 'lib/ld-musl-x86_64.so.1')
            }
            else {
                $out = & tar -xzf $artifact -C $root 2>&1
                if ($LASTEXITCODE -ne 0) { $RealRoots[$b.Build] = "tar -xzf $artifact failed: $out"; continue }
            }
            switch ($b.Kind) {
                { $_ -in 'alpine', 'musl-src' } { Copy-Item (Join-Path $Lab 'gai-musl-dynamic') (Join-Path $root 'gai') }
                'busybox-glibc' {
                    Copy-Item (Join-Path $Lab 'gai-glibc') (Join-Path $root 'gai')
                    Set-Content (Join-Path $root 'etc/nsswitch.conf') "hosts: files dns`n" -NoNewline
                }
            }
            foreach ($f in 'etc/resolv.conf', 'etc/hosts') {
                $path = Join-Path $root $f
                if ((Get-Item $path -Force -ErrorAction SilentlyContinue).LinkType) { Remove-Item $path -Force }
                if (-not (Test-Path $path)) { Set-Content $path '' -NoNewline }
            }
            $RealRoots[$b.Build] = $root
        }

        # Every cell's real run, in parallel (each in its own namespaces with its own server): most of a
        # cell's time is the resolver waiting out its timeouts.
        $cellDirs = [System.Collections.Generic.List[string]]::new()
        foreach ($cell in $realMatrix) {
            $root = $RealRoots[$cell.Build]
            if (-not (Test-Path $root -PathType Container -ErrorAction SilentlyContinue)) { continue }
            $dir = Join-Path $real "cell-$($cell.Build)-$($cell.Id)"
            New-Item -ItemType Directory -Path $dir -Force | Out-Null
            Set-Content (Join-Path $dir 'root') $root -NoNewline
            Set-Content (Join-Path $dir 'resolv.conf') "$($cell.Conf)`n" -NoNewline
            Set-Content (Join-Path $dir 'hosts') "127.0.0.1 localhost`n" -NoNewline
            Write-ServerRules (Join-Path $dir 'rules') $cell.Rules
            $argv = if ($cell.Kind -eq 'busybox-static') { @('/bin/busybox', 'wget', '-q', '-O', '/dev/null', "http://$($cell.Name)/") } else { @('/gai', $cell.Name) }
            Set-Content (Join-Path $dir 'cmd') (($argv -join "`n") + "`n") -NoNewline
            # Longest first (the model's total time), so the slowest cells do not start last.
            $expected = (Get-ResolverQueryPlan -Name $cell.Name -ResolvConf $cell.Conf -Resolver $cell.Resolver -ServerBehavior $cell.Rules).TotalTime.TotalMilliseconds
            $cellDirs.Add(("{0:000000000}`t{1}" -f $expected, $dir))
            $RealRunsByCell["$($cell.Build)|$($cell.Id)"] = $dir
        }
        $cellDirs = @($cellDirs | Sort-Object -Descending | ForEach-Object { ($_ -split "`t", 2)[1] })
        Copy-Item (Join-Path $Lab 'dnssrv') $real
        Copy-Item (Join-Path $Lab 'runtimed') $real
        $list = Join-Path $real 'cells.txt'
        Set-Content $list (($cellDirs -join "`n") + "`n") -NoNewline
        # 12 at a time: the cells mostly wait on timeouts; more would crowd 2 loaded cores at the start
        # and delay the resolvers' reactions past the ±100 ms tolerance (seen at 24).
        $script:RealParallel = 12
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        & xargs -a $list -P $RealParallel -I '{}' timeout -k 5 90 unshare -n -m sh (Join-Path $Source 'realrun.sh') $real '{}' 2>&1 | Out-Null
        $script:RealRunSeconds = $sw.Elapsed.TotalSeconds
        Write-Host ('    real builds: {0} cells run in {1:0.0} s ({2} at a time)' -f $cellDirs.Count, $RealRunSeconds, $RealParallel)

        # A cell's real run as the comparers take it. A busybox applet only says whether the name resolved:
        # Rc is null then, Addresses the family wget tried to connect to.
        function script:Read-RealRun([string] $Dir, [string] $Kind) {
            $runOut = Join-Path $Dir 'run.out'
            if (-not (Test-Path $runOut)) { return "the namespace run left no result in $Dir" }
            $report = @{}
            foreach ($line in Get-Content $runOut) { $k, $v = $line -split ' ', 2; $report[$k] = $v }
            $client = @(Get-Content (Join-Path $Dir 'client.out') -ErrorAction SilentlyContinue)
            if ($Kind -ne 'busybox-static') {
                foreach ($line in $client) { $k, $v = $line -split ' ', 2; if ($k -in 'START', 'END', 'RC', 'ADDR') { $report["gai$k"] = $v } }
                if ($null -eq $report.gaiRC) { return "the client printed no result (exit $($report.EXIT)): $($client -join ' ')" }
                $start = [long]$report.gaiSTART
                return [pscustomobject]@{ Rc = [int]$report.gaiRC; Addresses = "$($report.gaiADDR)"; Resolved = [bool]$report.gaiADDR
                    ElapsedMs = ([long]$report.gaiEND - $start) / 1e6; Queries = @(Read-ServerLog (Join-Path $Dir 'server.log') $start); Client = $client -join ' ' }
            }
            $text = $client -join ' '
            $resolved = $text -notmatch 'bad address'
            $family = if ($text -match "can't connect to remote host \(([0-9a-f:.]+)\)") { if ($Matches[1].Contains(':')) { 'AAAA' } else { 'A' } } else { '' }
            $start = [long]$report.START
            [pscustomobject]@{ Rc = $null; Addresses = $family; Resolved = $resolved
                ElapsedMs = ([long]$report.END - $start) / 1e6; Queries = @(Read-ServerLog (Join-Path $Dir 'server.log') $start); Client = $text }
        }
        # Every difference between a real build's run and the model's plan, in words: the wire (names,
        # types, servers, order, socket sharing, bytes after the id, send times ±100 ms), the total time and
        # the outcome (gai: rc and address families; busybox: resolved or not, and the family wget used).
        function script:Compare-RealBuild($Run, $Plan) {
            $model = @(foreach ($m in $Plan.Queries) {
                [pscustomobject]@{ Index = $m.Index; Name = $m.Name; Type = $m.Type; Server = $m.Server; Transport = $m.Transport; TimeMs = $m.SendTime.TotalMilliseconds; Socket = $m.Socket
                    Bytes = if (-not $Plan.Settings.Edns0 -and -not $Plan.Settings.TrustAd) { Get-PlainQueryBytes $m.Name "$($m.Type)" } else { $null } }
            })
            $diffs = [System.Collections.Generic.List[string]]::new()
            foreach ($d in @(Compare-Trace $Run.Queries $model 'model')) { $diffs.Add($d) }
            if ([math]::Abs($Run.ElapsedMs - $Plan.TotalTime.TotalMilliseconds) -gt $ToleranceMs) {
                $diffs.Add(('total: real {0:0.0} ms, model {1:0.0} ms' -f $Run.ElapsedMs, $Plan.TotalTime.TotalMilliseconds))
            }
            $modelAddr = ($Plan.AddressTypes | ForEach-Object { "$_" }) -join '+'
            if ($null -ne $Run.Rc) {
                if ($Run.Rc -ne $Rc["$($Plan.Result)"]) { $diffs.Add("result: real rc $($Run.Rc), model $($Plan.ResultCode) ($($Rc["$($Plan.Result)"]))") }
                if ($Run.Addresses -ne $modelAddr) { $diffs.Add("addresses: real '$($Run.Addresses)', model '$modelAddr'") }
            }
            else {
                # busybox wget: resolved or not, and the family of the first address it got.
                if ($Run.Resolved -ne ($Plan.Result -eq 'Success')) { $diffs.Add("result: real $(if ($Run.Resolved) { 'resolved' } else { 'did not resolve' }) ($($Run.Client)), model $($Plan.ResultCode)") }
                elseif ($Run.Addresses -and $Run.Addresses -notin @($Plan.AddressTypes | ForEach-Object { "$_" })) { $diffs.Add("addresses: wget connected to an $($Run.Addresses) address, model '$modelAddr'") }
            }
            if ($diffs.Count) {
                # What the real client did, for the reader of the failure.
                $diffs.Add("real client: $($Run.Client)")
                foreach ($q in $Run.Queries) { $diffs.Add(('real: {0,8:0.0} ms {1} {2} {3} {4} {5}' -f $q.TimeMs, $q.Socket, $q.Server, $q.Type, $q.Name, $q.Transport)) }
            }
            $diffs
        }
        $script:RealBuildReport = [System.Collections.Generic.List[string]]::new()
    }

    # The probe's outcome as the client's rc (gai.c prints getaddrinfo's; golookup.go maps Go's error).
    $script:ProbeRc = @{
        'ok' = 0; 'EAI_NONAME' = -2; 'EAI_AGAIN' = -3; 'EAI_FAIL' = -4; 'EAI_NODATA' = -5
        'no such host' = -2; 'temporary error' = -3; 'server misbehaving' = -4
    }

    # Starts the logging server on loopback in this (root) namespace, on 127.0.0.1-3 at one port that
    # is free on all three (outside the ephemeral range, so no client socket of the probe takes it).
    function Start-ProbeServer([string] $Dir) {
        $srv = Join-Path $Lab 'dnssrv'
        for ($try = 1; $try -le 8; $try++) {
            $port = Get-Random -Minimum 20000 -Maximum 32000
            $ready = Join-Path $Dir 'ready'
            Remove-Item $ready -ErrorAction SilentlyContinue
            $addresses = '127.0.0.1', '127.0.0.2', '127.0.0.3' | ForEach-Object { "${_}:$port" }
            $p = Start-Process -FilePath $srv -PassThru -RedirectStandardError (Join-Path $Dir 'server.err') `
                -ArgumentList (@((Join-Path $Dir 'rules'), (Join-Path $Dir 'server.log'), $ready, '40') + $addresses)
            for ($i = 0; $i -lt 300 -and -not (Test-Path $ready) -and -not $p.HasExited; $i++) { Start-Sleep -Milliseconds 10 }
            if (Test-Path $ready) { return [pscustomobject]@{ Process = $p; Port = $port } }
            if (-not $p.HasExited) { $p.Kill(); $p.WaitForExit(2000) | Out-Null }
        }
        $null
    }

    # The cell's nameservers, or why the probe cannot replay it (the logging server listens on 127.0.0.1-3).
    function Get-ProbeNameservers([string] $Conf) {
        $nameservers = @([regex]::Matches($Conf, '(?m)^nameserver\s+(\S+)') | ForEach-Object { $_.Groups[1].Value })
        if ($nameservers.Count -eq 0 -or @($nameservers | Where-Object { $_ -notmatch '^127\.0\.0\.[123]$' }).Count) {
            return "the cell's nameservers ($($nameservers -join ', ')) are not all on 127.0.0.1-3, where the logging server listens"
        }
        , $nameservers
    }

    # Runs the probe once against the logging server with the cell's rules; returns what the server
    # logged (times after the probe's own start), the probe's result, and every difference between
    # what the probe reports it sent and what the server logged. A string is a reason to skip.
    # $Ran: the probe already ran elsewhere (the real-build cells run their probes in parallel runspaces):
    # @{ Dir; Port; Lookup } or @{ Error }; only the analysis is done here.
    function Invoke-ProbeLookup([string] $Resolver, [string] $Conf, [string] $Name, [string[]] $Rules, [string] $Id, [hashtable] $Ran) {
        if ($Ran) {
            if ($Ran.Error) { return $Ran.Error }
            $dir = $Ran.Dir; $lookup = $Ran.Lookup; $server = [pscustomobject]@{ Port = $Ran.Port }
        }
        else {
        $dir = Join-Path $Lab "$Id-$Resolver-probe"
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
        New-Item -ItemType Directory -Path $dir | Out-Null
        Write-ServerRules (Join-Path $dir 'rules') $Rules
        $nameservers = Get-ProbeNameservers $Conf
        if ($nameservers -is [string]) { return $nameservers }
        $server = Start-ProbeServer $dir
        if (-not $server) { return "no port in 20000-32000 was free on 127.0.0.1-3 for the logging server (8 tries): $(Get-Content (Join-Path $dir 'server.err') -Raw -ErrorAction SilentlyContinue)" }
        try {
            $endpoints = $nameservers | ForEach-Object { "${_}:$($server.Port)" }
            $lookup = Test-PodDnsLatency -Name $Name -ResolvConf $Conf -Server $endpoints -Resolver $Resolver -Timeout 60 -ErrorAction Stop
        }
        finally {
            if (-not $server.Process.HasExited) { $server.Process.Kill() }
            $server.Process.WaitForExit(5000) | Out-Null
        }
        }
        $logged = @(Read-ServerLog (Join-Path $dir 'server.log') 0)
        $reported = @($lookup.Queries | Sort-Object SentAt)
        $diffs = [System.Collections.Generic.List[string]]::new()
        if ($logged.Count -ne $reported.Count) { $diffs.Add("probe report: $($reported.Count) queries reported, $($logged.Count) logged by the server") }
        # The probe's start on the server's clock: its first query's log time less the send time it reports.
        $startNs = 0L
        if ($reported.Count -and $logged.Count) {
            $q1 = $reported[0]
            $first = $logged | Where-Object { $_.Name -eq $q1.Name -and $_.Type -eq $q1.Type -and $_.Port -eq $q1.SourcePort } | Select-Object -First 1
            if (-not $first) { $first = $logged[0] }
            $startNs = $first.Ns - [long]($q1.SentAt.Ticks * 100)
        }
        foreach ($q in $logged) { $q.TimeMs = ($q.Ns - $startNs) / 1e6 }
        # What the probe says it sent is what the server got: name, type, transport, server, port, time.
        $taken = [bool[]]::new($logged.Count)
        foreach ($q in $reported) {
            $hit = -1
            for ($i = 0; $i -lt $logged.Count; $i++) {
                $l = $logged[$i]
                if (-not $taken[$i] -and $l.Name -eq $q.Name -and $l.Type -eq $q.Type -and $l.Transport -eq $q.Transport -and
                    $l.Port -eq $q.SourcePort -and "$($l.Server):$($server.Port)" -eq $q.Server) { $hit = $i; break }
            }
            if ($hit -lt 0) { $diffs.Add(('probe report: {0} {1} {2} from port {3} to {4} at {5:0.0} ms not logged by the server' -f $q.Name, $q.Type, $q.Transport, $q.SourcePort, $q.Server, $q.SentAt.TotalMilliseconds)); continue }
            $taken[$hit] = $true
            if ([math]::Abs($logged[$hit].TimeMs - $q.SentAt.TotalMilliseconds) -gt $ToleranceMs) {
                $diffs.Add(('probe report: {0} {1} sent at {2:0.0} ms, logged at {3:0.0} ms' -f $q.Name, $q.Type, $q.SentAt.TotalMilliseconds, $logged[$hit].TimeMs))
            }
        }
        $index = 0
        $trace = @(foreach ($q in $logged) {
            $index++
            [pscustomobject]@{ Index = $index; Name = $q.Name; Type = $q.Type; Server = $q.Server; Transport = $q.Transport; TimeMs = $q.TimeMs; Socket = $q.Socket; Bytes = $q.Bytes }
        })
        [pscustomobject]@{
            Lookup = $lookup
            Outcome = $lookup.Outcome
            Rc = $ProbeRc[$lookup.Outcome]
            Succeeded = $lookup.Succeeded
            ElapsedMs = $lookup.Duration.TotalMilliseconds
            Queries = $trace
            ReportDiffs = $diffs
        }
    }

    # Every difference between the probe's run and the real client's run of a cell, in words.
    function Compare-Probe($Real, $Probe, [hashtable] $Stats) {
        $diffs = [System.Collections.Generic.List[string]]::new()
        foreach ($d in @(Compare-Trace $Real.Queries $Probe.Queries 'probe' $Stats)) { $diffs.Add($d) }
        if ([math]::Abs($Real.ElapsedMs - $Probe.ElapsedMs) -gt $ToleranceMs) {
            $diffs.Add(('total: real {0:0.0} ms, probe {1:0.0} ms' -f $Real.ElapsedMs, $Probe.ElapsedMs))
        }
        # A busybox applet (real builds) has no rc: only whether the name resolved.
        $busybox = $null -eq $Real.Rc -and $Real.PSObject.Properties['Resolved']
        if (-not $busybox -and ($null -eq $Probe.Rc -or $Real.Rc -ne $Probe.Rc)) { $diffs.Add("result: real rc $($Real.Rc), probe $($Probe.Outcome) ($($Probe.Rc))") }
        $realResolved = if ($busybox) { [bool]$Real.Resolved } else { [bool]$Real.Addresses }
        if ($realResolved -ne [bool]$Probe.Succeeded) { $diffs.Add("success: real returned '$($Real.Addresses)', probe Succeeded $($Probe.Succeeded)") }
        foreach ($d in $Probe.ReportDiffs) { $diffs.Add($d) }
        $diffs
    }
}

AfterAll {
    if ($script:Report.Count -gt 0 -and $env:DNSTOOLS_REPO_ROOT) {
        $file = Join-Path $env:DNSTOOLS_REPO_ROOT 'out/test-results/conformance.txt'
        New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
        $script:Report | Set-Content $file
    }
    if ($script:ProbeReport.Count -gt 0 -and $env:DNSTOOLS_REPO_ROOT) {
        $file = Join-Path $env:DNSTOOLS_REPO_ROOT 'out/test-results/probe-conformance.txt'
        New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
        $script:ProbeReport | Set-Content $file
    }
    if ($script:Lab -and (Test-Path $script:Lab)) { Remove-Item $script:Lab -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Conformance with the real libc resolvers' -Tag Conformance {
    It '<Id> <Resolver>' -ForEach $matrix {
        $cell = Get-RealCell -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id
        if ($cell -is [string]) { Set-ItResult -Skipped -Because $cell; return }
        $Resolver = $cell.Resolver; $real = $cell.Real
        $plan = Get-ResolverQueryPlan -Name $Name -ResolvConf $Conf -Resolver $Resolver -ServerBehavior $Rules
        $diffs = @(Compare-Plan $real $plan)
        $status = if ($diffs.Count) { 'FAIL' } else { 'pass' }
        $script:Report.Add(('{0,-32} {1,-11} {2}  real {3,3} queries {4,8:0.0} ms rc {5,2}  model {6,3} queries {7,8:0.0} ms {8}' -f
            $Id, $Resolver, $status, $real.Queries.Count, $real.ElapsedMs, $real.Rc, $plan.QueryCount, $plan.TotalTime.TotalMilliseconds, $plan.ResultCode))
        Write-Host ('    real: {0} queries, {1:0.0} ms, rc {2}, {3}; model: {4} queries, {5:0.0} ms, {6}' -f $real.Queries.Count, $real.ElapsedMs, $real.Rc, $real.Addresses, $plan.QueryCount, $plan.TotalTime.TotalMilliseconds, $plan.ResultCode)
        $diffs -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'Conformance of the probe with the real libc resolvers' -Tag ProbeConformance {
    It '<Id> <Resolver> probe' -ForEach $matrix {
        $cell = Get-RealCell -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id
        if ($cell -is [string]) { Set-ItResult -Skipped -Because $cell; return }
        $Resolver = $cell.Resolver; $real = $cell.Real
        $probe = Invoke-ProbeLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id
        if ($probe -is [string]) { Set-ItResult -Skipped -Because $probe; return }
        $stats = @{ MaxDtMs = 0.0 }
        $diffs = @(Compare-Probe $real $probe $stats)
        $rerun = $false
        if ($diffs.Count) {
            # As for the real builds' cells: a scheduling stall on 2 shared cores (a pair split past the 1 ms race
            # window, a late reaction) gets one more run before the cell fails; the window itself stays 1 ms.
            $probe = Invoke-ProbeLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id
            if ($probe -is [string]) { Set-ItResult -Skipped -Because $probe; return }
            $stats = @{ MaxDtMs = 0.0 }
            $diffs = @(Compare-Probe $real $probe $stats)
            $rerun = $true
        }
        $status = if ($diffs.Count) { 'FAIL' } elseif ($rerun) { 'pass (on a rerun)' } else { 'pass' }
        $script:ProbeReport.Add(('{0,-32} {1,-11} {2}  real {3,3} queries {4,8:0.0} ms rc {5,2}  probe {6,3} queries {7,8:0.0} ms {8,-15} max send-time diff {9,5:0.0} ms' -f
            $Id, $Resolver, $status, $real.Queries.Count, $real.ElapsedMs, $real.Rc, $probe.Queries.Count, $probe.ElapsedMs, $probe.Outcome, $stats.MaxDtMs))
        Write-Host ('    real: {0} queries, {1:0.0} ms, rc {2}, {3}; probe: {4} queries, {5:0.0} ms, {6}' -f $real.Queries.Count, $real.ElapsedMs, $real.Rc, $real.Addresses, $probe.Queries.Count, $probe.ElapsedMs, $probe.Outcome)
        $diffs -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'Conformance with the real builds in ../shared/real-libc' -Tag RealBuildConformance -ForEach @(@{ RealMatrix = $realMatrix; RealBuilds = $realBuilds }) {
    BeforeAll {
        Initialize-RealBuilds $RealBuilds $RealMatrix
    }

    AfterAll {
        if ($script:RealBuildReport -and $RealBuildReport.Count -gt 0 -and $env:DNSTOOLS_REPO_ROOT) {
            $file = Join-Path $env:DNSTOOLS_REPO_ROOT 'out/test-results/real-build-conformance.txt'
            New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
            @("real runs: $($RealRunsByCell.Count) cells in $('{0:0.0}' -f $RealRunSeconds) s, $RealParallel at a time") + $RealBuildReport | Set-Content $file
        }
    }

    It '<Build> (<Resolver>) <Id>' -ForEach $RealMatrix {
        if ($RealSkip) { Set-ItResult -Skipped -Because $RealSkip; return }
        $root = $RealRoots[$Build]
        if (-not (Test-Path $root -PathType Container -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because $root; return }
        $dir = $RealRunsByCell["$Build|$Id"]
        $plan = Get-ResolverQueryPlan -Name $Name -ResolvConf $Conf -Resolver $Resolver -ServerBehavior $Rules
        $run = Read-RealRun $dir $Kind
        if ($run -is [string]) { throw $run }
        $diffs = @(Compare-RealBuild $run $plan)
        $rerun = $false
        if ($diffs.Count) {
            # The parallel batch shares 2 cores with whatever else runs: a cell that differs is run once more
            # on its own, and that run is the one compared (a real difference shows again; a stall does not).
            & timeout -k 5 90 unshare -n -m sh (Join-Path $Source 'realrun.sh') (Split-Path $dir) $dir 2>&1 | Out-Null
            $run = Read-RealRun $dir $Kind
            if ($run -is [string]) { throw $run }
            $diffs = @(Compare-RealBuild $run $plan)
            $rerun = $true
        }
        $status = if ($diffs.Count) { 'FAIL' } elseif ($rerun) { 'identical (on a rerun alone)' } else { 'identical' }
        $script:RealBuildReport.Add(('{0,-16} {1,-17} {2,-32} {3,-9} real {4,3} queries {5,8:0.0} ms {6,-10} model {7,3} queries {8,8:0.0} ms {9}' -f
            $Build, $Resolver, $Id, $status, $run.Queries.Count, $run.ElapsedMs, $(if ($null -ne $run.Rc) { "rc $($run.Rc)" } elseif ($run.Resolved) { 'resolved' } else { 'failed' }), $plan.QueryCount, $plan.TotalTime.TotalMilliseconds, $plan.ResultCode))
        $diffs -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'Measure-DnsCapture on captures of the real builds' -Tag RealBuildConformance -ForEach @(@{ RealMatrix = $realMatrix; RealBuilds = $realBuilds }) {
    BeforeAll {
        Initialize-RealBuilds $RealBuilds $RealMatrix
    }

    It 'tells <Build> apart as <Expected> (the incident scenario captured with tcpdump)' -ForEach @(
        @{ Build = 'busybox-uclibc'; Expected = 'UClibcNg' }
        @{ Build = 'alpine-3.20.3'; Expected = 'Musl' }
        @{ Build = 'busybox-glibc'; Expected = 'Glibc' }
    ) {
        if ($RealSkip) { Set-ItResult -Skipped -Because $RealSkip; return }
        if (-not (Get-Command tcpdump -CommandType Application -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because 'tcpdump is not installed'; return }
        $dir = $RealRunsByCell["$Build|k8s-default"]
        if (-not $dir) { Set-ItResult -Skipped -Because "no $Build rootfs"; return }
        $pcap = Join-Path $dir 'lookup.pcap'
        $env:CAPTURE = $pcap
        try { & timeout -k 5 90 unshare -n -m sh (Join-Path $Source 'realrun.sh') (Split-Path $dir) $dir 2>&1 | Out-Null }
        finally { Remove-Item Env:CAPTURE }
        $lookup = Measure-DnsCapture -Path $pcap | Where-Object Name -eq 'elink.spic.com.cn.'
        "$($lookup.Resolver)" | Should -Be $Expected -Because $lookup.ResolverEvidence
    }
}

Describe 'Conformance of the probe with the real builds in ../shared/real-libc' -Tag RealBuildProbeConformance -ForEach @(@{ RealMatrix = $realMatrix; RealBuilds = $realBuilds }) {
    BeforeAll {
        Initialize-RealBuilds $RealBuilds $RealMatrix
        $script:RealProbeRuns = @{}
        $script:RealProbeSeconds = 0.0
        $script:RealProbeReport = [System.Collections.Generic.List[string]]::new()
        if ($RealSkip) { return }
        # One probe run per resolver and scenario (two builds with the same release share it), run in
        # parallel runspaces, each against its own logging server on loopback; analysed in the tests.
        $work = [System.Collections.Generic.List[object]]::new()
        foreach ($cell in $RealMatrix) {
            $key = "$($cell.Resolver)|$($cell.Id)"
            if ($RealProbeRuns.ContainsKey($key)) { continue }
            $nameservers = Get-ProbeNameservers $cell.Conf
            if ($nameservers -is [string]) { $RealProbeRuns[$key] = @{ Error = $nameservers }; continue }
            $dir = Join-Path $Lab "real-probe-$($cell.Resolver)-$($cell.Id)"
            New-Item -ItemType Directory -Path $dir -Force | Out-Null
            Write-ServerRules (Join-Path $dir 'rules') $cell.Rules
            $RealProbeRuns[$key] = $null
            $expected = (Get-ResolverQueryPlan -Name $cell.Name -ResolvConf $cell.Conf -Resolver $cell.Resolver -ServerBehavior $cell.Rules).TotalTime.TotalMilliseconds
            $work.Add([pscustomobject]@{ Key = $key; Dir = $dir; Name = $cell.Name; Conf = $cell.Conf; Resolver = $cell.Resolver; Nameservers = $nameservers; Expected = $expected })
        }
        $manifest = $env:DNSTOOLS_MODULE_MANIFEST
        $srv = Join-Path $Lab 'dnssrv'
        $script:RealProbeParallel = 6
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $results = $work | Sort-Object Expected -Descending | ForEach-Object -ThrottleLimit $RealProbeParallel -Parallel {
            $w = $_
            Import-Module $using:manifest
            $result = @{ Key = $w.Key; Dir = $w.Dir }
            $p = $null
            # The logging server on 127.0.0.1-3 at one free port outside the ephemeral range (as Start-ProbeServer).
            for ($try = 1; $try -le 8 -and -not $result.Port; $try++) {
                $port = Get-Random -Minimum 20000 -Maximum 32000
                $ready = Join-Path $w.Dir 'ready'
                Remove-Item $ready -ErrorAction SilentlyContinue
                $p = Start-Process -FilePath $using:srv -PassThru -RedirectStandardError (Join-Path $w.Dir 'server.err') `
                    -ArgumentList (@((Join-Path $w.Dir 'rules'), (Join-Path $w.Dir 'server.log'), $ready, '60') + @('127.0.0.1', '127.0.0.2', '127.0.0.3' | ForEach-Object { "${_}:$port" }))
                for ($i = 0; $i -lt 300 -and -not (Test-Path $ready) -and -not $p.HasExited; $i++) { Start-Sleep -Milliseconds 10 }
                if (Test-Path $ready) { $result.Port = $port }
                elseif (-not $p.HasExited) { $p.Kill(); $p.WaitForExit(2000) | Out-Null }
            }
            if (-not $result.Port) { $result.Error = 'no free port for the logging server'; return $result }
            try {
                $endpoints = $w.Nameservers | ForEach-Object { "${_}:$($result.Port)" }
                $result.Lookup = Test-PodDnsLatency -Name $w.Name -ResolvConf $w.Conf -Server $endpoints -Resolver $w.Resolver -Timeout 60 -ErrorAction Stop
            }
            catch { $result.Error = "Test-PodDnsLatency failed: $_" }
            finally {
                if (-not $p.HasExited) { $p.Kill() }
                $p.WaitForExit(5000) | Out-Null
            }
            $result
        }
        foreach ($r in $results) { $RealProbeRuns[$r.Key] = $r }
        $script:RealProbeSeconds = $sw.Elapsed.TotalSeconds
        Write-Host ('    probe: {0} runs in {1:0.0} s ({2} at a time)' -f $work.Count, $RealProbeSeconds, $RealProbeParallel)
    }

    AfterAll {
        if ($script:RealProbeReport -and $RealProbeReport.Count -gt 0 -and $env:DNSTOOLS_REPO_ROOT) {
            $file = Join-Path $env:DNSTOOLS_REPO_ROOT 'out/test-results/real-build-probe-conformance.txt'
            New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
            @("probe runs: $($RealProbeRuns.Count) in $('{0:0.0}' -f $RealProbeSeconds) s, $RealProbeParallel at a time") + $RealProbeReport | Set-Content $file
        }
    }

    It '<Build> (<Resolver>) <Id> probe' -ForEach $RealMatrix {
        if ($RealSkip) { Set-ItResult -Skipped -Because $RealSkip; return }
        $root = $RealRoots[$Build]
        if (-not (Test-Path $root -PathType Container -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because $root; return }
        $dir = $RealRunsByCell["$Build|$Id"]
        $real = Read-RealRun $dir $Kind
        if ($real -is [string]) { throw $real }
        $probe = Invoke-ProbeLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id $Id -Ran $RealProbeRuns["$Resolver|$Id"]
        if ($probe -is [string]) { Set-ItResult -Skipped -Because $probe; return }
        $stats = @{ MaxDtMs = 0.0 }
        $diffs = @(Compare-Probe $real $probe $stats)
        $rerun = $false
        if ($diffs.Count) {
            # Both sides ran beside other work on 2 loaded cores: run each once more alone and compare those.
            & timeout -k 5 90 unshare -n -m sh (Join-Path $Source 'realrun.sh') (Split-Path $dir) $dir 2>&1 | Out-Null
            $real = Read-RealRun $dir $Kind
            if ($real -is [string]) { throw $real }
            $probe = Invoke-ProbeLookup -Resolver $Resolver -Conf $Conf -Name $Name -Rules $Rules -Id "real-$Build-$Id"
            if ($probe -is [string]) { Set-ItResult -Skipped -Because $probe; return }
            $diffs = @(Compare-Probe $real $probe $stats)
            $rerun = $true
        }
        $status = if ($diffs.Count) { 'FAIL' } elseif ($rerun) { 'identical (on a rerun alone)' } else { 'identical' }
        $script:RealProbeReport.Add(('{0,-16} {1,-17} {2,-32} {3,-9} real {4,3} queries {5,8:0.0} ms {6,-10} probe {7,3} queries {8,8:0.0} ms {9,-12} max send-time diff {10,5:0.0} ms' -f
            $Build, $Resolver, $Id, $status, $real.Queries.Count, $real.ElapsedMs, $(if ($null -ne $real.Rc) { "rc $($real.Rc)" } elseif ($real.Resolved) { 'resolved' } else { 'failed' }),
            $probe.Queries.Count, $probe.ElapsedMs, $probe.Outcome, $stats.MaxDtMs))
        $diffs -join "`n" | Should -BeNullOrEmpty
    }
}

Describe 'The probe conformance comparer' -Tag ProbeConformance {
    BeforeAll {
        function script:Q([string] $Type, [double] $TimeMs, [string] $Socket, [int] $Index = 0) {
            [pscustomobject]@{ Index = $Index; Name = 'a.example.'; Type = $Type; Server = '127.0.0.1'; Transport = 'UDP'; TimeMs = $TimeMs; Socket = $Socket }
        }
        $script:RealPair = @((Q A 0.1 'udp:1000'), (Q AAAA 0.2 'udp:1000'))
    }

    It 'finds nothing between equal traces' {
        @(Compare-Trace $RealPair @((Q A 0.3 'udp:2000' 1), (Q AAAA 0.4 'udp:2000' 2)) 'probe') | Should -BeNullOrEmpty
    }

    It 'sees socket sharing differ in both directions' {
        @(Compare-Trace $RealPair @((Q A 0.3 'udp:2000' 1), (Q AAAA 0.4 'udp:2001' 2)) 'probe') -join "`n" | Should -Match 'real udp:1000 carries probe sockets udp:2000 and udp:2001'
        $realTwo = @((Q A 0.1 'udp:1000'), (Q AAAA 0.2 'udp:1001'))
        @(Compare-Trace $realTwo @((Q A 0.3 'udp:2000' 1), (Q AAAA 0.4 'udp:2000' 2)) 'probe') -join "`n" | Should -Match 'probe socket udp:2000 is real udp:1000 and udp:1001'
    }

    It 'sees times, order, retries and missing queries differ' {
        @(Compare-Trace $RealPair @((Q A 0.3 'udp:2000' 1), (Q AAAA 150 'udp:2000' 2)) 'probe') -join "`n" | Should -Match 'sent at 0.2 ms, probe 150.0 ms'
        @(Compare-Trace @((Q A 0.1 'udp:1'), (Q AAAA 20 'udp:1')) @((Q AAAA 0.3 'udp:2' 1), (Q A 20 'udp:2' 2)) 'probe') -join "`n" | Should -Match 'out of order'
        $retry = @(Compare-Trace $RealPair @((Q A 0.3 'udp:2' 1), (Q AAAA 0.4 'udp:2' 2), (Q AAAA 1000 'udp:2' 3)) 'probe') -join "`n"
        $retry | Should -Match 'query count: real 2, probe 3'
        $retry | Should -Match 'AAAA 127.0.0.1 UDP at 1000.0 ms: not sent by the real resolver'
        @(Compare-Trace $RealPair @((Q A 0.3 'udp:2' 1)) 'probe') -join "`n" | Should -Match 'real query not in the probe: a.example. AAAA'
    }

    It 'sees the total time, the result and the success differ' {
        $real = [pscustomobject]@{ Queries = $RealPair; ElapsedMs = 1000.0; Rc = -3; Addresses = '' }
        $probe = [pscustomobject]@{ Queries = @((Q A 0.3 'udp:2' 1), (Q AAAA 0.4 'udp:2' 2)); ElapsedMs = 1.0; Rc = 0; Outcome = 'ok'; Succeeded = $true; ReportDiffs = @() }
        $text = @(Compare-Probe $real $probe) -join "`n"
        $text | Should -Match 'total: real 1000.0 ms, probe 1.0 ms'
        $text | Should -Match 'result: real rc -3, probe ok \(0\)'
        $text | Should -Match "success: real returned '', probe Succeeded True"
    }

    It 'fails a probe that replays another libc than the real one (ndots-1: glibc probe, musl client)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $conf = "nameserver 127.0.0.1`nsearch ns1.svc.cluster.local`noptions ndots:1 timeout:1"
        $rules = @('svc-a.example -> NXDOMAIN')
        $real = Get-RealLookup -Resolver musl-1.2.3 -Conf $conf -Name svc-a.example -Rules $rules -Id ndots-1
        if ($real -is [string]) { Set-ItResult -Skipped -Because $real; return }
        $probe = Invoke-ProbeLookup -Resolver glibc-2.36 -Conf $conf -Name svc-a.example -Rules $rules -Id ndots-1
        if ($probe -is [string]) { Set-ItResult -Skipped -Because $probe; return }
        $text = @(Compare-Probe $real $probe) -join "`n"
        $text | Should -Match 'query count: real 2, probe 4'
        $text | Should -Match 'result: real rc -2, probe ok'
    }
}
