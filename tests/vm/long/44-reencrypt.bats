#!/usr/bin/env bats
# Volume-key rotation (docs/measured-boot.md, "Volume-key rotation"): `kcc-ctl rotate-key --volume`
# on a running node; the next boots re-encrypt /var online in the initrd, state.reencrypt-seconds
# (node configuration) at a time; a power cut in the middle of the run (held by run-vm.sh
# --test-pause, then qemu killed); a boot with time enough finishes, seals the key for the new
# volume key and removes the old keyslot; the data written before the request is intact. Then
# headers forged from the node's own re-encryption header: without kcc-init's kcc-reencrypt record,
# and with a record whose MAC is not the sealed key's: each refused with its line, poweroff, the
# disk untouched. One disk and one TPM through the boots in order.
load ../helper

net='"network": {"mode": "static", "interface": "eth0", "address": "10.0.2.15/24", "gateway": "10.0.2.2"}'

# header NAME: the state partition's header area after boot NAME.
header() { state_header_get "$D" "$BATS_FILE_TMPDIR/$1.hdr"; }
json() { cryptsetup luksDump --dump-json-metadata "$BATS_FILE_TMPDIR/$1.hdr"; }

setup_file() {
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
	disk_copy "$D"
	mkdir -p "$T"
	printf '{"version": 1, %s, "state": {"reencrypt-seconds": 1}}' "$net" >"$BATS_FILE_TMPDIR/short.json"
	printf '{"version": 1, %s, "state": {"reencrypt-seconds": 900}}' "$net" >"$BATS_FILE_TMPDIR/long.json"
	vm_boot first --disk "$D" --tpm-state "$T" --timeout 120 \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.rotate=volume"
	header first
	vm_boot start --disk "$D" --tpm-state "$T" --timeout 120 --fw-cfg "$BATS_FILE_TMPDIR/short.json"
	header start
	vm_boot cut --disk "$D" --tpm-state "$T" --timeout 120 --fw-cfg "$BATS_FILE_TMPDIR/short.json" \
		--test-pause reencrypt-progress --until "test: pausing after reencrypt-progress"
	header cut
	vm_boot finish --disk "$D" --tpm-state "$T" --timeout 600 --fw-cfg "$BATS_FILE_TMPDIR/long.json"
	header finish
	vm_boot after --disk "$D" --tpm-state "$T" --timeout 120
	header after
	# Forged: the node's own header in re-encryption (after the start boot), its record removed;
	# and with a record whose MAC is another.
	cp "$BATS_FILE_TMPDIR/start.hdr" "$BATS_FILE_TMPDIR/norecord.hdr"
	"$TOP/tests/vm/luks2-token-edit.py" "$BATS_FILE_TMPDIR/norecord.hdr" kcc-reencrypt
	cp "$BATS_FILE_TMPDIR/start.hdr" "$BATS_FILE_TMPDIR/badmac.hdr"
	"$TOP/tests/vm/luks2-token-edit.py" "$BATS_FILE_TMPDIR/badmac.hdr" kcc-reencrypt \
		kcc-mac=$(printf '%064d' 0)
	for f in norecord badmac; do
		cp --sparse=always "$D" "$BATS_FILE_TMPDIR/$f.raw"
		cp -a "$T" "$BATS_FILE_TMPDIR/$f.tpm"
		state_header_put "$BATS_FILE_TMPDIR/$f.raw" "$BATS_FILE_TMPDIR/$f.hdr"
		vm_boot "$f" --disk "$BATS_FILE_TMPDIR/$f.raw" --tpm-state "$BATS_FILE_TMPDIR/$f.tpm" \
			--timeout 120
		state_header_get "$BATS_FILE_TMPDIR/$f.raw" "$BATS_FILE_TMPDIR/$f-after.hdr"
	done
}

@test "reencrypt: kcc-ctl rotate-key --volume records a request; the next boot starts an online re-encryption that kcc-init's token records" {
	assert_log first 'kcc-test: PASS ctl-rotate-volume: volume key rotation'
	assert_log first 'kcc-test: INFO volume-request=pending'
	assert_log start 'kcc-init: state: volume key rotation started: keyslot 0 -> 1 \(a new volume key\), token 1 records it'
	assert_log start 'kcc-init: state: volume key rotation in progress: [1-9][0-9]* of [0-9]+ MiB re-encrypted.*it goes on at the next boot'
	assert_log start 'kcc-test: INFO volume-request=none'
	refute_log start 'kcc-test: FAIL'
	[ "$(json start | jq -r '.config.requirements.mandatory[0]')" = online-reencrypt-v2 ]
	[ "$(json start | jq -r '.tokens["1"].type + " " + .tokens["1"]."kcc-old-keyslot" + " " + .tokens["1"]."kcc-new-keyslot"')" = "kcc-reencrypt 0 1" ]
	[ "$(var_marker start)" = "$(var_marker first)" ]
}

@test "reencrypt: a power cut during the run; the next boot recovers, resumes and finishes with the data intact" {
	assert_log cut 'kcc-init: test: pausing after reencrypt-progress'
	[ "$(json cut | jq -r '.config.requirements.mandatory[0]')" = online-reencrypt-v2 ]
	assert_log finish 'kcc-init: state: key unsealed by the TPM'
	assert_log finish 'kcc-init: state: volume key rotation re-encrypted the volume: ([0-9]+) of \1 MiB'
	assert_log finish 'kcc-init: state: key rotated \(the volume key was replaced\): keyslot 1 -> 0'
	assert_log finish 'kcc-init: state: volume key rotated: the volume is re-encrypted'
	refute_log finish 'kcc-test: FAIL|boot stopped|rotation failed|not finished'
	[ "$(var_marker finish)" = "$(var_marker first)" ]
	[ -n "$(tr -d '\r' <"$BATS_FILE_TMPDIR/first.log" | sed -n 's/.*INFO var-blob=//p')" ]
	[ "$(tr -d '\r' <"$BATS_FILE_TMPDIR/finish.log" | sed -n 's/.*INFO var-blob=//p')" = \
		"$(tr -d '\r' <"$BATS_FILE_TMPDIR/first.log" | sed -n 's/.*INFO var-blob=//p')" ]
}

@test "reencrypt: afterwards one keyslot and one token, no requirement, no record, another volume key; the next boot unlocks" {
	[ "$(json finish | jq -c '[(.keyslots | keys), ([.tokens[].type]), (.config.requirements.mandatory // [])]')" = '[["0"],["kcc-tpm2"],[]]' ]
	# The volume key's digest (salted PBKDF2 of the key) differs from the first one.
	[ "$(json first | jq -r '.digests[].digest')" != "$(json finish | jq -r '.digests[].digest')" ]
	[ "$(json finish | jq -r '.segments["0"].encryption')" = aes-xts-plain64 ]
	assert_log after 'kcc-init: state: unlocked'
	refute_log after 'volume key|key rotated'
	[ "$(var_marker after)" = "$(var_marker first)" ]
	refute_log after 'kcc-test: FAIL'
	[ "$(vm_rc after)" -eq 0 ]
}

@test "reencrypt: a re-encryption header without kcc-init's record is refused before any key, nothing written" {
	assert_log norecord 'The state volume /dev/vda6 carries a re-encryption that kcc-init did not start: it carries the online-reencrypt requirement and no kcc-reencrypt token records that kcc-init started it; refusing it'
	assert_log norecord "boot stopped: stage 'state partition' failed"
	refute_log norecord 'key unsealed|services started'
	cmp "$BATS_FILE_TMPDIR/norecord.hdr" "$BATS_FILE_TMPDIR/norecord-after.hdr"
}

@test "reencrypt: a record whose MAC is not keyed by the sealed key: the new volume key is refused, nothing written" {
	assert_log badmac 'kcc-init: state: key unsealed by the TPM'
	assert_log badmac 'The state volume /dev/vda6 is not the one the key was sealed for: its UUID .* or its volume key is not the one sealed; refusing it'
	assert_log badmac "boot stopped: stage 'state partition' failed"
	refute_log badmac 'services started'
	cmp "$BATS_FILE_TMPDIR/badmac.hdr" "$BATS_FILE_TMPDIR/badmac-after.hdr"
}
