#!/usr/bin/env bats
# make check-long (tests/check-long.sh): a power cut (qemu killed) at each step of kcc-update apply,
# about 4 minutes under TCG. UEFI + Secure Boot + swtpm: which release boots after a cut is the
# loader's choice. One disk and TPM, six boots; in each, the test agent applies the bundle of the
# second test release (v2, KCC_TEST_IMAGE_V2, handed over as a second disk) through the update
# socket once the running boot is blessed (SMBIOS io.kcc-node.test.update=apply-once:SIZE), and
# kcc-update-test holds the apply before one step of the slot writer (run-vm.sh --test-pause
# apply-STEP, a fw_cfg item measured nowhere; tests/vm/update-test-fault.c) until qemu is killed
# on its line:
#   fresh: the fresh node's counted first boot, blessed; cut with the manifest verified, before
#          anything is written (mark-empty)
#   write: cut in the middle of root.erofs (before its 8th chunk)
#   gpt:   cut with both partitions written and read back against the signed chunk hashes, the
#          GPT not yet changed (set-gpt)
#   commit: cut with the UKI written and synced under its dot-temp name, before the rename
#   staged: cut right after the rename, the commit point
#   v2:    the loader boots v2 (counted), PID 1 blesses it; apply finds v2 running
# Before the rename every boot is v1's, /var unlocks with the first boot's data, and the next apply
# starts over (it passes the earlier steps to reach the next cut); after it, v2 boots.
load ../helper

IMAGE_V2=${KCC_TEST_IMAGE_V2:-$TOP/build/test-v2}

# disk_state NAME: the ESP's file names (dot-temp names too) and the GPT (number, name, UUID) into
# NAME.entries and NAME.gpt.
disk_state() {
	local e=$BATS_FILE_TMPDIR/state.esp
	esp_get "$N.raw" "$e"
	{ mdir -a -b -i "$e" ::/EFI/Linux; mdir -a -b -i "$e" ::/loader/credentials; } | sed 's|.*/||' |
		grep -v '^\.*$' | sort >"$BATS_FILE_TMPDIR/$1.entries"
	sfdisk -J "$N.raw" | jq -r '.partitiontable.partitions[] | "\(.node | sub(".*raw"; "")) \(.name) \(.uuid | ascii_downcase)"' \
		>"$BATS_FILE_TMPDIR/$1.gpt"
}

# cut NAME STEP: one boot of the node whose apply of v2 is held before STEP, and qemu killed there.
cut() {
	vm_boot "$1" --mode uefi --vars "$VARS" --timeout 600 --disk "$N.raw" --tpm-state "$N.tpm" \
		--test-bundle "$V2B" --smbios-11 "io.kcc-node.test.update=apply-once:$V2SIZE" --test-pause "apply-$2" \
		--until "kcc-update: test: pausing before apply step $2|kcc-test: FAIL update|boot stopped|boot marked bad|powering off"
	disk_state "$1"
}

setup_file() {
	[ -f "$IMAGE_V2/disk.raw" ]
	V2B=$IMAGE_V2/$(jq -r .bundle "$IMAGE_V2/manifest.json")
	V2SIZE=$(stat -c %s "$V2B")
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	N=$BATS_FILE_TMPDIR/node
	export V2B V2SIZE VARS N
	disk_copy "$N.raw"
	mkdir -p "$N.tpm"
	disk_state built
	cut fresh mark-empty
	cut write write
	cut gpt set-gpt
	cut commit commit
	cut staged staged
	vm_boot v2 --mode uefi --vars "$VARS" --timeout 600 --disk "$N.raw" --tpm-state "$N.tpm" \
		--test-bundle "$V2B" --smbios-11 "io.kcc-node.test.update=apply-once:$V2SIZE" \
		--until 'kcc-test: agent done|kcc-test: FAIL update|boot stopped|boot marked bad|powering off'
	disk_state v2
}

v1re() { jq -r .version "$IMAGE/manifest.json" | sed 's/\./\\./g'; }
v2re() { jq -r .version "$IMAGE_V2/manifest.json" | sed 's/\./\\./g'; }
v2() { jq -r .version "$IMAGE_V2/manifest.json"; }

# slot_b NAME: slot b's two GPT lines (partitions 4 and 5) after boot NAME, without the numbers.
slot_b() { awk '$1 == 4 || $1 == 5 {print $2, $3}' "$BATS_FILE_TMPDIR/$1.gpt"; }

# booted_v1 NAME: boot NAME ran v1, from slot a, with /var unlocked and the fresh boot's data.
booted_v1() {
	assert_log "$1" "kcc-test: INFO version=$(v1re)\$"
	assert_log "$1" 'kcc-init: state: key unsealed by the TPM'
	assert_log "$1" 'kcc-test: PASS update-status: .*"running":\{"slot":"a"'
	[ -n "$(var_marker fresh)" ]
	[ "$(var_marker "$1")" = "$(var_marker fresh)" ]
	assert_log "$1" 'kcc-test: INFO var-marker=found:'
	refute_log "$1" 'kcc-test: FAIL'
}

@test "power cut with the manifest verified: nothing written, the ESP and the GPT as they were" {
	V=$(v1re)
	assert_log fresh "kcc-init: boot blessed: .EFI.Linux.kcc-node_$V\+2-1\.efi -> kcc-node_$V\.efi"
	assert_log fresh 'kcc-update: test: pausing before apply step mark-empty'
	refute_log fresh 'kcc-test: FAIL'
	# the GPT byte for byte as built (slot b's UUIDs included), the ESP with v1's entry, blessed
	[ "$(cat "$BATS_FILE_TMPDIR/fresh.gpt")" = "$(cat "$BATS_FILE_TMPDIR/built.gpt")" ]
	! grep -q "$(v2)" "$BATS_FILE_TMPDIR/fresh.entries" || false
	grep -qx "kcc-node_$(jq -r .version "$IMAGE/manifest.json").efi" "$BATS_FILE_TMPDIR/fresh.entries"
}

@test "power cut in the middle of root.erofs: the node boots v1, /var unlocks; slot b is unbootable" {
	booted_v1 write
	assert_log write 'kcc-update: test: pausing before apply step write'
	# the earlier steps ran: slot b named _empty with new random UUIDs, no entry of v2
	[ "$(slot_b write | awk '{print $1}' | sort -u)" = _empty ]
	[ "$(slot_b write)" != "$(slot_b built)" ]
	! grep -q "$(v2)" "$BATS_FILE_TMPDIR/write.entries" || false
}

@test "power cut with slot b written and verified: the node boots v1, /var unlocks; no UUID names slot b" {
	booted_v1 gpt
	assert_log gpt 'kcc-update: test: pausing before apply step set-gpt'
	[ "$(slot_b gpt | awk '{print $1}' | sort -u)" = _empty ]
	! grep -q "$(v2)" "$BATS_FILE_TMPDIR/gpt.entries" || false
	# what the cut left in slot b is v2's whole root
	part_get "$N.raw" 4 "$BATS_FILE_TMPDIR/slot-b.root"
	cmp -n "$(stat -c %s "$IMAGE_V2/root.erofs")" "$IMAGE_V2/root.erofs" "$BATS_FILE_TMPDIR/slot-b.root"
}

@test "power cut with the UKI under its dot-temp name: the loader ignores it, the node boots v1" {
	booted_v1 commit
	assert_log commit 'kcc-update: test: pausing before apply step commit'
	rh=$(jq -r .roothash "$IMAGE_V2/manifest.json")
	[ "$(slot_b commit)" = "$(printf 'root-b %s\nroot-b-verity %s' \
		"$(echo "${rh:0:32}" | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/')" \
		"$(echo "${rh:32}" | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/')")" ]
	grep -qx ".kcc-node_$(v2).efi.tmp" "$BATS_FILE_TMPDIR/commit.entries"
	grep -qx "kcc-pcrsig_$(v2).cred" "$BATS_FILE_TMPDIR/commit.entries"
	! grep -qx "kcc-node_$(v2)+3.efi" "$BATS_FILE_TMPDIR/commit.entries" || false
}

@test "power cut right after the rename: the update is staged; the next apply started over to get there" {
	booted_v1 staged
	assert_log staged 'kcc-update: test: pausing before apply step staged'
	grep -qx "kcc-node_$(v2)+3.efi" "$BATS_FILE_TMPDIR/staged.entries"
	! grep -q '^\.kcc-node_' "$BATS_FILE_TMPDIR/staged.entries" || false
}

@test "after the cut past the commit point the loader boots v2 from slot b, PID 1 blesses it, /var unlocks" {
	V2=$(v2re)
	assert_log v2 "kcc-test: INFO version=$V2\$"
	assert_log v2 'kcc-init: counted boot: blessing it once healthy'
	assert_log v2 "kcc-init: boot blessed: .EFI.Linux.kcc-node_$V2\+2-1\.efi -> kcc-node_$V2\.efi"
	assert_log v2 'kcc-init: state: key unsealed by the TPM'
	[ "$(var_marker v2)" = "$(var_marker fresh)" ]
	assert_log v2 "kcc-test: PASS update-apply-once: apply: $V2 is the running version: nothing to do"
	assert_log v2 "kcc-test: INFO update-status-running=\"running\":\\{\"slot\":\"b\",\"version\":\"$V2\""
	refute_log v2 'kcc-test: FAIL'
	grep -qx "kcc-node_$(v2).efi" "$BATS_FILE_TMPDIR/v2.entries"
}
