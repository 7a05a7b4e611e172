#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench, the update figures (issue 14; docs/upgrades.md, "Figures"): bundle and upgrade-image
# sizes; apply time on the host (kcc-update apply http://: download + verify + write + read-back,
# into a copy of the test disk); under UEFI + Secure Boot + swtpm, one qemu: the node's shutdown
# (ctrl-alt-del once its boot is blessed) and its reboot into a new counted release until that
# boot is blessed; their sum is the node's downtime for one upgrade (the apply runs while the node
# works). Host times of serial lines are taken as they reach the log. Figures, never assertions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
I=${KCC_TEST_IMAGE:-build/test}
b=build/bench/update
b=$b${BENCH_UPDATE_VM:+-$BENCH_UPDATE_VM}
rm -rf "$b"
mkdir -p "$b"
upd=build/bin/kcc-update
bundle=$I/$(jq -r .bundle "$I/manifest.json")
V=$(jq -r .version "$I/manifest.json")

echo "== update (test variant $V)"
printf '%-34s %8d KiB\n' "bundle" $(($(stat -c %s "$bundle") / 1024))
for p in "$I"/suc/*.oci.tar; do
	printf '%-34s %8d KiB\n' "upgrade OCI image (suc)" $(($(stat -c %s "$p") / 1024))
done

# apply: a bundle of another version over HTTP into slot b of a copy of the disk
fsck.erofs --extract="$b/root" "$I/root.erofs" >/dev/null
rh2=$(printf 'bench' | sha256sum | cut -c1-64)
mkdir -p "$b/www"
build/bin/mkbundle --key build/keys/update-signing-test-private-key.pem --version "$V.2" \
	--epoch "$(jq .security_epoch "$I/manifest.json")" --variant test --roothash "$rh2" --out "$b/www/v2.bundle" \
	"$I/root.erofs" "$I/root.verity" "$I/kcc-node.efi" "$I/tpm2-pcr-signature.json"
port=$((20000 + RANDOM % 20000))
python3 -m http.server --bind 127.0.0.1 --directory "$b/www" "$port" >/dev/null 2>&1 &
http=$!
trap 'kill $http 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
echo "kcc.roothash=$(cat "$I/roothash")" >"$b/cmdline"
for i in 1 2 3; do
	rm -rf "$b/esp" "$b/run" && mkdir -p "$b/esp" "$b/run"
	cp --sparse=always "$I/disk.raw" "$b/disk.raw"
	MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$b/disk.raw@@1M" ::/EFI ::/loader "$b/esp/"
	mv "$b/esp/EFI/Linux/kcc-node_$V+3.efi" "$b/esp/EFI/Linux/kcc-node_$V.efi"
	sync
	t0=$(date +%s%N)
	"$upd" apply --key "$b/root/usr/lib/kcc/update-key.pem" --disk "$b/disk.raw" --esp-dir "$b/esp" \
		--cmdline "$b/cmdline" --os-release "$b/root/usr/lib/os-release" --run-dir "$b/run" \
		"http://127.0.0.1:$port/v2.bundle" >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "apply run $i (host, http, download + verify + write + read-back): $ms ms"
done

[ "${BENCH_UPDATE_VM:-1}" = 1 ] || exit 0 # BENCH_UPDATE_VM=0: the host figures only (no VM lock needed)
KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
echo "== reboot into a new release, UEFI + Secure Boot, accelerator $KCC_ACCEL"
BATS_FILE_TMPDIR=$top/$b
# shellcheck source=vm/helper.bash
. tests/vm/helper.bash
fresh_counted_node >/dev/null 2>&1
uki_variant "$b/v2" "$V.2" ""
esp_add "$N.raw" "kcc-node_$V.2+3.efi" "$b/v2.efi" "$b/v2.cred"
# V.2 (counted) boots until it is blessed; then ctrl-alt-del: PID 1 reboots in order, and qemu
# (without --reboots) ends at the reset
: >"$b/upgrade.log"
(tail -F "$b/upgrade.log" 2>/dev/null | while IFS= read -r l; do printf '%s %s\n' "$(date +%s%3N)" "${l%$'\r'}"; done) >"$b/stamped.log" &
stamper=$!
t0=$(date +%s%3N)
tests/vm/run-vm.sh --image "$I" --mode uefi --vars "$VARS" --disk "$N.raw" --tpm-state "$N.tpm" --timeout 600 \
	--log "$b/upgrade.log" --cad-on 'kcc-init: boot blessed' >/dev/null 2>&1 || true
reset=$(date +%s%3N)
sleep 1 # the stamper's last lines
pkill -P "$stamper" 2>/dev/null || true
kill "$stamper" 2>/dev/null || true
blessed=$(grep -am1 'kcc-init: boot blessed' "$b/stamped.log" | cut -d' ' -f1)
up=$(tr -d '\r' <"$b/upgrade.log" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*kcc-init: boot blessed.*/\1\2/p' | head -n1)
bds=$reset
if [ -n "$blessed" ] && [ -n "$bds" ]; then
	echo "reboot to blessed (qemu start, firmware, loader, kernel, unseal, services, bless): $((blessed - t0)) ms (guest uptime at bless $((10#${up:-0})) ms)"
	echo "shutdown (ctrl-alt-del after bless to the reset, qemu's exit):                    $((bds - blessed)) ms"
	echo "node downtime for one upgrade (shutdown + reboot to blessed):                      $((bds - blessed + blessed - t0)) ms"
else
	echo "reboot to blessed: not measured (no 'boot blessed' in $b/upgrade.log)"
fi
