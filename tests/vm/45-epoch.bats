#!/usr/bin/env bats
# Anti-rollback (docs/upgrades.md, "Anti-rollback and security epochs"), direct boots: one node
# (one state partition, one TPM) provisioned by the test image of security epoch 1, then the
# same image built with epoch 2 unlocks it and raises the node to epoch 2 (the test agent makes
# the bless path's `kcc-pcr raise-epoch` call when the host asks through an SMBIOS OEM string),
# then the epoch-1 image refuses to unseal with one line and powers off, while the epoch-2 image
# still unlocks. The two builds may differ in their root (the version follows the tree), so the
# state partition moves between a copy of each image's disk.
load helper

IMAGE2=${KCC_TEST_IMAGE_V2:-$TOP/build/test-v2}

setup_file() {
	[ -f "$IMAGE2/manifest.json" ] && [ "$(jq .security_epoch "$IMAGE2/manifest.json")" = 2 ] || {
		echo "no epoch-2 test image in $IMAGE2: image/build.sh --variant test --out $IMAGE2 --version VERSION.2 --epoch 2" >&2
		return 1
	}
	[ "$(jq .security_epoch "$IMAGE/manifest.json")" = 1 ]
	N=$BATS_FILE_TMPDIR
	disk_copy "$N/e1.raw"
	cp --sparse=always "$IMAGE2/disk.raw" "$N/e2.raw"
	mkdir -p "$N/tpm"
	vm_boot e1-provision --disk "$N/e1.raw" --tpm-state "$N/tpm" --timeout 120
	move_state e1 e2
	IMAGE=$IMAGE2 vm_boot e2-raise --disk "$N/e2.raw" --tpm-state "$N/tpm" --timeout 120 \
		--smbios-11 io.kcc-node.test.raise-epoch=2
	move_state e2 e1
	vm_boot e1-refused --disk "$N/e1.raw" --tpm-state "$N/tpm" --timeout 120
	IMAGE=$IMAGE2 vm_boot e2-again --disk "$N/e2.raw" --tpm-state "$N/tpm" --timeout 120
}

# move_state FROM TO: the state partition of FROM.raw into TO.raw.
move_state() {
	part_get "$N/$1.raw" $STATE_PART "$N/state.part"
	part_put "$N/$2.raw" $STATE_PART "$N/state.part"
}

@test "epoch: the epoch-1 image provisions under the security epoch; the node is at epoch 0" {
	assert_log e1-provision 'kcc-init: state: key sealed to the TPM \(signed PCR 11 policy with the security epoch'
	assert_log e1-provision 'kcc-test: INFO security-epoch=\{"nv_index":"0x01000cc0","bits":"0x0000000000000000","epoch":0\}'
	refute_log e1-provision 'kcc-test: FAIL'
	[ "$(vm_rc e1-provision)" -eq 0 ]
}

@test "epoch: the epoch-2 image unlocks the same volume and raises the node to epoch 2 at ready" {
	assert_log e2-raise 'kcc-init: state: key unsealed by the TPM \(11 TPM commands'
	assert_log e2-raise 'kcc-test: INFO raise-epoch=2 rc=0 raise-epoch: security epoch raised to 2'
	assert_log e2-raise 'kcc-test: INFO security-epoch=\{"nv_index":"0x01000cc0","bits":"0x0000000000000006","epoch":2\}'
	refute_log e2-raise 'kcc-test: FAIL'
	[ "$(vm_rc e2-raise)" -eq 0 ]
}

@test "epoch: then the epoch-1 image refuses to unseal with one line and powers off" {
	assert_log e1-refused "kcc-init: The TPM did not release the state key: this image's security epoch 1 is below the node's 2 \(a newer image was blessed on this node\); refusing to unseal"
	assert_log e1-refused "kcc-init: boot stopped: stage 'state partition' failed .*; poweroff"
	refute_log e1-refused 'PCR 15 extended'
	refute_log e1-refused 'kcc-test: agent started'
	[ "$(vm_rc e1-refused)" -eq 0 ]
}

@test "epoch: and the epoch-2 image still unlocks" {
	assert_log e2-again 'kcc-init: state: key unsealed by the TPM'
	assert_log e2-again 'kcc-test: INFO var-marker=found:'
	assert_log e2-again 'kcc-test: INFO security-epoch=\{"nv_index":"0x01000cc0","bits":"0x0000000000000006","epoch":2\}'
	refute_log e2-again 'kcc-test: FAIL'
	[ "$(vm_rc e2-again)" -eq 0 ]
}
