@{
    Synopsis    = 'Checks container images against the DNS rule catalogue (musl resolver behaviour, old musl, ignored resolv.conf options, glibc no-aaaa, static images) and gates a pipeline on the result.'
    Description = @'
Test-ImageDns profiles each image as Get-ImageDnsProfile does and evaluates the rule catalogue over it. Each finding is an ImageDnsFinding: Image and Platform (so findings from several images stay apart), RuleId (stable, such as DNS-MUSL-001), Severity (Error, Warning, Info), Title, Message, the evidence (Path in the image, Layer digest and LayerIndex, Version), Remediation and HelpUri (docs/rules/<id>.md: the behaviour, the libc source it comes from, and the fix).

Rules: DNS-MUSL-001 (musl resolver: parallel A/AAAA on one socket, a SERVFAIL of either fails the lookup; Warning), DNS-MUSL-002 (musl before 1.2.4: no TCP fallback; Warning), DNS-MUSL-003 (musl before 1.1.13: search list ignored; Error), DNS-CONF-001 (resolv.conf options the image's resolver ignores; Warning), DNS-CONF-002 (the image ships its own resolv.conf; Info), DNS-GLIBC-001 (glibc 2.36+: no-aaaa available; Info), DNS-GLIBC-002 (glibc 2.9+: A and AAAA in parallel from one socket, the conntrack race; single-request-reopen; Info), DNS-LIBC-001 (no C library; Info), DNS-GO-001 (the entrypoint is a Go binary and the image has no hosts: line in /etc/nsswitch.conf; Info), DNS-ENTRY-001 (the entrypoint resolves names differently from the base image's C library: pure Go, static, or linked against the other libc; Warning).

The report always contains every finding; -FailOn only decides whether the command ends in a terminating error. That error comes after the report is written (to -OutFile or the pipeline) and names each failing image with its failing rule ids, so `pwsh -Command` exits non-zero while the report stays complete. An image that cannot be read also fails the gate when -FailOn is not None.

-ExcludeRule drops rules before evaluation. -IgnoreFile names a file with one rule id per line, an optional expiry date (yyyy-MM-dd) and "# reason"; a finding it covers stays in the report, marked Suppressed with the reason (a SARIF suppression, a JUnit skipped test), and no longer fails the gate. An entry past its expiry date stops applying and a warning says so.

-Format Table (default) writes ImageDnsFinding objects as each image is done; Json, Sarif (SARIF 2.1.0, with every rule and its helpUri in tool.driver.rules) and JUnit (one testsuite per image, one testcase per rule) render one report for all images, written to -OutFile or to the pipeline as a string. An image that could not be read is named in the report as well (Json: errors; Sarif: a toolExecutionNotification and executionSuccessful false; JUnit: an errored test case), so a report never looks clean for want of findings.

Kubernetes objects can be piped in: kubectl get pods -A -o json | ConvertFrom-Json | Test-ImageDns checks every image the cluster runs (containers, initContainers and ephemeral containers of every pod), each image reference once; one pod (kubectl get pod NAME -o json) works the same way.
'@
    Parameters  = @{
        Image                 = 'The images: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH, registry:HOST/REPO:TAG, docker:REF, podman:REF, or a bare path that is sniffed. Several may be given; piped images come through -InputObject.'
        InputObject           = 'The pipeline: image references (strings, or objects with an Image or FullName property such as files from Get-ChildItem) and profiles from Get-ImageDnsProfile, which are checked as they are, without reading the image again. Anything else is a binding error. Kubernetes pods and pod lists piped in (kubectl get pods -A -o json | ConvertFrom-Json) give every container image (initContainers, containers, ephemeralContainers), each reference once; a reference without a registry host (nginx:1.25) is docker.io''s, as the container runtime pulls it.'
        Platform              = 'The platform to pick from a multi-platform index, os/arch[/variant] such as linux/arm64/v8. Default linux/amd64. all: every platform the index offers, one profile each (their findings tagged with each Platform).'
        Credential            = 'User name and password for a registry (basic auth, or the bearer token realm). Without it, what docker login stored for the registry ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): the credential helper it names (credHelpers for this host, else credsStore; docker-credential-NAME get, as docker runs it), else its auths entry; anonymous when there is none.'
        AllowInsecureRegistry = 'Allow plain HTTP to a registry that is not on loopback when it does not speak TLS.'
        FailOn                = 'None (default), Info, Warning or Error: after the report is written, end with a terminating error naming the images and rule ids when any finding that is not suppressed has this severity or a higher one.'
        ExcludeRule           = 'Rule ids not to evaluate (case-insensitive). Unknown ids are a warning.'
        IgnoreFile            = 'A file of rule ids to suppress, one per line: "RULE-ID [yyyy-MM-dd] [# reason]". Suppressed findings stay in the report but do not fail the gate; expired entries stop applying, with a warning.'
        Format                = 'Table (objects), Json, Sarif (2.1.0) or JUnit (XML).'
        OutFile               = 'Write the report here (UTF-8) instead of to the pipeline. With -Format Table the file holds one tab-separated line per finding. An existing file is never overwritten without -Force: that is an error (OutFileExists) before any image is read. -WhatIf reads the images and says what it would write, without writing.'
        WhatIf                = 'Read the images and say which -OutFile would be written, without writing it.'
        Confirm               = 'Ask before writing -OutFile.'
        Force                 = 'Overwrite an existing -OutFile. Without it, an existing file is an error and stays as it was (the opposite default to Out-File, whose -NoClobber asks for this).'
        PassThru              = 'Also write the ImageDnsFinding objects when a report is rendered (Json, Sarif, JUnit or -OutFile).'
        MaxDecompressedBytes  = 'Ceiling on the decompressed bytes read from each image; reading stops with an error beyond it. Default 8 GiB.'
        MaxContentBytes       = 'Largest configuration file (os-release, resolv.conf, a package database other than rpm''s) kept in memory; a larger one is read as missing. Default 16 MiB.'
        MaxProgramBytes       = 'Largest program (the entrypoint and what it runs, /bin/sh, a glibc loader) read whole for its analysis and held in memory once (the working set grows by about its size); a larger one is named in Entrypoint.Note with its size and not read. Default 128 MiB (Go services run to 100 MB).'
        MaxEntries            = 'Most entries of the merged file system held in memory (a -Recurse listing holds every one); reading stops with a limit error as soon as a layer would pass it. Default 500000.'
        MaxPathLength         = 'Longest entry name or link target a layer may hold, in characters; a longer one is refused as a limit before it is taken apart. Default 4096 (Linux''s PATH_MAX).'
        MaxCompressionRatio   = 'Most decompressed bytes a compressed layer may give per compressed byte, counted past its first 256 MiB; beyond it the layer is refused as a limit (a decompression bomb). gzip cannot exceed about 1032; only zstd of long zero runs can. Default 2000.'
        MaxLayers             = 'Most layers a manifest may list before the image is refused as a limit (checked before any layer is read). Default 500; Docker''s own limit is 127.'
        MaxDuplicateLayers    = 'Most times a manifest may list the same layer blob before the image is refused as a limit (one blob listed thousands of times would be read thousands of times). Default 16.'
    }
    Outputs     = 'DnsTools.Core.Inspection.ImageDnsFinding; with -Format Json, Sarif or JUnit and no -OutFile, the report as a string'
    Examples    = @(
        @{
            Code    = @'
New-Item -ItemType Directory ./alpine-lint/lib/apk/db, ./alpine-lint/etc -Force | Out-Null
"P:musl`nV:1.2.3-r5`n" | Set-Content ./alpine-lint/lib/apk/db/installed
"nameserver 10.96.0.10`noptions ndots:5 single-request-reopen" | Set-Content ./alpine-lint/etc/resolv.conf
Test-ImageDns -Image dir:./alpine-lint
'@
            Remarks = 'The findings for a tiny Alpine-like root file system, rule by rule: musl resolver behaviour, no TCP fallback before 1.2.4, single-request-reopen ignored by musl, resolv.conf shipped in the image. The next examples use ./alpine-lint.'
        }
        @{
            Code    = @'
"DNS-CONF-002 # kubelet replaces resolv.conf in our pods" | Set-Content ./dns-ignore.txt
try {
    Test-ImageDns -Image dir:./alpine-lint -FailOn Warning -IgnoreFile ./dns-ignore.txt -Format Sarif -OutFile dns.sarif
} catch { "gate: $($_.Exception.Message)" }
(Get-Content dns.sarif -Raw | ConvertFrom-Json).runs[0].results | Select-Object ruleId, level
'@
            Remarks = 'A CI gate: the SARIF report lists every finding (the ignored one with a suppression), then the command fails because of the Warning findings. In a pipeline, run it with pwsh -Command and let the exit code fail the job.'
        }
        @{
            Code    = 'Test-ImageDns -Image dir:./alpine-lint -ExcludeRule DNS-CONF-002 -Format Json'
            Remarks = 'The findings as JSON, without the rule about resolv.conf being shipped.'
        }
    )
    Links       = @('Get-ImageDnsProfile', 'Get-ImageFile', 'about_DnsTools')
}
