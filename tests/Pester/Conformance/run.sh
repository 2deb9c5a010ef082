#!/bin/sh
# DnsTools conformance: runs ONE real getaddrinfo inside the private network + mount namespace this
# script is started in (unshare -n -m), against the logging server on 127.0.0.1/127.0.0.2 only.
# usage: unshare -n -m sh run.sh DIR CLIENT NAME
set -eu
d=$1; client=$2; name=$3
# Refuse to run unless this network namespace has nothing but loopback: no real nameserver reachable.
if [ "$(grep -c ':' /proc/net/dev)" -ne 1 ] || ! grep -q '^ *lo:' /proc/net/dev; then
    echo "not in a private network namespace" >&2; exit 90
fi
# 91: the private resolv.conf cannot be put in place (no /etc/resolv.conf to bind over): the test skips.
mount --bind "$d/resolv.conf" /etc/resolv.conf 2>/dev/null || { echo "cannot bind-mount /etc/resolv.conf" >&2; exit 91; }
[ -e /etc/hosts ] && mount --bind "$d/hosts" /etc/hosts
[ -e /etc/nsswitch.conf ] && mount --bind "$d/nsswitch.conf" /etc/nsswitch.conf
# A host nscd would answer through its unix socket from outside the namespace: hide it.
for p in /run/nscd /var/run/nscd; do [ -d "$p" ] && mount -t tmpfs none "$p"; done
# The server returns once every socket listens (--fork), leaving its pid: no sleeping, no guessing.
"$d/dnssrv" --fork "$d/rules" "$d/server.log" "$d/server.pid" 40 127.0.0.1 127.0.0.2 127.0.0.3 || { echo "the logging server did not start" >&2; exit 92; }
srv=$(cat "$d/server.pid")
"$client" "$name" > "$d/client.out" 2>&1 || true
kill "$srv" 2>/dev/null || true
