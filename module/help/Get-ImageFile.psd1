@{
    Synopsis    = 'Reads files from a container image''s merged file system, without a container runtime.'
    Description = @'
Get-ImageFile reads an image where it lies — a docker save archive, an OCI layout or archive, an unpacked root file system — and answers from the merged file system a container would see: layers applied bottom to top, whiteouts (.wh.name) and opaque directories (.wh..wh..opq) honoured, a file over a directory hiding what was below.

Layers are streamed and never unpacked to disk; only the entries under the asked paths are kept in memory. Layer digests are verified while reading (the diff id, the digest of the uncompressed tar, where the source names no blob digest, as older docker save archives): a mismatch is an error naming the layer. Layer entries with absolute names or '..' are refused, as are layers beyond -MaxDecompressedBytes.

Symbolic links are resolved inside the image root (an absolute target starts at the image root, '..' stops there), loops are reported, and a dangling link is returned with IsDangling and a warning. When a link leads outside what was read, the layers are read again for the target.

For each path asked, the output is an ImageFileInfo: Path, Type, Size, Mode/Permissions, LinkTarget, ResolvedPath, Layer (the digest of the layer the entry comes from), LayerIndex, and Content — the text of the file, after links, when -Recurse is not used. With -Recurse, the path and everything below it are listed (a symbolic link to a directory is followed).

Image references: docker-archive:PATH[:TAG], oci-dir:PATH[:TAG] (or oci:), oci-archive:PATH[:TAG], dir:PATH, or a bare path (an oci-layout file means an OCI layout, manifest.json a docker archive, any other directory a root file system). registry:HOST[:PORT]/REPO[:TAG|@DIGEST] reads from a registry over the OCI distribution API (anonymous, basic auth or bearer token; HTTPS, plain HTTP only for a loopback registry without TLS or with -AllowInsecureRegistry). docker:REF and podman:REF read an image from the local Docker daemon (DOCKER_HOST, else /var/run/docker.sock) or Podman service (CONTAINER_HOST, else its usual socket): layers from image inspect, data from one export stream per read, never written to disk.
'@
    Parameters  = @{
        Image                = 'The image: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH (an unpacked root file system), or a bare path that is sniffed. A :TAG after an archive or layout path picks one of several images. Takes pipeline input: strings and objects with an Image or FullName property (files from Get-ChildItem); a layer from Get-ImageLayer is refused while binding (it would read the whole image once per layer), as is anything else.'
        Path                 = 'Paths inside the image, absolute or relative to its root. Default: /. Wildcards match within one path segment: * any characters, ? one, [abc] or [a-z] a set (/etc/*.conf, /lib/ld-musl-*.so.1, /usr/lib/*/libc.so.6); the directory before the first wildcard is listed and every match is then read as if named (content, links). A pattern that matches nothing is not an error.'
        LiteralPath          = 'Paths inside the image, taken exactly as written: * ? [ ] are ordinary characters.'
        Recurse              = 'Lists each path and everything below it (a symbolic link to a directory is followed). Content is not read.'
        AsByteStream         = 'Writes the file''s bytes (after links) as one byte[] instead of an ImageFileInfo.'
        Raw                  = 'Writes the file''s text (after links) as one string, as Get-Content -Raw does, instead of an ImageFileInfo.'
        MaxDecompressedBytes = 'Ceiling on the decompressed bytes read from the image (all layers, per read; a link target outside what was kept costs another read); reading stops with an error beyond it. Default 8 GiB.'
        MaxContentBytes      = 'Largest file whose content is kept (Content, -AsByteStream). Default 16 MiB.'
        Credential            = 'User name and password for a registry: sent as basic auth, or to the registry''s bearer token realm when it asks for a token. Without it, what docker login stored for the registry ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): the credential helper it names (credHelpers for this host, else credsStore; docker-credential-NAME get, as docker runs it), else its auths entry; anonymous when there is none.'
        AllowInsecureRegistry = 'Allow plain HTTP to a registry that is not on loopback when it does not speak TLS. HTTPS is always tried first; loopback registries (127.0.0.0/8, ::1, localhost) may fall back to plain HTTP without this switch. An untrusted certificate is an error, never a reason to fall back.'
        Platform             = 'The platform to pick from a multi-platform index, os/arch[/variant] such as linux/arm64/v8. Default linux/amd64; an image whose config says another platform is an error when -Platform is given.'
        MaxEntries            = 'Most entries of the merged file system held in memory (a -Recurse listing holds every one); reading stops with a limit error as soon as a layer would pass it. Default 500000.'
        MaxPathLength         = 'Longest entry name or link target a layer may hold, in characters; a longer one is refused as a limit before it is taken apart. Default 4096 (Linux''s PATH_MAX).'
        MaxCompressionRatio   = 'Most decompressed bytes a compressed layer may give per compressed byte, counted past its first 256 MiB; beyond it the layer is refused as a limit (a decompression bomb). gzip cannot exceed about 1032; only zstd of long zero runs can. Default 2000.'
        MaxLayers             = 'Most layers a manifest may list before the image is refused as a limit (checked before any layer is read). Default 500; Docker''s own limit is 127.'
        MaxDuplicateLayers    = 'Most times a manifest may list the same layer blob before the image is refused as a limit (one blob listed thousands of times would be read thousands of times). Default 16.'
    }
    Outputs     = 'DnsTools.Core.Images.ImageFileInfo; with -Raw a System.String; with -AsByteStream a System.Byte[]'
    Examples    = @(
        @{
            Code    = @'
# The smallest docker-archive, built by hand: one layer tar, a config naming its diff id, manifest.json.
New-Item -ItemType Directory ./rootfs/etc -Force | Out-Null
"nameserver 10.96.0.10`noptions ndots:5" | Set-Content ./rootfs/etc/resolv.conf
tar -cf layer.tar -C rootfs etc
$diffId = 'sha256:' + (Get-FileHash layer.tar -Algorithm SHA256).Hash.ToLower()
@{ architecture = 'amd64'; os = 'linux'; rootfs = @{ type = 'layers'; diff_ids = @($diffId) } } | ConvertTo-Json -Depth 3 | Set-Content config.json
ConvertTo-Json -Depth 3 -InputObject @(@{ Config = 'config.json'; RepoTags = @('app:1.4'); Layers = @('layer.tar') }) | Set-Content manifest.json
tar -cf app.tar manifest.json config.json layer.tar
Get-ImageFile -Image docker-archive:./app.tar -Path /etc/resolv.conf -Raw
'@
            Remarks = 'Builds a one-layer image the way docker save lays it out, then reads /etc/resolv.conf from it. The next example uses ./app.tar and ./rootfs.'
        }
        @{
            Code    = 'Get-ImageFile -Image docker-archive:./app.tar -Path /etc -Recurse | Select-Object Path, Type, Size, LinkTarget'
            Remarks = 'Lists /etc and everything under it, as merged from all layers. With an OCI layout: Get-ImageFile -Image oci-dir:./layout -Path /lib -Recurse.'
        }
        @{
            Code    = 'Get-ImageFile -Image docker-archive:./app.tar -Path /etc/*.conf | Select-Object Path, Size, Content'
            Remarks = 'Every .conf file directly in /etc, with its content (here: resolv.conf).'
        }
        @{
            Code    = 'Get-ImageFile -Image dir:./rootfs -Path /etc/resolv.conf | Format-List Path, Type, Size, Permissions, Content'
            Remarks = 'The same question against an unpacked root file system; nothing on the host is followed through links.'
        }
    )
    Links       = @('Get-ImageLayer', 'ConvertFrom-ResolvConf', 'about_DnsTools')
}
