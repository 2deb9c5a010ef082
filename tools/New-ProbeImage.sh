#!/usr/bin/env bash
# Builds the dnstools-probe image without a container engine (umoci + skopeo), distroless style:
# the NativeAOT binary plus only the shared libraries it needs, copied from the build machine's
# Debian packages (libc6: libc.so.6, libm.so.6, the loader), with libc6's dpkg stanza in
# /var/lib/dpkg/status.d/ and its copyright file, as distroless images carry them.
#
#   tools/New-ProbeImage.sh BINARY VERSION OUTDIR [REVISION]
#
# Writes (replacing them):
#   OUTDIR/image/                          OCI layout, tag VERSION (image name dnstools-probe)
#   OUTDIR/dnstools-probe-VERSION.oci.tar  oci-archive of the same image
#   OUTDIR/dnstools-probe-VERSION.docker.tar  docker-archive of it (docker save's layout, tag dnstools-probe:VERSION),
#                                          for engines that cannot load OCI archives (dockerd 20.10)
# Needs: umoci, skopeo, tar, dpkg-query, readelf (binutils) or ldd. Exit 3 when a tool is missing.
set -euo pipefail
binary=${1:?usage: New-ProbeImage.sh BINARY VERSION OUTDIR [REVISION]}
version=${2:?version}
out=${3:?outdir}
revision=${4:-}
for tool in umoci skopeo tar dpkg-query ldd; do
    command -v "$tool" >/dev/null || { echo "New-ProbeImage: $tool is not installed" >&2; exit 3; }
done
[ -x "$binary" ] || { echo "New-ProbeImage: $binary is not an executable" >&2; exit 3; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout="$out/image"
archive="$out/dnstools-probe-$version.oci.tar"
docker_archive="$out/dnstools-probe-$version.docker.tar"
rm -rf "$layout" "$archive" "$docker_archive"

# The libraries the binary loads, as the loader resolves them here (ldd), each from its Debian package.
root="$work/rootfs"
mkdir -p "$root/usr/local/bin" "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64" "$root/etc" "$root/tmp" "$root/var/lib/dpkg/status.d"
chmod 1777 "$root/tmp"
install -m 0755 "$binary" "$root/usr/local/bin/dnstools-probe"
packages=()
while read -r lib; do
    [ -n "$lib" ] || continue
    real=$(readlink -f "$lib")
    pkg=$(dpkg-query -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -n "$pkg" ] || pkg=$(dpkg-query -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
    [ -n "$pkg" ] || { echo "New-ProbeImage: $lib belongs to no Debian package" >&2; exit 3; }
    packages+=("$pkg")
    install -m 0755 "$real" "$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
done < <(ldd "$binary" | awk '/=>/ { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | sort -u)
# Debian 12's merged /usr: /lib and /lib64 are links; PT_INTERP is /lib64/ld-linux-x86-64.so.2.
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
[ -e "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] && ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/usr/lib64/ld-linux-x86-64.so.2"
for pkg in $(printf '%s\n' "${packages[@]}" | sort -u); do
    dpkg-query -s "$pkg" | grep -v '^Status:' > "$root/var/lib/dpkg/status.d/$pkg"
    if [ -f "/usr/share/doc/$pkg/copyright" ]; then
        mkdir -p "$root/usr/share/doc/$pkg"
        cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
    fi
done
. /etc/os-release
printf 'PRETTY_NAME="dnstools-probe %s (Debian %s libraries)"\nNAME="dnstools-probe"\nID=debian\nVERSION_ID="%s"\nHOME_URL="https://github.com/dnstools/DnsTools"\n' \
    "$version" "${VERSION_ID:-12}" "${VERSION_ID:-12}" > "$root/etc/os-release"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

# Reproducible: fixed owners, sorted names, the commit's time (or SOURCE_DATE_EPOCH) as every mtime.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$0")" log -1 --format=%ct 2>/dev/null || date +%s)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch" -C "$root" -cf "$work/layer.tar" .

umoci init --layout "$layout"
umoci new --image "$layout:$version"
umoci raw add-layer --history.created_by "tools/New-ProbeImage.sh: dnstools-probe and ${packages[*]} libraries" \
    --history.created "$created" --image "$layout:$version" "$work/layer.tar"
labels=(
    --config.label "org.opencontainers.image.title=dnstools-probe"
    --config.label "org.opencontainers.image.description=DnsTools resolver replay, query plans, capture analysis and lab DNS server in one native binary (no .NET, no shell)"
    --config.label "org.opencontainers.image.version=$version"
    --config.label "org.opencontainers.image.created=$created"
    --config.label "org.opencontainers.image.licenses=MIT"
    --config.label "org.opencontainers.image.vendor=DnsTools contributors"
    --config.label "org.opencontainers.image.base.name=scratch"
)
[ -n "$revision" ] && labels+=(--config.label "org.opencontainers.image.revision=$revision")
umoci config --image "$layout:$version" --no-history --created "$created" --author "DnsTools contributors" \
    --architecture amd64 --os linux \
    --config.entrypoint /usr/local/bin/dnstools-probe --config.cmd --help \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin \
    "${labels[@]}" \
    --manifest.annotation "org.opencontainers.image.version=$version"
umoci gc --layout "$layout"
skopeo copy --quiet "oci:$layout:$version" "oci-archive:$archive:dnstools-probe:$version"
# docker load (engine 20.10) reads only docker save's layout: the same layer and config, converted daemonless.
skopeo copy --quiet "oci:$layout:$version" "docker-archive:$docker_archive:dnstools-probe:$version"
size=$(tar -tvf "$work/layer.tar" | awk '{ s += $3 } END { print s }')
echo "New-ProbeImage: dnstools-probe:$version -> $layout, $archive, $docker_archive ($size bytes of files uncompressed; libraries from $(printf "%s\n" "${packages[@]}" | sort -u | tr "\n" " ")"
