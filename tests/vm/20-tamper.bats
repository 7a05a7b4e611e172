#!/usr/bin/env bats
# Tamper and fault cases: each must stop the boot before any service, with a clear line.
load helper

@test "tamper: one flipped byte in the root partition stops the boot with a verity error" {
	disk_copy "$BATS_FILE_TMPDIR/flip.raw"
	off=$(part_offset "$BATS_FILE_TMPDIR/flip.raw" 2)
	flip_byte "$BATS_FILE_TMPDIR/flip.raw" $((off + 1024 + 8)) # inside the erofs superblock
	vm_boot flip --mode direct --disk "$BATS_FILE_TMPDIR/flip.raw" --timeout 90
	[ "$(vm_rc flip)" -ne 124 ] # it stopped by itself, not at the time limit
	assert_log flip 'device-mapper: verity: .*data block [0-9]+ is corrupted'
	assert_log flip 'Kernel panic - not syncing: dm-verity device corrupted'
	refute_log flip 'services started'
	refute_log flip 'system stage started'
}

@test "tamper: a wrong root hash whose partition UUIDs match is refused by dm-verity" {
	disk_copy "$BATS_FILE_TMPDIR/wronghash.raw"
	rh=$(cat "$IMAGE/roothash")
	bad=$(printf '%s' "$rh" | tr '0123456789abcdef' '123456789abcdef0')
	uuid() { echo "${1:0:8}-${1:8:4}-${1:12:4}-${1:16:4}-${1:20:12}"; }
	# An attacker who controls the disk can make the GPT match any hash.
	sfdisk --quiet --part-uuid "$BATS_FILE_TMPDIR/wronghash.raw" 2 "$(uuid "${bad:0:32}")"
	sfdisk --quiet --part-uuid "$BATS_FILE_TMPDIR/wronghash.raw" 3 "$(uuid "${bad:32:32}")"
	vm_boot wronghash --mode direct --disk "$BATS_FILE_TMPDIR/wronghash.raw" --timeout 90 \
		--cmdline "$(sed "s/$rh/$bad/" "$IMAGE/cmdline")"
	[ "$(vm_rc wronghash)" -ne 124 ]
	assert_log wronghash 'device-mapper: verity: .*(metadata|data) block [0-9]+ is corrupted|kcc-init: Failed to (open dm-verity|mount the verity root)'
	refute_log wronghash 'system stage started'
}

@test "tamper: a root hash that matches no partition stops with a clear line and powers off" {
	rh=$(cat "$IMAGE/roothash")
	bad=$(printf '%s' "$rh" | tr '0123456789abcdef' '123456789abcdef0')
	vm_boot nopart --mode direct --timeout 90 \
		--cmdline "$(sed "s/$rh/$bad/; s/\$/ kcc.rootwait=2/" "$IMAGE/cmdline")"
	[ "$(vm_rc nopart)" -eq 0 ]
	assert_log nopart "kcc-init: No root partition ${bad:0:8}-.* for the root hash on the command line after 2s"
	assert_log nopart "kcc-init: boot stopped: stage 'verity root' failed .*; poweroff"
	assert_log nopart 'reboot: Power down'
	refute_log nopart 'system stage started'
}

@test "fault: a malformed kcc option stops the boot with the option named" {
	vm_boot badopt --mode direct --timeout 90 --cmdline "$(cat "$IMAGE/cmdline") kcc.rootwait=soon"
	[ "$(vm_rc badopt)" -eq 0 ]
	assert_log badopt 'kcc-init: Bad kernel command line: kcc.rootwait=soon is not a number of seconds'
	assert_log badopt 'reboot: Power down'
	# stopped before the modules stage, whose line every boot prints (kcc-node's kernel: "no kernel
	# modules to load: ... built in"; KCC_KERNEL=debian: "loaded N kernel modules")
	refute_log badopt 'kcc-init: (no kernel modules to load|loaded [0-9]+ kernel modules)'
}

@test "fault: no root hash at all refuses an unverified root" {
	vm_boot nohash --mode direct --timeout 90 \
		--cmdline "$(sed 's/kcc.roothash=[0-9a-f]*//' "$IMAGE/cmdline")"
	[ "$(vm_rc nohash)" -eq 0 ]
	assert_log nohash 'kcc-init: No kcc.roothash= on the kernel command line, refusing to boot an unverified root'
	refute_log nohash 'system stage started'
}
