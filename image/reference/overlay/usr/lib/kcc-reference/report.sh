#!/bin/sh
# make bench-compare, reference image: PID 1's memory and systemd's boot timestamps (CLOCK_MONOTONIC,
# microseconds since kernel start) on the kernel log, once the kubelet stand-in is ready.
k() { echo "kcc-reference: $*" >/dev/kmsg; }
k "INFO pid1-rss-kb=$(awk '/^VmRSS:/ {print $2}' /proc/1/status)"
k "INFO pid1-private-dirty-kb=$(awk '/^Private_Dirty:/ {print $2}' /proc/1/smaps_rollup)"
# "Switching root." is the initrd's PID 1 (its journal, kept in /run, has another machine ID; one
# boot only, /var has no journal).
sw=$(journalctl -m -o short-monotonic --no-pager _PID=1 |
	sed -n 's/^\[ *\([0-9]*\)\.\([0-9]*\)\].*Switching root.*/\1\2/p' | head -n1)
crypt=systemd-cryptsetup@var.service kubelet=kcc-standin-kubelet.service
k "INFO timeline-us initrd=$(systemctl show -P InitRDTimestampMonotonic)" \
	"switch-root=${sw:-0}" \
	"userspace=$(systemctl show -P UserspaceTimestampMonotonic)" \
	"unlock-start=$(systemctl show -P InactiveExitTimestampMonotonic "$crypt")" \
	"unlock-end=$(systemctl show -P ActiveEnterTimestampMonotonic "$crypt")" \
	"kubelet-exec=$(systemctl show -P ExecMainStartTimestampMonotonic "$kubelet")" \
	"kubelet-ready=$(systemctl show -P ActiveEnterTimestampMonotonic "$kubelet")"
k "INFO var=$(awk '$2 == "/var" {print $1, $3}' /proc/mounts)"
# The stand-in's own lines, as systemd saw them (the host reads the kernel log's copies first).
journalctl -m -o short-monotonic --no-pager -u kcc-standin-kubelet.service | tail -n 3 |
	while read -r l; do k "INFO standin-journal $l"; done
k "report done"
