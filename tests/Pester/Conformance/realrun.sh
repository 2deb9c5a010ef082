#!/bin/sh
# DnsTools real-build conformance: runs ONE real client of a real C library build (an Alpine minirootfs,
# a musl built from a release tag, the busybox images) in a chroot, inside the private network + mount
# namespace this script is started in (unshare -n -m), against the logging server on 127.0.0.1-3 only.
# usage: unshare -n -m sh realrun.sh LAB CELLDIR
#   CELLDIR holds: root (the rootfs path), cmd (the client's argv, one per line), rules, resolv.conf, hosts.
#   Writes server.log, client.out (the client's own output) and run.out (START, END, EXIT from runtimed).
set -eu
lab=$1; d=$2
# Refuse to run unless this network namespace has nothing but loopback: no real nameserver reachable.
if [ "$(grep -c ':' /proc/net/dev)" -ne 1 ] || ! grep -q '^ *lo:' /proc/net/dev; then
    echo "not in a private network namespace" >&2; exit 90
fi
root=$(cat "$d/root")
# The cell's resolv.conf and hosts over the rootfs's own, visible in this mount namespace only (the
# rootfs is shared by the cells running in parallel).
mount --bind "$d/resolv.conf" "$root/etc/resolv.conf" || exit 91
mount --bind "$d/hosts" "$root/etc/hosts" || exit 91
"$lab/dnssrv" --fork "$d/rules" "$d/server.log" "$d/server.pid" 60 127.0.0.1 127.0.0.2 127.0.0.3 || { echo "the logging server did not start" >&2; exit 92; }
srv=$(cat "$d/server.pid")
# With CAPTURE set: tcpdump on this namespace's lo writes the lookup's DNS packets there (immediate mode,
# and a moment to write the last reply before it is stopped).
cap=
if [ -n "${CAPTURE:-}" ]; then
    tcpdump -i lo --immediate-mode -U -n -w "$CAPTURE" port 53 2> "$d/tcpdump.err" &
    cap=$!
    i=0
    while ! grep -q listening "$d/tcpdump.err" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
fi
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done < "$d/cmd"
"$lab/runtimed" "$root" "$d/client.out" "$@" > "$d/run.out" || true
kill "$srv" 2>/dev/null || true
if [ -n "$cap" ]; then sleep 0.2; kill -INT "$cap" 2>/dev/null || true; wait "$cap" 2>/dev/null || true; fi
