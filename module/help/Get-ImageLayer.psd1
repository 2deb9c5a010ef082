@{
    Synopsis    = 'Lists a container image''s layers (digest, media type, compressed size, diff id) from its manifest.'
    Description = @'
Get-ImageLayer reads an image's manifest and config — nothing else — and lists its layers bottom (Index 0) to top, as ImageLayerInfo objects: Index, Digest (of the stored blob), MediaType, CompressedSize, DiffId (the digest of the uncompressed tar, from the config's rootfs.diff_ids) and Compression (None, Gzip, Zstd).

For an OCI index, the manifest for -Platform (default linux/amd64, variant included) is chosen; a platform the index does not offer is an error that lists the ones it does. Manifest and config digests are verified.

In a docker-archive the layer blobs have no digest of their own when they sit in the old <id>/layer.tar layout: Digest is then the diff id, and the compression is sniffed from the blob.

Image references are those of Get-ImageFile: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH, registry:HOST[:PORT]/REPO[:TAG|@DIGEST], docker:REF, podman:REF or a bare path. For docker: and podman: the layers are the image's diff ids (the daemon keeps no compressed blobs).
'@
    Parameters  = @{
        Image    = 'The image: docker-archive:PATH, oci-dir:PATH, oci-archive:PATH, dir:PATH, or a bare path that is sniffed. A :TAG after an archive or layout path picks one of several images. Takes pipeline input: strings and objects with an Image or FullName property (files from Get-ChildItem); a layer from Get-ImageLayer is refused while binding (it would read the whole image once per layer), as is anything else.'
        Credential            = 'User name and password for a registry: sent as basic auth, or to the registry''s bearer token realm when it asks for a token. Without it, what docker login stored for the registry ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): the credential helper it names (credHelpers for this host, else credsStore; docker-credential-NAME get, as docker runs it), else its auths entry; anonymous when there is none.'
        AllowInsecureRegistry = 'Allow plain HTTP to a registry that is not on loopback when it does not speak TLS. HTTPS is always tried first; loopback registries (127.0.0.0/8, ::1, localhost) may fall back to plain HTTP without this switch. An untrusted certificate is an error, never a reason to fall back.'
        Platform = 'The platform to pick from a multi-platform index, os/arch[/variant] such as linux/arm64/v8. Default linux/amd64.'
        MaxLayers             = 'Most layers a manifest may list before the image is refused as a limit (checked before any layer is read). Default 500; Docker''s own limit is 127.'
        MaxDuplicateLayers    = 'Most times a manifest may list the same layer blob before the image is refused as a limit (one blob listed thousands of times would be read thousands of times). Default 16.'
    }
    Outputs     = 'DnsTools.Core.Images.ImageLayerInfo'
    Examples    = @(
        @{
            Code    = @'
New-Item -ItemType Directory ./layer-demo/etc -Force | Out-Null
'nameserver 10.96.0.10' | Set-Content ./layer-demo/etc/resolv.conf
tar -cf layer.tar -C layer-demo etc
$diffId = 'sha256:' + (Get-FileHash layer.tar -Algorithm SHA256).Hash.ToLower()
@{ architecture = 'amd64'; os = 'linux'; rootfs = @{ type = 'layers'; diff_ids = @($diffId) } } | ConvertTo-Json -Depth 3 | Set-Content config.json
ConvertTo-Json -Depth 3 -InputObject @(@{ Config = 'config.json'; RepoTags = @('demo:1'); Layers = @('layer.tar') }) | Set-Content manifest.json
tar -cf demo.tar manifest.json config.json layer.tar
Get-ImageLayer -Image docker-archive:./demo.tar
'@
            Remarks = 'Builds a one-layer docker-archive by hand and lists its layer: an uncompressed tar whose digest is its diff id.'
        }
        @{
            Code    = 'Get-ImageLayer -Image ./demo.tar | Format-List Index, Digest, MediaType, CompressedSize, DiffId'
            Remarks = 'A bare path is sniffed: this archive holds manifest.json, so it is read as a docker-archive. For an OCI index, add -Platform linux/arm64/v8 to pick another platform''s manifest.'
        }
    )
    Links       = @('Get-ImageFile', 'about_DnsTools')
}
