#!/usr/bin/env bats
# make check-long (tests/check-long.sh): the rollback matrix of boot counting, about 8 minutes
# under TCG.
# Boot counting and rollback decided by the loader (docs/upgrades.md, "Boot counting and bless
# rules"): UEFI + Secure Boot + swtpm, systemd-boot 252 counting the UKIs in \EFI\Linux.
# Two qemu runs share every boot: a fresh node blesses its first boot; then four broken releases
# newer than it are installed on its ESP and one qemu with an i6300esb watchdog lets the guest
# reset itself until the node is back on its blessed release:
#   boot 1: V.6 (+3), no signature approves its PCRs        -> the initrd marks it bad, reboots
#   boot 2: V.5 (+1), PID 1's helper hangs after "sysinit"    -> the watchdog resets the machine
#   boot 3: V.4 (+1), the kernel panics before PID 1          -> panic=-1 resets; counter at +0
#   boot 4: V.3 (+3), kcc-kubelet never gets healthy           -> PID 1 marks it bad and reboots
#   boot 5: V (blessed): not counted, services started
# Each is asserted on the serial log of its boot and on the ESP's file names afterwards.
load ../helper

setup_file() {
	fresh_counted_node

	V=$(jq -r .version "$IMAGE/manifest.json")
	uki_variant "$BATS_FILE_TMPDIR/v3" "$V.3" "kcc_test.unready=kcc-kubelet kcc.bless_timeout=30"
	uki_variant "$BATS_FILE_TMPDIR/v4" "$V.4" "rdinit=/kcc-missing"
	uki_variant "$BATS_FILE_TMPDIR/v5" "$V.5" "kcc_test.hang=sysinit kcc.watchdog=10"
	uki_variant "$BATS_FILE_TMPDIR/v6" "$V.6" ""
	# v6 comes with v3's signature: it approves v3's PCR 4, not v6's
	esp_add "$N.raw" "kcc-node_$V.6+3.efi" "$BATS_FILE_TMPDIR/v6.efi" "$BATS_FILE_TMPDIR/v3.cred"
	esp_add "$N.raw" "kcc-node_$V.3+3.efi" "$BATS_FILE_TMPDIR/v3.efi" "$BATS_FILE_TMPDIR/v3.cred"
	esp_add "$N.raw" "kcc-node_$V.4+1.efi" "$BATS_FILE_TMPDIR/v4.efi" "$BATS_FILE_TMPDIR/v4.cred"
	esp_add "$N.raw" "kcc-node_$V.5+1.efi" "$BATS_FILE_TMPDIR/v5.efi" "$BATS_FILE_TMPDIR/v5.cred"
	vm_boot rollback --mode uefi --vars "$VARS" --timeout 900 --disk "$N.raw" --tpm-state "$N.tpm" \
		--watchdog --reboots 4 --until 'kcc-init: services started \(7 running, 0 failed\)|kcc-init: powering off now'
	esp_entries "$N.raw" >"$BATS_FILE_TMPDIR/rollback.entries"
}

@test "boot counting: a release whose signature approves nothing is marked bad by the initrd, which reboots at once" {
	V=$(jq -r .version "$IMAGE/manifest.json")
	in_boot rollback 1 'kcc-init: The TPM did not release the state key: no signature approves the current PCR 11'
	in_boot rollback 1 "kcc-init: boot stopped: stage 'state partition' failed .*; counted boot: marking it bad"
	in_boot rollback 1 "kcc-init: boot marked bad \(stage 'state partition' failed in the initrd\): .EFI.Linux.kcc-node_$V\.6\+2-1\.efi -> kcc-node_$V\.6\+0-1\.efi; the loader boots next: kcc-node_$V\.5\+1\.efi"
	in_boot rollback 1 'kcc-init: rebooting now'
	! boot_log rollback 1 | grep -qaE 'system stage started|powering off'
	in_boot rollback 2 "Linux version"
}

@test "boot counting: a hang after PID 1 started is reset by the watchdog and the loader moves on" {
	V=$(jq -r .version "$IMAGE/manifest.json")
	in_boot rollback 2 "Linux version"
	in_boot rollback 2 'kcc-init: hardware watchdog armed \(10s\)'
	in_boot rollback 2 'kcc-init: hardware watchdog: 10s, petted by PID 1'
	in_boot rollback 2 'kcc-init: test: hanging after sysinit'
	! boot_log rollback 2 | grep -qaE 'services started|rebooting now|requested by'
	# the next boot is another entry: the hung one is at +0
	in_boot rollback 3 "Linux version"
	grep -qx "kcc-node_$V.5+0-1.efi" "$BATS_FILE_TMPDIR/rollback.entries"
}

@test "boot counting: a kernel that panics before PID 1 rolls back through the loader's counter" {
	V=$(jq -r .version "$IMAGE/manifest.json")
	in_boot rollback 3 'Kernel command line: .* rdinit=/kcc-missing'
	in_boot rollback 3 'Kernel panic - not syncing'
	! boot_log rollback 3 | grep -qaE 'kcc-init'
	grep -qx "kcc-node_$V.4+0-1.efi" "$BATS_FILE_TMPDIR/rollback.entries"
}

@test "boot counting: a release whose kubelet never gets healthy is marked bad and the node comes back on the blessed one" {
	V=$(jq -r .version "$IMAGE/manifest.json")
	in_boot rollback 4 'kcc-init: state: key unsealed by the TPM'
	in_boot rollback 4 'kcc-init: counted boot: blessing it once healthy \(deadline 30s\)'
	in_boot rollback 4 "kcc-init: test: kcc-kubelet's readiness check points at a port nobody serves"
	in_boot rollback 4 "kcc-init: boot marked bad \(not healthy 30s after PID 1 started\): .EFI.Linux.kcc-node_$V\.3\+2-1\.efi -> kcc-node_$V\.3\+0-1\.efi; the loader boots next: kcc-node_$V\.efi"
	in_boot rollback 4 'kcc-init: reboot requested by boot counting'
	! boot_log rollback 4 | grep -qaE 'boot blessed'
	# back on the blessed release, by itself, with /var unlocked
	in_boot rollback 5 "Kernel command line: .*kcc.roothash=$(cat "$IMAGE/roothash")\$"
	in_boot rollback 5 'kcc-init: state: key unsealed by the TPM'
	in_boot rollback 5 'kcc-init: boot not counted'
	in_boot rollback 5 'kcc-init: services started \(7 running, 0 failed\)'
	[ "$(boot_log rollback 6 | wc -l)" -eq 0 ]
	# the ESP afterwards: every broken release at +0, the blessed one untouched
	diff -u - "$BATS_FILE_TMPDIR/rollback.entries" <<-EOF
	kcc-node_$V.3+0-1.efi
	kcc-node_$V.4+0-1.efi
	kcc-node_$V.5+0-1.efi
	kcc-node_$V.6+0-1.efi
	kcc-node_$V.efi
	EOF
}
