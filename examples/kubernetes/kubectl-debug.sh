#!/usr/bin/env bash
# Replays the incident's lookup inside a running pod: an ephemeral debug container with the
# dnstools-probe image joins the pod's network namespace (--target shares the app container's
# process namespace too) and reads the pod's own /etc/resolv.conf, so the queries go to the
# pod's nameserver with the pod's search list and ndots, exactly as the app's libc sends them.
#
#   examples/kubernetes/kubectl-debug.sh POD [CONTAINER] [NAMESPACE]   > POD.jsonl
#   Get-Content POD.jsonl | Import-DnsProbeResult | Format-Table         # in PowerShell
#
# IMAGE: where you pushed the image `build.ps1 -Task Package` builds (out/dnstools-probe-VERSION.oci.tar):
#   skopeo copy oci-archive:out/dnstools-probe-0.1.0.oci.tar docker://REGISTRY/dnstools-probe:0.1.0
# Sourced (`. kubectl-debug.sh`), it only defines PROBE_ARGS: tests/Pester/ProbeImage.Tests.ps1
# runs these same arguments in a podman pod.
PROBE_ARGS=(elink.spic.com.cn --resolver musl-1.2.3,glibc-2.36 --mitigation none,no-aaaa --format jsonl)

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    pod=${1:?usage: kubectl-debug.sh POD [CONTAINER] [NAMESPACE]}
    container=${2:-}
    namespace=${3:-default}
    image=${IMAGE:-REGISTRY/dnstools-probe:0.1.0}
    target=()
    [[ -n "$container" ]] && target=(--target="$container")
    # -i without -t: the JSON lines come back on stdout unmangled; the probe's notes go to stderr.
    kubectl debug -i --quiet -n "$namespace" "pod/$pod" --image="$image" "${target[@]}" -- dnstools-probe "${PROBE_ARGS[@]}"
fi
