#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make bench, the key rotation figures (docs/measured-boot.md, "Key rotation" and "Volume-key
# rotation"): one node of the test image, direct boot, swtpm; the first boot provisions and asks
# for both rotations (kcc_test.rotate=1 and kcc_test.rotate=volume: the agent's kcc-ctl calls); the
# second re-encrypts /var in one go (state.reencrypt-seconds 900 in the node configuration), seals
# the key for the new volume key (a keyslot rotation) and removes the old keyslot. Figures from
# kcc-init's own lines, never assertions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
I=${KCC_TEST_IMAGE:-build/test}
b=build/bench/rotate
rm -rf "$b"
mkdir -p "$b/tpm"
KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
cp --sparse=always "$I/disk.raw" "$b/node.raw"
printf '{"version": 1, "network": {"mode": "static", "interface": "eth0", "address": "10.0.2.15/24", "gateway": "10.0.2.2"}, "state": {"reencrypt-seconds": 900}}' >"$b/config.json"
echo "== key rotation (test variant, accelerator $KCC_ACCEL)"
tests/vm/run-vm.sh --image "$I" --mode direct --log "$b/first.log" --timeout 180 2>/dev/null \
	--disk "$b/node.raw" --tpm-state "$b/tpm" --until 'kcc-test: agent done' \
	--cmdline "$(cat "$I/cmdline") kcc_test.rotate=1 kcc_test.rotate=volume" || true
tests/vm/run-vm.sh --image "$I" --mode direct --log "$b/rotate.log" --timeout 900 2>/dev/null \
	--disk "$b/node.raw" --tpm-state "$b/tpm" --until 'kcc-test: agent done' \
	--fw-cfg "$b/config.json" || true
tr -d '\r' <"$b/rotate.log" | sed -n \
	's/.*kcc-init: state: volume key rotation re-encrypted the volume: \([0-9]*\) of [0-9]* MiB re-encrypted, \([0-9]*\) MiB in \([0-9]*\) ms this boot (\(.*\) MiB\/s).*/volume key rotation (LUKS2 online re-encryption of \/var, \1 MiB): \2 MiB in \3 ms, \4 MiB\/s/p
	s/.*kcc-init: state: key rotated (.*(\([0-9]*\) ms, \([0-9]*\) TPM commands)$/keyslot rotation (new sealed key for the new volume key): \1 ms, \2 TPM commands/p'
grep -q 'volume key rotated' "$b/rotate.log" || echo "volume key rotation: did not finish (see $b/rotate.log)"
