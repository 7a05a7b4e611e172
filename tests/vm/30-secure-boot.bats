#!/usr/bin/env bats
# The full chain: OVMF with Secure Boot on and our development keys enrolled, the signed UKI from
# the ESP. An unsigned or modified UKI must not run.
load helper

setup_file() {
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	export VARS
	disk_copy "$BATS_FILE_TMPDIR/sb.raw"
	mkdir -p "$BATS_FILE_TMPDIR/sb.tpm"
	# Two boots of one node: the first provisions the state partition, the second unlocks it.
	vm_boot sb --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/sb.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/sb.tpm"
	vm_boot sb2 --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/sb.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/sb.tpm"
}

# esp_put DISK FILE: replaces \EFI\BOOT\BOOTX64.EFI inside the disk's ESP.
esp_put() {
	local off esp=$BATS_FILE_TMPDIR/esp.img
	off=$(part_offset "$1" 1)
	dd if="$1" of="$esp" bs=1M skip=$((off / 1048576)) count=64 status=none
	MTOOLS_SKIP_CHECK=1 mcopy -o -i "$esp" "$2" ::/EFI/BOOT/BOOTX64.EFI
	dd if="$esp" of="$1" bs=1M seek=$((off / 1048576)) conv=notrunc status=none
}

@test "secure boot: the signed UKI boots to 'services started' with Secure Boot enforced" {
	assert_log sb 'BdsDxe: starting Boot[0-9A-F]+ '
	assert_log sb 'kcc-test: INFO secureboot=1'
	assert_log sb 'kcc-init: services started \(6 running, 0 failed\)'
	for c in $agent_checks; do
		assert_log sb "kcc-test: PASS $c:"
	done
	refute_log sb 'kcc-test: FAIL'
	assert_log sb 'kcc-init: closed verity device root'
	[ "$(vm_rc sb)" -eq 0 ]
}

@test "secure boot: the UKI's signed PCR 11 policy seals the state key and unlocks it on the next boot" {
	refute_log sb 'direct kernel boot'
	assert_log sb 'kcc-init: state: /dev/vda6 is blank, provisioning it'
	assert_log sb 'kcc-init: state: provisioned'
	assert_log sb2 'kcc-init: state: key unsealed by the TPM'
	assert_log sb2 'kcc-test: INFO var-marker=found:'
	for b in sb sb2; do
		assert_log $b 'kcc-test: PASS eventlog: .* PCR 11 and 15 match'
		assert_log $b 'kcc-test: PASS unseal-after-boot:'
		assert_log $b 'kcc-test: PASS unseal-forced:'
	done
	refute_log sb2 'kcc-test: FAIL'
	# kcc-init found PCR 11 at the value the builder predicted for the stub's measurements.
	want=$("$TOP/build/bin/kcc-pcr" predict --uki "$IMAGE/kcc-node.efi" --phase "" --json | jq -r .value)
	assert_log sb "kcc-test: INFO pcr11-initial=$want"
	assert_log sb2 "kcc-test: INFO pcr11-initial=$want"
}

@test "secure boot: another UKI that Secure Boot accepts (db key) but no PCR signature approves cannot unlock" {
	# As if the db key had leaked: a UKI with one more command-line option, properly signed for
	# the firmware, carrying the original image's .pcrsig and .pcrpkey.
	cp --sparse=always "$BATS_FILE_TMPDIR/sb.raw" "$BATS_FILE_TMPDIR/other.raw"
	cp -a "$BATS_FILE_TMPDIR/sb.tpm" "$BATS_FILE_TMPDIR/other.tpm"
	k=$TOP/build/keys
	printf '%s kcc.rootwait=9\n' "$(cat "$IMAGE/cmdline")" >"$BATS_FILE_TMPDIR/other.cmdline"
	objcopy -O binary --only-section=.osrel "$IMAGE/kcc-node.efi" "$BATS_FILE_TMPDIR/other.osrel"
	SOURCE_DATE_EPOCH=0 "$TOP/image/mkuki.sh" "$IMAGE/vmlinuz" "$IMAGE/initramfs.cpio.zst" \
		"$BATS_FILE_TMPDIR/other.cmdline" "$BATS_FILE_TMPDIR/other.osrel" "$BATS_FILE_TMPDIR/other.unsigned.efi" \
		"$k/tpm2-pcr-public-key.pem" "$IMAGE/tpm2-pcr-signature.json"
	sbsign --key "$k/db.key" --cert "$k/db.crt" --output "$BATS_FILE_TMPDIR/other.efi" \
		"$BATS_FILE_TMPDIR/other.unsigned.efi" 2>/dev/null
	esp_put "$BATS_FILE_TMPDIR/other.raw" "$BATS_FILE_TMPDIR/other.efi"
	vm_boot other --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/other.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/other.tpm"
	assert_log other 'kcc-init: initrd stage started'
	assert_log other 'kcc-init: The TPM did not release the state key: no signature approves the current PCR 11'
	assert_log other "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log other 'system stage started'
}

@test "secure boot: an unsigned UKI is refused by the firmware" {
	disk_copy "$BATS_FILE_TMPDIR/unsigned.raw"
	esp_put "$BATS_FILE_TMPDIR/unsigned.raw" "$IMAGE/kcc-node.unsigned.efi"
	vm_boot unsigned --mode uefi --vars "$VARS" --disk "$BATS_FILE_TMPDIR/unsigned.raw" \
		--timeout 90 --until 'Access Denied|Security Violation'
	assert_log unsigned 'BdsDxe: failed to load Boot[0-9A-F]+ .*(Access Denied|Security Violation)'
	refute_log unsigned 'Linux version'
	refute_log unsigned 'kcc-init'
}

@test "secure boot: a signed UKI with a modified command line is refused" {
	disk_copy "$BATS_FILE_TMPDIR/modified.raw"
	cp "$IMAGE/kcc-node.efi" "$BATS_FILE_TMPDIR/modified.efi"
	off=$(grep -obUa 'kcc.slot=a' "$BATS_FILE_TMPDIR/modified.efi" | head -n1 | cut -d: -f1)
	[ -n "$off" ]
	printf 'b' | dd of="$BATS_FILE_TMPDIR/modified.efi" bs=1 seek=$((off + 9)) conv=notrunc status=none
	grep -qa 'kcc.slot=b' "$BATS_FILE_TMPDIR/modified.efi"
	esp_put "$BATS_FILE_TMPDIR/modified.raw" "$BATS_FILE_TMPDIR/modified.efi"
	vm_boot modified --mode uefi --vars "$VARS" --disk "$BATS_FILE_TMPDIR/modified.raw" \
		--timeout 90 --until 'Access Denied|Security Violation'
	assert_log modified 'BdsDxe: failed to load Boot[0-9A-F]+ .*(Access Denied|Security Violation)'
	refute_log modified 'kcc-init'
}
