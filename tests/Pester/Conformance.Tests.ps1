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
        @{ Id = 'aaaa-nxdomain-a-answered'; Name = 'half.example'; Conf = "nameserver 127.0.0.1`nsearch corp.local`noptions ndots:2 timeout:1"
           Rules = @('AAAA * -> NXDOMAIN') }
    )
    # Go's pure resolver is checked too when a Go toolchain is present (its cells skip otherwise).
    $matrix = foreach ($c in $cells) { foreach ($libc in 'musl-1.2.3', 'glibc-2.36', 'go') { $c + @{ Resolver = $libc } } }
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
    $script:Kinds = @{ Answer = 'answer'; NxDomain = 'nxdomain'; NoData = 'nodata'; ServFail = 'servfail'; Refused = 'refused'; NoAnswer = 'none'; Truncated = 'tc' }

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
            }
        } | Sort-Object TimeMs
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
        }
        for ($i = 0; $i -lt $seen.Count; $i++) {
            if (-not $used[$i]) { $diffs.Add(('real query not in the {5}: {0} {1} {2} {3} at {4:0.0} ms' -f $seen[$i].Name, $seen[$i].Type, $seen[$i].Server, $seen[$i].Transport, $seen[$i].TimeMs, $Label)) }
        }
        if ($null -ne $Stats) { $Stats.MaxDtMs = $maxDt }
        $diffs
    }

    # Every difference between the real run and the plan, in words.
    function Compare-Plan($Run, $Plan) {
        $model = @(foreach ($m in $Plan.Queries) {
            [pscustomobject]@{ Index = $m.Index; Name = $m.Name; Type = $m.Type; Server = $m.Server; Transport = $m.Transport; TimeMs = $m.SendTime.TotalMilliseconds; Socket = $m.Socket }
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

    # Runs the probe once against the logging server with the cell's rules; returns what the server
    # logged (times after the probe's own start), the probe's result, and every difference between
    # what the probe reports it sent and what the server logged. A string is a reason to skip.
    function Invoke-ProbeLookup([string] $Resolver, [string] $Conf, [string] $Name, [string[]] $Rules, [string] $Id) {
        $dir = Join-Path $Lab "$Id-$Resolver-probe"
        if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
        New-Item -ItemType Directory -Path $dir | Out-Null
        Write-ServerRules (Join-Path $dir 'rules') $Rules
        $nameservers = @([regex]::Matches($Conf, '(?m)^nameserver\s+(\S+)') | ForEach-Object { $_.Groups[1].Value })
        if ($nameservers.Count -eq 0 -or @($nameservers | Where-Object { $_ -notmatch '^127\.0\.0\.[123]$' }).Count) {
            return "the cell's nameservers ($($nameservers -join ', ')) are not all on 127.0.0.1-3, where the logging server listens"
        }
        $server = Start-ProbeServer $dir
        if (-not $server) { return "no port in 20000-32000 was free on 127.0.0.1-3 for the logging server (8 tries): $(Get-Content (Join-Path $dir 'server.err') -Raw -ErrorAction SilentlyContinue)" }
        try {
            $endpoints = $nameservers | ForEach-Object { "${_}:$($server.Port)" }
            $lookup = Test-PodDnsLatency -Name $Name -ResolvConf $Conf -Server $endpoints -Resolver $Resolver -Timeout 30 -ErrorAction Stop
        }
        finally {
            if (-not $server.Process.HasExited) { $server.Process.Kill() }
            $server.Process.WaitForExit(5000) | Out-Null
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
            [pscustomobject]@{ Index = $index; Name = $q.Name; Type = $q.Type; Server = $q.Server; Transport = $q.Transport; TimeMs = $q.TimeMs; Socket = $q.Socket }
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
        if ($null -eq $Probe.Rc -or $Real.Rc -ne $Probe.Rc) { $diffs.Add("result: real rc $($Real.Rc), probe $($Probe.Outcome) ($($Probe.Rc))") }
        if ([bool]$Real.Addresses -ne [bool]$Probe.Succeeded) { $diffs.Add("success: real returned '$($Real.Addresses)', probe Succeeded $($Probe.Succeeded)") }
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
        $status = if ($diffs.Count) { 'FAIL' } else { 'pass' }
        $script:ProbeReport.Add(('{0,-32} {1,-11} {2}  real {3,3} queries {4,8:0.0} ms rc {5,2}  probe {6,3} queries {7,8:0.0} ms {8,-15} max send-time diff {9,5:0.0} ms' -f
            $Id, $Resolver, $status, $real.Queries.Count, $real.ElapsedMs, $real.Rc, $probe.Queries.Count, $probe.ElapsedMs, $probe.Outcome, $stats.MaxDtMs))
        Write-Host ('    real: {0} queries, {1:0.0} ms, rc {2}, {3}; probe: {4} queries, {5:0.0} ms, {6}' -f $real.Queries.Count, $real.ElapsedMs, $real.Rc, $real.Addresses, $probe.Queries.Count, $probe.ElapsedMs, $probe.Outcome)
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
