#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench, one full upgrade of one node end to end (issue 14 §7; docs/upgrades.md, "Figures"):
# the pull mode of tests/vm/long/67-pull.bats timed. UEFI + Secure Boot + swtpm, one qemu that lets
# the guest reboot once: a fresh node of the test image (v1) boots and is blessed, its kcc-update
# service finds the second test release (v2, built like make check-long builds it) published by
# python's http.server on the host, downloads, verifies and writes it, takes the reboot lock from
# the FleetLock stand-in, asks PID 1 to reboot; the loader boots v2 and PID 1 blesses it. Host times
# of the serial lines are taken as they reach the log. Figures, never assertions.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
. tests/free-port.sh
. tests/pull-standins.sh
I=${KCC_TEST_IMAGE:-build/test}
I2=${KCC_TEST_IMAGE_V2:-build/test-v2}
b=build/bench/upgrade
rm -rf "$b"
mkdir -p "$b/node.tpm"

if [ ! -f "$I2/manifest.json" ]; then
	image/build.sh --variant test --out "$I2" --version "$(jq -r .version "$I/manifest.json").2" \
		--epoch 2 >"$b/test-v2.build.log" 2>&1 || { tail -20 "$b/test-v2.build.log"; exit 1; }
fi
V1=$(jq -r .version "$I/manifest.json") V2=$(jq -r .version "$I2/manifest.json")
bundle=$I2/$(jq -r .bundle "$I2/manifest.json")
stamper=
trap 'pull_standins_stop "$b"; kill $stamper 2>/dev/null || true' EXIT
pull_standins "$b"
cp "$bundle" "$b/channel/kcc-node.bundle"
pull_node_config bench-node-1 bench >"$b/node.json"
cp --sparse=always "$I/disk.raw" "$b/node.raw"

KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
echo "== one full upgrade of one node ($V1 -> $V2, pull mode), UEFI + Secure Boot, accelerator $KCC_ACCEL"
printf '%-34s %8d KiB\n' "bundle ($V2)" $(($(stat -c %s "$bundle") / 1024))
: >"$b/upgrade.log"
(tail -F "$b/upgrade.log" 2>/dev/null | while IFS= read -r l; do printf '%s %s\n' "$(date +%s%3N)" "${l%$'\r'}"; done) >"$b/stamped.log" &
stamper=$!
t0=$(date +%s%3N)
tests/vm/run-vm.sh --image "$I" --mode uefi --timeout 900 --reboots 1 --disk "$b/node.raw" \
	--tpm-state "$b/node.tpm" --log "$b/upgrade.log" --fw-cfg "$b/node.json" \
	--guest-forward "8081:$HTTP_PORT" --guest-forward "8082:$LOCK_PORT" \
	--smbios-11 io.kcc-node.test.shutdown=none \
	--until "pull: steady: ${V2//./\\.} blessed|boot marked bad|boot stopped" >/dev/null 2>&1 || true
# the stamper has stamped every line of the serial log (bounded: 5 s)
for _ in $(seq 50); do
	[ "$(wc -l <"$b/stamped.log")" -ge "$(wc -l <"$b/upgrade.log")" ] && break
	sleep 0.1
done
{ pkill -P "$stamper"; wait "$stamper"; } 2>/dev/null || true

# at REGEX [N]: the host time (ms) of the Nth (default first) serial line matching REGEX
at() { grep -aE -- "$1" "$b/stamped.log" | sed -n "${2:-1}p" | cut -d' ' -f1; }
blessed1=$(at 'kcc-init: boot blessed')
published=$(at "pull: ${V2//./\\.} is published")
staged=$(at "pull: apply: ${V2//./\\.} staged")
asked=$(at 'pull: asked pid 1 for an orderly reboot')
reset=$(at 'reboot: Restarting system')
loader2=$(at 'BdsDxe: loading Boot' 2)
blessed2=$(at "kcc-init: boot blessed: .*kcc-node_${V2//./\\.}")
steady2=$(at "pull: steady: ${V2//./\\.} blessed")
if [ -z "$blessed1" ] || [ -z "$published" ] || [ -z "$staged" ] || [ -z "$asked" ] ||
	[ -z "$blessed2" ] || [ -z "$steady2" ]; then
	echo "upgrade: not measured (a step is missing from $b/upgrade.log)"
	exit 0
fi
ms() { printf '%d.%01d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }
printf '%-58s %s\n' "first boot of v1 to blessed (provisioning included)" "$(ms $((blessed1 - t0)))"
printf '%-58s %s\n' "apply in the VM (download + verify + write + read-back)" "$(ms $((staged - published)))"
printf '%-58s %s\n' "reboot lock taken, PID 1 asked to reboot" "$(ms $((asked - staged)))"
printf '%-58s %s\n' "shutdown (services and pods stopped, to the reset)" "$(ms $((${reset:-$asked} - asked)))"
printf '%-58s %s\n' "firmware to the loader" "$(ms $((${loader2:-$asked} - ${reset:-$asked})))"
printf '%-58s %s\n' "loader to v2 blessed" "$(ms $((blessed2 - ${loader2:-$asked})))"
printf '%-58s %s\n' "node downtime (reboot asked to v2 blessed)" "$(ms $((blessed2 - asked)))"
printf '%-58s %s\n' "one full upgrade (v2 found to v2 blessed, lock released)" "$(ms $((steady2 - published)))"
