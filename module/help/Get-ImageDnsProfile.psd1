@{
    Synopsis    = 'Tells what resolves names in a container image: OS, C library (musl, glibc, uClibc-ng or none) and version, and the resolver configuration baked in, each with the layer it came from.'
    Description = @'
Get-ImageDnsProfile reads an image without a runtime (the same references as Get-ImageFile) and returns an ImageDnsProfile. It reads only the paths it needs from the merged file system: /etc/os-release (else /usr/lib/os-release), the package databases (/lib/apk/db/installed: the package that provides the C library — musl on Alpine, glibc on Wolfi and Chainguard, so apk alone never means musl; /var/lib/dpkg/status for Debian's libc6, or distroless's one file per package under /var/lib/dpkg/status.d/), /etc/resolv.conf, /etc/nsswitch.conf, /etc/gai.conf and /etc/hosts.

When neither apk nor dpkg names the C library, rpm's package database is read for the glibc package (RHEL, UBI, Fedora, CentOS, Rocky, Amazon Linux and openSUSE images): rpmdb.sqlite (rpm 4.16 and later) or the ndb Packages.db, in /var/lib/rpm or /usr/lib/sysimage/rpm, else the BerkeleyDB /var/lib/rpm/Packages of older images (RHEL and CentOS 7 and 8, Amazon Linux 2). Libc.Source is then rpm, Libc.Version the upstream version (2.34) and Libc.PackageVersion the package's [epoch:]version-release (2.34-60.el9). The database is read from memory, up to 512 MiB, beyond the 16 MiB kept for other files. A database that cannot be read is named, with the reason, in Libc.Note, and libc.so.6 answers.

When no package database names the C library, the library directories (/lib, /lib64, /usr/lib, /usr/lib64) are listed: a musl loader (/lib/ld-musl-ARCH.so.1) means musl, and its version is read from the loader's own version string; a libc.so.6 means glibc, and its version is read from the "GNU C Library ... version X" string; with no libc.so.6, glibc's loader (ld-linux-x86-64.so.2, ld-linux-aarch64.so.1, ld-linux-armhf.so.3 and the other architectures' names) means glibc, its version from the loader's "ld.so ... version X" string (Libc.Source loader-string). With none of them the programs are static: the C library linked into the entrypoint (else into /bin/sh, as in busybox images) is told from strings only that library puts there — musl's strerror table ("No error information"), glibc's GLIBC_TUNABLES/GLIBC_PRIVATE, uClibc-ng's herror table — and becomes Libc.Family (Musl, Glibc, UClibcNg; Libc.Source static-binary). A static program has no version string, so Libc.Version stays empty and Libc.Note says what is known and what the rules then assume: a static glibc's minimum version comes from its resolver options table (no-aaaa: 2.36 or later, in Libc.MinimumVersion); a static musl's range comes from the message tables it links (strerror's key-management messages from 1.2.3, gai_strerror's EAI_NODATA message from 1.2.4, the resolv.conf parser's ndots: from 1.1.13), in Libc.MinimumVersion and Libc.BeforeVersion, and the version rules apply when the range is below their boundary. When nothing is recognised, the image has no C library (Libc.Family None): its programs bring their own resolver (a Go binary built with CGO_ENABLED=0 uses Go's).

For every transport but dir: (an unpacked root file system has no image config) the config's Entrypoint and Cmd are read too and followed to the program that runs: past launchers (tini, dumb-init, env, su-exec, gosu), a 'sh -c' whose script is one plain command ("exec /app/server --flag"), and an entrypoint script that ends in exec "$@" (to the arguments it is given, usually the Cmd), up to four hops, listed in Entrypoint.Via. The program is looked up in the image (by the config's PATH when it has no slash) and analysed — ELF PT_INTERP (the loader: musl or glibc; none means static), DT_NEEDED, and the Go build info (Go version, CGO_ENABLED, -tags netgo; Go 1.13–1.17 binaries give only their version, as those toolchains record no build settings) — giving Entrypoint.Resolver: Musl, Glibc, UClibcNg, GoPure, GoCgo, StaticOther or Unknown (with a Note saying why). A static program that is not Go is Musl, Glibc or UClibcNg when its C library is recognised (Entrypoint.StaticLibc), StaticOther when not. A program is read up to -MaxProgramBytes (128 MiB); a larger one is named in the Note with its size; a damaged ELF file is reported in the Note, never thrown.

Every fact carries its evidence: the path, the digest of the layer that supplied it and that layer's index, so a resolv.conf replaced by a later layer is attributed to that layer. /etc/resolv.conf is parsed as ConvertFrom-ResolvConf does (ResolvConf.Musl, .Glibc, .Go). Kubernetes replaces /etc/resolv.conf in a pod; what the image ships matters outside Kubernetes and tells what its authors meant to set.

Without an os-release file the OS comes from the distribution's release file (/etc/alpine-release, /etc/debian_version, /etc/redhat-release, /etc/centos-release, /etc/fedora-release, /etc/system-release, /etc/lsb-release), and last from a /bin/busybox binary's version banner. On musl images the compatibility packages in the apk database (gcompat, libc6-compat, alpine-pkg-glibc's glibc) are listed in Libc.CompatLayers. For a glibc-linked entrypoint the loader its PT_INTERP names is looked up in the image (Entrypoint.Loader): a link to musl's loader (libc6-compat) or a musl program (gcompat's loader) means the program resolves names with musl; a missing loader is noted (the program cannot start).

All of this comes from one read of each layer: the paths above, the library files by name, the shells and every program the config may run are decided before the read and kept as the layers stream by (links too, so paths resolve inside the image). Only a link or an exec that leads to a file nobody could name before the read costs a second read of the layers. The profile's DecompressedBytes and LayerReads say what it cost, and -Verbose prints them.

-Platform all profiles every platform a multi-platform image offers (one profile each, in the index's order; attestation entries are skipped); a single-platform image gives its one profile.

Several images may be given, or piped in; an image that cannot be read is a non-terminating error and the others are still profiled. Test-ImageDns checks the profile against the rule catalogue.
'@
    Parameters  = @{
        Image                 = 'The images: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH (an unpacked root file system), registry:HOST/REPO:TAG, docker:REF, podman:REF, or a bare path that is sniffed. Takes pipeline input: strings, and objects with an Image or FullName property (files from Get-ChildItem); anything else is a binding error. Kubernetes pods and pod lists piped in (kubectl get pods -A -o json | ConvertFrom-Json) give every container image (initContainers, containers, ephemeralContainers), each reference once; a reference without a registry host (nginx:1.25) is docker.io''s, as the container runtime pulls it.'
        Platform              = 'The platform to pick from a multi-platform index, os/arch[/variant] such as linux/arm64/v8. Default linux/amd64. all: every platform the index offers, one profile each (their findings tagged with each Platform).'
        Credential            = 'User name and password for a registry (basic auth, or the bearer token realm). Without it, what docker login stored for the registry ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): the credential helper it names (credHelpers for this host, else credsStore; docker-credential-NAME get, as docker runs it), else its auths entry; anonymous when there is none.'
        AllowInsecureRegistry = 'Allow plain HTTP to a registry that is not on loopback when it does not speak TLS.'
        MaxDecompressedBytes  = 'Ceiling on the decompressed bytes read from each image; reading stops with an error beyond it. Default 8 GiB.'
        MaxContentBytes       = 'Largest configuration file (os-release, resolv.conf, a package database other than rpm''s) kept in memory; a larger one is read as missing. Default 16 MiB.'
        MaxProgramBytes       = 'Largest program (the entrypoint and what it runs, /bin/sh, a glibc loader) read whole for its analysis and held in memory once (the working set grows by about its size); a larger one is named in Entrypoint.Note with its size and not read. Default 128 MiB (Go services run to 100 MB).'
        MaxEntries            = 'Most entries of the merged file system held in memory (a -Recurse listing holds every one); reading stops with a limit error as soon as a layer would pass it. Default 500000.'
        MaxPathLength         = 'Longest entry name or link target a layer may hold, in characters; a longer one is refused as a limit before it is taken apart. Default 4096 (Linux''s PATH_MAX).'
        MaxCompressionRatio   = 'Most decompressed bytes a compressed layer may give per compressed byte, counted past its first 256 MiB; beyond it the layer is refused as a limit (a decompression bomb). gzip cannot exceed about 1032; only zstd of long zero runs can. Default 2000.'
        MaxLayers             = 'Most layers a manifest may list before the image is refused as a limit (checked before any layer is read). Default 500; Docker''s own limit is 127.'
        MaxDuplicateLayers    = 'Most times a manifest may list the same layer blob before the image is refused as a limit (one blob listed thousands of times would be read thousands of times). Default 16.'
    }
    Outputs     = 'DnsTools.Core.Inspection.ImageDnsProfile'
    Examples    = @(
        @{
            Code    = @'
# An unpacked root file system laid out as Alpine: the apk database names the musl package.
New-Item -ItemType Directory ./alpine/lib/apk/db, ./alpine/etc -Force | Out-Null
"P:musl`nV:1.2.3-r5`n" | Set-Content ./alpine/lib/apk/db/installed
"nameserver 10.96.0.10`noptions ndots:5 single-request-reopen" | Set-Content ./alpine/etc/resolv.conf
Get-ImageDnsProfile -Image dir:./alpine
'@
            Remarks = 'Profiles a tiny Alpine-like root file system: musl 1.2.3 (from the apk database) and the resolv.conf it ships. The next example uses ./alpine.'
        }
        @{
            Code    = @'
$p = Get-ImageDnsProfile -Image dir:./alpine
$p.Libc | Format-List Family, Version, PackageVersion, Source, Evidence
$p.ResolvConf.Musl.IgnoredOptions
'@
            Remarks = 'The C library and where its version came from, then the resolv.conf options musl ignores (single-request-reopen). For an image archive, use -Image oci-archive:./app.tar; the Evidence then names the layer digest.'
        }
    )
    Links       = @('Test-ImageDns', 'Get-ImageFile', 'ConvertFrom-ResolvConf', 'about_DnsTools')
}
