#!/usr/bin/env bats
# An update of a running node (docs/upgrades.md): the v1 test image applies the bundle of a second
# test image (v2, KCC_TEST_IMAGE_V2, built with `image/build.sh --variant test --version V1.2 --epoch 2 --out
# build/test-v2`) through kcc-update's node-local socket, as an upgrade container would; PID 1
# refuses kured's signal while no update waits, /run/reboot-required appears once it does, and
# kured's signal then reboots the node. The next boot (direct kernel mode with v2's kernel, initrd
# and command line, the same disk and TPM) runs v2 from slot b, with /var unlocked and intact.
load helper

IMAGE_V2=${KCC_TEST_IMAGE_V2:-$TOP/build/test-v2}

setup_file() {
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
	[ -f "$IMAGE_V2/disk.raw" ]
	V2B=$IMAGE_V2/$(jq -r .bundle "$IMAGE_V2/manifest.json")
	# v2's version as a regular expression (the loader must order it after v1's)
	V2RE=$(jq -r .version "$IMAGE_V2/manifest.json" | sed 's/\./\\./g')
	export V2RE
	disk_copy "$D"
	# direct kernel boots: no loader counts or blesses; as if an earlier loader boot of v1 had
	# been blessed (kcc-update apply refuses on an unblessed boot)
	local v1
	v1=$(jq -r .version "$IMAGE/manifest.json")
	MTOOLS_SKIP_CHECK=1 mren -i "$D@@1M" "::/EFI/Linux/kcc-node_$v1+3.efi" "::/EFI/Linux/kcc-node_$v1.efi"
	mkdir -p "$T"
	vm_boot v1 --disk "$D" --tpm-state "$T" --timeout 400 --test-bundle "$V2B" \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.update=apply kcc_test.bundle_size=$(stat -c %s "$V2B")"
	# v2's own command line: its signed PCR 11 policy approves exactly that one
	IMAGE=$IMAGE_V2 vm_boot v2 --disk "$D" --tpm-state "$T" --timeout 300
}

@test "update: v1 applies v2 through the socket; kured's signal is refused before, /run/reboot-required after, then it reboots" {
	assert_log v1 "kcc-test: INFO version=$(jq -r .version "$IMAGE/manifest.json" | sed 's/\./\\./g')\$"
	assert_log v1 'kcc-test: PASS update-status: .*"running":\{"slot":"a"'
	assert_log v1 'kcc-init: ignoring SIGRTMIN\+5 from pid [0-9]+: no /run/reboot-required'
	assert_log v1 'kcc-test: PASS update-sentinel-early: absent'
	assert_log v1 "kcc-test: PASS update-apply: apply: $V2RE staged in slot b"
	assert_log v1 "kcc-test: PASS update-apply-again: apply: $V2RE already staged in slot b"
	assert_log v1 'kcc-test: PASS update-sentinel: /run/reboot-required present'
	assert_log v1 'kcc-test: PASS update-status-staged: '
	assert_log v1 "kcc-test: INFO update-status-staged-update=\"staged_update\":\"$V2RE\"\$"
	assert_log v1 'kcc-test: INFO update-status-reboot-required="reboot_required":true$'
	assert_log v1 'SIGRTMIN\+5 \(/run/reboot-required\)'
	refute_log v1 'kcc-test: FAIL'
	tr -d '\r' <"$BATS_FILE_TMPDIR/v1.log" | grep -a 'update-apply-s=' || true
}

@test "update: the next boot runs v2 from slot b, /var unlocked with the same data" {
	assert_log v2 "kcc-test: INFO version=$V2RE\$"
	assert_log v2 "kcc-test: PASS update-status: .*\"running\":\{\"slot\":\"b\",\"version\":\"$V2RE\""
	assert_log v2 'kcc-init: state: key unsealed by the TPM'
	m1=$(tr -d '\r' <"$BATS_FILE_TMPDIR/v1.log" | sed -n 's/.*kcc-test: INFO var-marker=[a-z]*:\(.*\)/\1/p')
	m2=$(tr -d '\r' <"$BATS_FILE_TMPDIR/v2.log" | sed -n 's/.*kcc-test: INFO var-marker=found:\(.*\)/\1/p')
	[ -n "$m1" ]
	[ "$m1" = "$m2" ]
	refute_log v2 'kcc-test: FAIL'
}
