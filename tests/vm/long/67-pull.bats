#!/usr/bin/env bats
# make check-long (tests/check-long.sh): pull mode in a VM (docs/upgrades.md, "Pull mode"), about
# 3 minutes under TCG. UEFI + Secure Boot + swtpm, one qemu that lets the guest reboot once
# (--reboots 1). The node configuration (fw_cfg) names a channel on the host, python's http.server
# publishing the second test release's bundle (v2, KCC_TEST_IMAGE_V2) as kcc-node.bundle, and the
# FleetLock stand-in (tests/fleetlock-standin.py, one slot), both reached at 10.0.2.100 through
# qemu's user network (--guest-forward). The kcc-update service of the fresh v1 node waits for
# its boot's bless, releases its slot (steady-state), finds v2 published, applies it, takes the
# slot (pre-reboot) and sends PID 1 kured's signal; the loader boots v2, PID 1 blesses it and the
# service releases the slot. The test agent is told not to power the node off
# (io.kcc-node.test.shutdown=none).
load ../helper
. "$TOP/tests/free-port.sh"
. "$TOP/tests/pull-standins.sh"

IMAGE_V2=${KCC_TEST_IMAGE_V2:-$TOP/build/test-v2}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	[ -f "$IMAGE_V2/disk.raw" ]
	mkdir -p "$d/node.tpm"
	pull_standins "$d"
	cp "$IMAGE_V2/$(jq -r .bundle "$IMAGE_V2/manifest.json")" "$d/channel/kcc-node.bundle"
	pull_node_config pull-node-1 workers >"$d/node.json"
	disk_copy "$d/node.raw"
	vm_boot pull --mode uefi --timeout 900 --reboots 1 --disk "$d/node.raw" --tpm-state "$d/node.tpm" \
		--fw-cfg "$d/node.json" --guest-forward "8081:$HTTP_PORT" --guest-forward "8082:$LOCK_PORT" \
		--smbios-11 io.kcc-node.test.shutdown=none \
		--until "pull: steady: $(jq -r .version "$IMAGE_V2/manifest.json" | sed 's/\./\\./g') blessed|boot marked bad|boot stopped"
	pull_standins_stop "$d"
	esp_entries "$d/node.raw" >"$d/pull.entries"
}

teardown_file() {
	pull_standins_stop "$BATS_FILE_TMPDIR"
}

# line_of N REGEX: the line number of REGEX's first match in boot N's log.
line_of() { boot_log pull "$1" | grep -naE -- "$2" | head -n1 | cut -d: -f1; }

@test "pull (VM): once its boot is blessed the fresh node finds v2 published, applies it, takes the reboot lock and reboots" {
	V1=$(jq -r .version "$IMAGE/manifest.json" | sed 's/\./\\./g')
	V2=$(jq -r .version "$IMAGE_V2/manifest.json" | sed 's/\./\\./g')
	in_boot pull 1 "kcc-init: boot blessed: .EFI.Linux.kcc-node_$V1\+2-1\.efi -> kcc-node_$V1\.efi"
	in_boot pull 1 "pull: steady: $V1 blessed, reboot lock released \(id pull-node-1, group workers\)"
	in_boot pull 1 "pull: $V2 is published \(running $V1\): applying"
	in_boot pull 1 "pull: apply: $V2 staged in slot b"
	in_boot pull 1 'pull: reboot lock taken from http://10.0.2.100:8082 \(id pull-node-1, group workers\)'
	in_boot pull 1 'pull: asked pid 1 for an orderly reboot \(SIGRTMIN\+5\)'
	in_boot pull 1 'SIGRTMIN\+5 \(/run/reboot-required\)'
	# bless, then apply, then the lock, then the reboot
	[ "$(line_of 1 'boot blessed')" -lt "$(line_of 1 'is published')" ]
	[ "$(line_of 1 'is published')" -lt "$(line_of 1 'reboot lock taken')" ]
	! boot_log pull 1 | grep -qa 'kcc-test: FAIL' || false
}

@test "pull (VM): the loader boots v2, PID 1 blesses it, then the reboot lock is released" {
	V2=$(jq -r .version "$IMAGE_V2/manifest.json" | sed 's/\./\\./g')
	# v2's root (qemu is stopped on the release line, before the agent reports its version)
	in_boot pull 2 "Kernel command line: .* kcc.roothash=$(jq -r .roothash "$IMAGE_V2/manifest.json")"
	in_boot pull 2 'kcc-init: state: key unsealed by the TPM'
	in_boot pull 2 "kcc-init: boot blessed: .EFI.Linux.kcc-node_$V2\+2-1\.efi -> kcc-node_$V2\.efi"
	in_boot pull 2 "pull: steady: $V2 blessed, reboot lock released \(id pull-node-1, group workers\)"
	[ "$(line_of 2 'boot blessed')" -lt "$(line_of 2 'pull: steady')" ]
	! boot_log pull 2 | grep -qa 'kcc-test: FAIL' || false
	# the stand-in's view: released, taken, released again; nobody holds the slot now
	run cat "$BATS_FILE_TMPDIR/lock/requests.log"
	echo "$output"
	[ "$(echo "$output" | awk '{print $1, $2, $3, $4}' | tr '\n' ';')" = \
		"steady-state pull-node-1 workers 200;pre-reboot pull-node-1 workers 200;steady-state pull-node-1 workers 200;" ]
	[ ! -s "$BATS_FILE_TMPDIR/lock/holders" ]
	grep -qx "kcc-node_$(jq -r .version "$IMAGE_V2/manifest.json").efi" "$BATS_FILE_TMPDIR/pull.entries"
}
