#!/usr/bin/env bash
# Part of make bench (figures, never assertions): kcc-forward's way out (docs/events.md) on the
# host. The spool is filled with the collector away (BENCH_FORWARD_ROUNDS runs of the forwarder,
# each a new boot ID so that its per-type rate limit starts full: 6 event types x 20 a run), then
# one forwarder sends it all through TLS 1.3 to the real collector (tests/bats/collector.sh:
# rsyslog, gtls, client certificates). Prints events per second of wall time and of the
# forwarder's CPU time (one process, one core) and its peak RSS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${BENCH_FORWARD_ROUNDS:-40}
C=$top/build/bench/forward
FWD=$top/build/bin/kcc-forward
rm -rf "$C"
mkdir -p "$C"
"$top/tests/bats/collector.sh" "$C" pki
for _ in $(seq 50); do
	port=$((20000 + RANDOM % 20000))
	ss -Hltn "sport = :$port" | grep -q . || break
done
trap '"$top/tests/bats/collector.sh" "$C" stop' EXIT
for i in $(seq 20); do
	printf '4,%d,1,-;Lockdown: cat: /dev/mem,kmem,port is restricted; see man kernel_lockdown.7\n' $((6 * i))
	printf '3,%d,1,-;device-mapper: verity: 253:0: data block %d is corrupted\n' $((6 * i + 1)) "$i"
	printf '3,%d,1,-;Out of memory: Killed process %d (hog) total-vm:1kB\n' $((6 * i + 2)) "$i"
	printf '4,%d,1,-;kcc-init: bpf-lsm: denied a signal to pid 1 from pid %d (sh)\n' $((6 * i + 3)) "$i"
	printf '3,%d,1,-;kcc-init: node config: refused (smbios, sha256 00): the node stays unjoined\n' $((6 * i + 4))
	printf "2,%d,1,-;kcc-init: boot stopped: stage 'tpm' failed\n" $((6 * i + 5))
done >"$C/kmsg"
fwd() { # BOOT-ID [options...]
	local boot=$1
	shift
	${TIME:+/usr/bin/time -f '%U %S %M' -o "$C/time"} "$FWD" run --destination "localhost:$port" --ca "$C/pki/ca.pem" --cert "$C/pki/node.pem" \
		--key "$C/pki/node.key" --spool "$C/spool" --host node-1 --quota $((1 << 30)) \
		--boot-id "$(printf '00000000-0000-4000-8000-%012d' "$boot")" --once "$@"
}
for r in $(seq "$rounds"); do
	fwd "$r" --kmsg "$C/kmsg" --timeout 1 >/dev/null 2>&1 || true
done
"$top/tests/bats/collector.sh" "$C" start "$port"
t0=$(date +%s%N)
TIME=1 fwd 0 --kmsg /dev/null --timeout 600 >/dev/null 2>&1
wall=$((($(date +%s%N) - t0) / 1000000))
read -r ut st rss <"$C/time"
n=$(grep -c . "$C/parsed.log")
cpu_ms=$(echo "($ut + $st) * 1000" | bc | cut -d. -f1)
echo "kcc-forward: $n events through TLS 1.3 to rsyslog in $wall ms ($((n * 1000 / (wall > 0 ? wall : 1))) events/s wall), forwarder CPU $cpu_ms ms ($((n * 1000 / (cpu_ms > 0 ? cpu_ms : 1))) events/s on one core), peak RSS $rss KiB"
