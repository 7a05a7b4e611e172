#!/usr/bin/env bats
# The TPM-sealed LUKS2 state partition and measured boot, on the direct-boot path (kcc-init
# measures the command line into PCR 11 there; tests/vm/30-secure-boot.bats covers the UKI chain).
# One disk and one TPM go through a first boot (provisioning) and a second (unlock); the fault
# cases work on copies of both.
load helper

setup_file() {
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
	disk_copy "$D"
	mkdir -p "$T"
	vm_boot first --disk "$D" --tpm-state "$T" --timeout 120
	vm_boot second --disk "$D" --tpm-state "$T" --timeout 120
}

setup() {
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
}

# copy_node NAME: a copy of the provisioned disk and its TPM, for a destructive test.
copy_node() {
	cp --sparse=always "$D" "$BATS_FILE_TMPDIR/$1.raw"
	rm -rf "$BATS_FILE_TMPDIR/$1.tpm"
	cp -a "$T" "$BATS_FILE_TMPDIR/$1.tpm"
}

marker() { tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | sed -n 's/.*kcc-test: INFO var-marker=[a-z]*:\(.*\)/\1/p'; }

@test "state: the first boot provisions the blank partition as LUKS2 and writes to /var" {
	assert_log first 'kcc-init: state: /dev/vda6 is blank, provisioning it'
	assert_log first 'kcc-init: state: key sealed to the TPM'
	assert_log first 'kcc-init: state: LUKS2 header written on /dev/vda6'
	assert_log first 'kcc-init: PCR 15 extended: cryptsetup:state:'
	assert_log first 'kcc-init: state: provisioned'
	assert_log first 'kcc-test: PASS var-luks: /dev/mapper/state ext4 rw,nosuid,nodev,noexec'
	assert_log first 'kcc-test: PASS var-dm: dm uuid CRYPT-LUKS2-'
	assert_log first 'kcc-test: INFO var-marker=created:'
	assert_log first 'kcc-init: closed LUKS2 device state'
	refute_log first 'kcc-test: FAIL'
	[ "$(vm_rc first)" -eq 0 ]
}

@test "state: the second boot unseals the key, unlocks, and finds the first boot's data" {
	assert_log second 'kcc-init: state: key unsealed by the TPM'
	refute_log second 'kcc-init: state: .*provision'
	assert_log second 'kcc-test: INFO var-marker=found:'
	[ -n "$(marker first)" ]
	[ "$(marker second)" = "$(marker first)" ]
	refute_log second 'kcc-test: FAIL'
	[ "$(vm_rc second)" -eq 0 ]
}

@test "measured boot: the event log replays to the TPM's PCR 11 and 15, phases in order" {
	for b in first second; do
		assert_log $b 'kcc-test: PASS eventlog: .* PCR 11 and 15 match'
		assert_log $b 'kcc-test: PASS phases: enter-initrd leave-initrd sysinit ready'
		assert_log $b 'kcc-init: direct kernel boot \(no UKI stub\): measuring the command line'
	done
	# Same image, same command line, same volume: the same PCR values on both boots.
	p1=$(tr -d '\r' <"$BATS_FILE_TMPDIR/first.log" | sed -n 's/.*INFO pcrs=//p')
	p2=$(tr -d '\r' <"$BATS_FILE_TMPDIR/second.log" | sed -n 's/.*INFO pcrs=//p')
	[ -n "$p1" ] && [ "$p1" = "$p2" ]
	# PCR 11 is what kcc-pcr predicts for this command line at the ready phase.
	want=$("$TOP/build/bin/kcc-pcr" predict --direct-cmdline "$(cat "$IMAGE/cmdline")" --phase ready --json | jq -r .value)
	[ "$(echo "$p1" | jq -r '."11"')" = "$want" ]
}

@test "state: after leave-initrd the key cannot be unsealed from inside the guest" {
	for b in first second; do
		assert_log $b 'kcc-test: PASS unseal-after-boot: rc=1 kcc-pcr: no signature approves the current PCR 11'
		assert_log $b 'kcc-test: PASS unseal-forced: rc=1 kcc-pcr: the signed PCRs do not have the values'
	done
}

@test "state: a changed command line changes PCR 11 and the TPM keeps the key; the volume stays intact" {
	copy_node cmd
	vm_boot cmd --disk "$BATS_FILE_TMPDIR/cmd.raw" --tpm-state "$BATS_FILE_TMPDIR/cmd.tpm" \
		--timeout 120 --cmdline "$(cat "$IMAGE/cmdline") kcc.rootwait=9"
	[ "$(vm_rc cmd)" -eq 0 ]
	assert_log cmd 'kcc-init: The TPM did not release the state key: no signature approves the current PCR 11'
	assert_log cmd "kcc-init: boot stopped: stage 'state partition' failed .*; poweroff"
	refute_log cmd 'system stage started'
	# The refused boot changed nothing: the right command line unlocks the same data.
	vm_boot cmd2 --disk "$BATS_FILE_TMPDIR/cmd.raw" --tpm-state "$BATS_FILE_TMPDIR/cmd.tpm" --timeout 120
	assert_log cmd2 'kcc-init: state: key unsealed by the TPM'
	[ "$(marker cmd2)" = "$(marker first)" ]
}

@test "state: a swapped partition (attacker's LUKS2, known passphrase, copied token) is refused" {
	copy_node swap
	part_get "$BATS_FILE_TMPDIR/swap.raw" $STATE_PART "$BATS_FILE_TMPDIR/real.img"
	cryptsetup token export --token-id 0 "$BATS_FILE_TMPDIR/real.img" >"$BATS_FILE_TMPDIR/token.json"
	grep -q '"type":"kcc-tpm2"' "$BATS_FILE_TMPDIR/token.json"
	truncate -s 0 "$BATS_FILE_TMPDIR/evil.img"
	truncate -s "$(stat -c %s "$BATS_FILE_TMPDIR/real.img")" "$BATS_FILE_TMPDIR/evil.img"
	printf attacker | cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --subsystem kcc-state --key-file - "$BATS_FILE_TMPDIR/evil.img"
	cryptsetup token import --token-id 0 "$BATS_FILE_TMPDIR/evil.img" <"$BATS_FILE_TMPDIR/token.json"
	part_put "$BATS_FILE_TMPDIR/swap.raw" $STATE_PART "$BATS_FILE_TMPDIR/evil.img"
	vm_boot swap --disk "$BATS_FILE_TMPDIR/swap.raw" --tpm-state "$BATS_FILE_TMPDIR/swap.tpm" --timeout 120
	[ "$(vm_rc swap)" -eq 0 ]
	assert_log swap 'kcc-init: The TPM-sealed key opens no keyslot of /dev/vda6: this is not the volume the key was sealed for'
	assert_log swap "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log swap 'PCR 15 extended'
	refute_log swap 'system stage started'
}

@test "state: a re-headered volume (cipher_null data segment, or another UUID; the real keyslot and token kept) is refused before activation" {
	copy_node nullseg
	part_get "$BATS_FILE_TMPDIR/nullseg.raw" $STATE_PART "$BATS_FILE_TMPDIR/nullseg.img"
	cp --sparse=always "$BATS_FILE_TMPDIR/nullseg.img" "$BATS_FILE_TMPDIR/uuid.img"
	"$TOP/tests/vm/luks2-set-cipher.py" "$BATS_FILE_TMPDIR/nullseg.img" cipher_null-ecb
	cryptsetup luksDump "$BATS_FILE_TMPDIR/nullseg.img" | grep -q 'cipher: cipher_null-ecb'
	part_put "$BATS_FILE_TMPDIR/nullseg.raw" $STATE_PART "$BATS_FILE_TMPDIR/nullseg.img"
	vm_boot nullseg --disk "$BATS_FILE_TMPDIR/nullseg.raw" --tpm-state "$BATS_FILE_TMPDIR/nullseg.tpm" --timeout 120
	[ "$(vm_rc nullseg)" -eq 0 ]
	assert_log nullseg 'kcc-init: state: key unsealed by the TPM'
	assert_log nullseg 'kcc-init: The state volume /dev/vda6 is not the one the key was sealed for: its data is cipher_null-ecb with a 512-bit key, not aes-xts-plain64 with 512 bits; refusing it'
	assert_log nullseg "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log nullseg 'PCR 15 extended'
	refute_log nullseg 'state volume mounted'

	# Same keyslot, key and cipher, another LUKS UUID: the sealed binding does not match.
	copy_node uuid
	cryptsetup luksUUID --batch-mode --uuid 11111111-2222-4333-8444-555555555555 "$BATS_FILE_TMPDIR/uuid.img"
	part_put "$BATS_FILE_TMPDIR/uuid.raw" $STATE_PART "$BATS_FILE_TMPDIR/uuid.img"
	vm_boot uuid --disk "$BATS_FILE_TMPDIR/uuid.raw" --tpm-state "$BATS_FILE_TMPDIR/uuid.tpm" --timeout 120
	assert_log uuid 'kcc-init: The state volume /dev/vda6 is not the one the key was sealed for: its UUID 11111111-2222-4333-8444-555555555555 or its volume key is not the one sealed; refusing it'
	assert_log uuid "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log uuid 'PCR 15 extended'
}

@test "state: no TPM stops the boot with one clear line" {
	copy_node notpm
	vm_boot notpm --disk "$BATS_FILE_TMPDIR/notpm.raw" --no-tpm --timeout 120
	[ "$(vm_rc notpm)" -eq 0 ]
	assert_log notpm 'kcc-init: No usable TPM: no TPM: /dev/tpmrm0'
	assert_log notpm "kcc-init: boot stopped: stage 'tpm' failed .*; poweroff"
	refute_log notpm 'state:'
}

@test "state: another TPM (other storage key) does not unlock the volume" {
	copy_node othertpm
	rm -rf "$BATS_FILE_TMPDIR/othertpm.tpm"/*
	vm_boot othertpm --disk "$BATS_FILE_TMPDIR/othertpm.raw" --tpm-state "$BATS_FILE_TMPDIR/othertpm.tpm" --timeout 120
	assert_log othertpm "kcc-init: The TPM did not release the state key: this TPM's storage key is not the one the key was sealed under"
	assert_log othertpm "kcc-init: boot stopped: stage 'state partition' failed"
}

@test "state: a corrupt or missing token stops the boot; a foreign filesystem is never formatted" {
	copy_node tok
	part_get "$BATS_FILE_TMPDIR/tok.raw" $STATE_PART "$BATS_FILE_TMPDIR/tok.img"
	cryptsetup token export --token-id 0 "$BATS_FILE_TMPDIR/tok.img" |
		jq -c '."kcc-blob" = "AAAA"' >"$BATS_FILE_TMPDIR/bad-token.json"
	cryptsetup token import --token-replace --token-id 0 "$BATS_FILE_TMPDIR/tok.img" <"$BATS_FILE_TMPDIR/bad-token.json"
	part_put "$BATS_FILE_TMPDIR/tok.raw" $STATE_PART "$BATS_FILE_TMPDIR/tok.img"
	vm_boot tok --disk "$BATS_FILE_TMPDIR/tok.raw" --tpm-state "$BATS_FILE_TMPDIR/tok.tpm" --timeout 120
	assert_log tok 'kcc-init: The TPM did not release the state key: the sealed blob is malformed'
	assert_log tok "kcc-init: boot stopped: stage 'state partition' failed"

	cryptsetup token remove --token-id 0 "$BATS_FILE_TMPDIR/tok.img"
	part_put "$BATS_FILE_TMPDIR/tok.raw" $STATE_PART "$BATS_FILE_TMPDIR/tok.img"
	vm_boot notok --disk "$BATS_FILE_TMPDIR/tok.raw" --tpm-state "$BATS_FILE_TMPDIR/tok.tpm" --timeout 120
	assert_log notok 'kcc-init: /dev/vda6 has no kcc-tpm2 token: no sealed key to unlock it with'
	assert_log notok "kcc-init: boot stopped: stage 'state partition' failed"

	disk_copy "$BATS_FILE_TMPDIR/ext4.raw"
	truncate -s "$(part_size "$BATS_FILE_TMPDIR/ext4.raw" $STATE_PART)" "$BATS_FILE_TMPDIR/ext4.img"
	mkfs.ext4 -q -F -L somebodys-data "$BATS_FILE_TMPDIR/ext4.img"
	part_put "$BATS_FILE_TMPDIR/ext4.raw" $STATE_PART "$BATS_FILE_TMPDIR/ext4.img"
	vm_boot ext4 --disk "$BATS_FILE_TMPDIR/ext4.raw" --timeout 120
	assert_log ext4 'kcc-init: /dev/vda6 holds ext4, not a kcc-node state volume; refusing to format it'
	part_get "$BATS_FILE_TMPDIR/ext4.raw" $STATE_PART "$BATS_FILE_TMPDIR/ext4.after"
	[ "$(blkid -o value -s LABEL "$BATS_FILE_TMPDIR/ext4.after")" = somebodys-data ]
}

# crash_at NAME STEP: holds provisioning after STEP (kcc_test.pause=, test images only), kills
# qemu there (a power cut: nothing the guest has not written reaches the disk), boots again.
crash_at() {
	disk_copy "$BATS_FILE_TMPDIR/$1.raw"
	mkdir -p "$BATS_FILE_TMPDIR/$1.tpm"
	vm_boot "$1-cut" --disk "$BATS_FILE_TMPDIR/$1.raw" --tpm-state "$BATS_FILE_TMPDIR/$1.tpm" \
		--timeout 120 --until "test: pausing after $2" \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.pause=$2"
	assert_log "$1-cut" "kcc-init: test: pausing after $2"
	refute_log "$1-cut" 'kcc-init: state: provisioned'
	vm_boot "$1" --disk "$BATS_FILE_TMPDIR/$1.raw" --tpm-state "$BATS_FILE_TMPDIR/$1.tpm" --timeout 120
	assert_log "$1" 'kcc-init: state: provisioned'
	assert_log "$1" 'kcc-test: INFO var-marker=created:'
	refute_log "$1" 'kcc-test: FAIL'
	[ "$(vm_rc "$1")" -eq 0 ]
	# And the boot after that unlocks what was provisioned, with the data.
	vm_boot "$1-again" --disk "$BATS_FILE_TMPDIR/$1.raw" --tpm-state "$BATS_FILE_TMPDIR/$1.tpm" --timeout 120
	assert_log "$1-again" 'kcc-init: state: key unsealed by the TPM'
	[ "$(marker "$1-again")" = "$(marker "$1")" ]
}

@test "state: power cut after the key is sealed, before any disk write: still blank" {
	crash_at cut-sealed sealed
	assert_log cut-sealed 'kcc-init: state: /dev/vda6 is blank, provisioning it'
}

@test "state: power cut right after the LUKS2 header write: the next boot provisions again" {
	crash_at cut-header header
	assert_log cut-header 'kcc-init: state: provisioning of /dev/vda6 was cut short; starting again'
}

@test "state: power cut after keyslot and token: the next boot provisions again" {
	crash_at cut-token token
	assert_log cut-token 'kcc-init: state: provisioning of /dev/vda6 was cut short; starting again'
}

@test "state: power cut after mkfs, before the volume is marked ready: provisioned again" {
	crash_at cut-mkfs mkfs
	assert_log cut-mkfs 'kcc-init: state: provisioning of /dev/vda6 was cut short; starting again'
}

@test "state: power cut while unlocking a provisioned volume loses nothing" {
	copy_node cut-unlock
	vm_boot cut-unlock-cut --disk "$BATS_FILE_TMPDIR/cut-unlock.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/cut-unlock.tpm" --timeout 120 --until 'PCR 15 extended'
	vm_boot cut-unlock --disk "$BATS_FILE_TMPDIR/cut-unlock.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/cut-unlock.tpm" --timeout 120
	assert_log cut-unlock 'kcc-init: state: key unsealed by the TPM'
	[ "$(marker cut-unlock)" = "$(marker first)" ]
}
