#!/usr/bin/env bash
# mkdisk.sh OUT WORK VERSION: the GPT disk image (UAPI Discoverable Partitions Specification types):
#   esp · root-a · root-a-verity · B pair (label _empty, no-auto) · state
# The ESP (docs/upgrades.md, "Slots"): systemd-boot signed with the db key at \EFI\BOOT\BOOTX64.EFI,
# \loader\loader.conf (no menu, no editor, no default: the newest UKI boots), the UKI counted at
# \EFI\Linux\kcc-node_VERSION+3.efi and its signed PCR policy at
# \loader\credentials\kcc-pcrsig_VERSION.cred. The first UKI ships counted, like every installed
# one: its first boot is blessed once the node is healthy; a fresh disk whose first boot fails has
# nothing to fall back to and stops (kcc-init powers off rather than reboot into the same entry).
# root-a and root-a-verity carry the two halves of the root hash as partition UUIDs; every other
# UUID is derived from the root hash, so the disk is reproducible. The ESP is 128 MiB: a UKI is about
# 14 MiB, and the ESP holds the running release, the fallback and one being installed, with room
# to grow (the boot-counting test puts five on it). Exit codes: 0 ok, 111 failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$1 w=$2 version=$3
[ -n "$version" ] || die "mkdisk.sh: no version"
MiB=1048576
ESP_MB=${ESP_MB:-128} ROOT_MB=${ROOT_MB:-256} VERITY_MB=${VERITY_MB:-8} STATE_MB=${STATE_MB:-256}
rh=$(cat "$out/roothash")
for f in root.erofs root.verity; do
	lim=$ROOT_MB
	[ $f = root.verity ] && lim=$VERITY_MB
	[ "$(stat -c %s "$out/$f")" -le $((lim * MiB)) ] || die "$f is larger than its ${lim} MiB slot"
done

esp=$w/esp.img
rm -f "$esp"
mkfs.vfat --invariant -i "${rh:0:8}" -n KCC-ESP -C "$esp" $((ESP_MB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
printf 'timeout 0\neditor no\n' >"$w/loader.conf"
at_source_date mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader ::/loader/credentials
at_source_date mcopy -m -i "$esp" "$out/loader.efi" ::/EFI/BOOT/BOOTX64.EFI
at_source_date mcopy -m -i "$esp" "$w/loader.conf" ::/loader/loader.conf
at_source_date mcopy -m -i "$esp" "$out/kcc-node.efi" "::/EFI/Linux/kcc-node_${version}+3.efi"
at_source_date mcopy -m -i "$esp" "$out/tpm2-pcr-signature.json" \
	"::/loader/credentials/kcc-pcrsig_${version}.cred"

total=$((1 + ESP_MB + 2 * (ROOT_MB + VERITY_MB) + STATE_MB + 1))
rm -f "$out/disk.raw"
truncate -s $((total * MiB)) "$out/disk.raw"
S=2048 # sectors per MiB
sfdisk --quiet --no-reread --no-tell-kernel "$out/disk.raw" <<-EOT >/dev/null
	label: gpt
	label-id: $(derive_uuid disk "$rh")
	unit: sectors
	first-lba: 2048
	start=$((1 * S)), size=$((ESP_MB * S)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$(derive_uuid esp "$rh"), name="esp"
	size=$((ROOT_MB * S)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(hex_to_uuid "${rh:0:32}"), name="root-a"
	size=$((VERITY_MB * S)), type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, uuid=$(hex_to_uuid "${rh:32:32}"), name="root-a-verity"
	size=$((ROOT_MB * S)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(derive_uuid root-b "$rh"), name="_empty", attrs="GUID:63"
	size=$((VERITY_MB * S)), type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, uuid=$(derive_uuid root-b-verity "$rh"), name="_empty", attrs="GUID:63"
	size=$((STATE_MB * S)), type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, uuid=$(derive_uuid state "$rh"), name="state"
EOT
put() { dd if="$1" of="$out/disk.raw" bs=1M seek="$2" conv=notrunc,sparse status=none; }
put "$esp" 1
put "$out/root.erofs" $((1 + ESP_MB))
put "$out/root.verity" $((1 + ESP_MB + ROOT_MB))
