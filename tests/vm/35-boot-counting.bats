#!/usr/bin/env bats
# Boot counting decided by the loader (docs/upgrades.md, "Boot counting and bless rules"): UEFI +
# Secure Boot + swtpm, systemd-boot 252 counting the UKIs in \EFI\Linux. A fresh node boots its
# counted entry, blesses it once the kubelet is healthy, and then raises the node's security
# epoch. The rollback matrix (four broken releases, one qemu resetting itself until the node is
# back on its blessed release) is tests/vm/long/36-rollback.bats, in make check-long.
load helper

setup_file() {
	fresh_counted_node
}

@test "boot counting: a fresh image boots its counted entry and blesses it once the kubelet is healthy" {
	V=$(jq -r .version "$IMAGE/manifest.json")
	assert_log fresh 'kcc-init: counted boot: blessing it once healthy \(deadline 120s\)'
	assert_log fresh 'kcc-init: kcc-kubelet is ready'
	assert_log fresh 'kcc-init: services started \(7 running, 0 failed\)'
	assert_log fresh "kcc-init: boot blessed: .EFI.Linux.kcc-node_$V\+2-1\.efi -> kcc-node_$V\.efi"
	# healthy first, blessed after
	[ "$(vm_log fresh | grep -anE 'kcc-kubelet is ready' | cut -d: -f1)" -lt \
		"$(vm_log fresh | grep -anE 'boot blessed' | cut -d: -f1)" ]
	# qemu was killed right after the line: the rename was on the disk already
	[ "$(cat "$BATS_FILE_TMPDIR/fresh.entries")" = "kcc-node_$V.efi" ]
}

@test "boot counting: once blessed, the node's security epoch is raised to the lowest installed release's" {
	# one release on the ESP, of the image's own epoch: the node goes from 0 to it
	e=$(jq .security_epoch "$IMAGE/manifest.json")
	assert_log fresh "kcc-init: security epoch raised to $e \\(this image $e, lowest installed $e\\)"
	[ "$(vm_log fresh | grep -anE 'boot blessed' | cut -d: -f1)" -lt \
		"$(vm_log fresh | grep -anE 'security epoch raised' | cut -d: -f1)" ]
}
