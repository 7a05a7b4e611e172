#!/usr/bin/env bats
# State-key rotation (docs/measured-boot.md, "Key rotation"). `kcc-ctl rotate-key` on a running
# node, then kcc-init rotates at the next boot; a power cut after each of its steps (held there by
# run-vm.sh --test-pause, a fw_cfg item of test images that no PCR measures, then qemu killed) is
# followed by a boot that unlocks /var. One disk and one TPM go through all boots in order, so each
# boot unlocks what the cut before it left; the last one finds the first boot's data.
load ../helper

STEPS="rotate-sealed rotate-keyslot rotate-token rotate-old-token rotate-old-keyslot"

setup_file() {
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
	disk_copy "$D"
	mkdir -p "$T"
	vm_boot first --disk "$D" --tpm-state "$T" --timeout 120 \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.rotate=1"
	state_header_get "$D" "$BATS_FILE_TMPDIR/first.hdr"
	for s in $STEPS; do
		vm_boot "cut-$s" --disk "$D" --tpm-state "$T" --timeout 120 --test-pause "$s" \
			--until "test: pausing after $s"
		state_header_get "$D" "$BATS_FILE_TMPDIR/cut-$s.hdr"
	done
	vm_boot final --disk "$D" --tpm-state "$T" --timeout 120
	state_header_get "$D" "$BATS_FILE_TMPDIR/final.hdr"
	cp -a "$T" "$BATS_FILE_TMPDIR/tpm-final"
	# By age: the node configuration asks for a rotation every day, and the token says the key
	# was sealed in 1970 (the token's JSON is not sealed: only the blob is); twice, so the second
	# boot finds a fresh key.
	printf '{"version": 1, "network": {"mode": "static", "interface": "eth0", "address": "10.0.2.15/24", "gateway": "10.0.2.2"}, "state": {"rotate-days": 1}}' >"$BATS_FILE_TMPDIR/age.json"
	cryptsetup token export --token-id 1 "$BATS_FILE_TMPDIR/final.hdr" | jq -c '."kcc-rotated" = 0' |
		cryptsetup token import --token-replace --token-id 1 "$BATS_FILE_TMPDIR/final.hdr"
	state_header_put "$D" "$BATS_FILE_TMPDIR/final.hdr"
	vm_boot aged --disk "$D" --tpm-state "$T" --timeout 120 --fw-cfg "$BATS_FILE_TMPDIR/age.json"
	vm_boot young --disk "$D" --tpm-state "$T" --timeout 120 --fw-cfg "$BATS_FILE_TMPDIR/age.json"
}

# luks_summary NAME: "slots=A,B tokens=T:S,..." (the kcc-tpm2 tokens and their keyslots).
luks_summary() {
	cryptsetup luksDump --dump-json-metadata "$BATS_FILE_TMPDIR/$1.hdr" | jq -r '"slots=" +
		([.keyslots | keys[]] | join(",")) + " tokens=" + ([.tokens | to_entries[] |
		select(.value.type == "kcc-tpm2") | .key + ":" + (.value.keyslots | join(","))] | join(","))'
}

@test "rotate: kcc-ctl rotate-key records a request; a boot rotates keyslot and token and consumes it" {
	assert_log first 'kcc-test: PASS ctl-rotate-key: state key rotation requested'
	assert_log first 'kcc-test: INFO rotate-request=pending'
	[ "$(luks_summary first)" = "slots=0 tokens=0:0" ]
	# The boot after the last cut rotated once more, from a clean header: one line, no leftovers.
	assert_log final 'kcc-init: state: key unsealed by the TPM'
	assert_log final 'kcc-init: state: key rotated \(requested\): keyslot 0 -> 1, token 0 -> 1, sealed anew, old keyslot destroyed \('
	refute_log final 'leftovers'
	assert_log final 'kcc-test: INFO rotate-request=none'
	[ "$(luks_summary final)" = "slots=1 tokens=1:1" ]
	[ "$(var_marker final)" = "$(var_marker first)" ]
	refute_log final 'kcc-test: FAIL'
	[ "$(vm_rc final)" -eq 0 ]
}

@test "rotate: a power cut after each step leaves a header whose every token opens, and the next boot unlocks" {
	# What each cut left (the boot after a cut first removes what an interrupted rotation left).
	[ "$(luks_summary cut-rotate-sealed)" = "slots=0 tokens=0:0" ]
	[ "$(luks_summary cut-rotate-keyslot)" = "slots=0,1 tokens=0:0" ]
	[ "$(luks_summary cut-rotate-token)" = "slots=0,1 tokens=0:0,1:1" ]
	[ "$(luks_summary cut-rotate-old-token)" = "slots=0,1 tokens=1:1" ]
	[ "$(luks_summary cut-rotate-old-keyslot)" = "slots=0 tokens=0:0" ]
	for s in $STEPS; do
		assert_log "cut-$s" 'kcc-init: state: key unsealed by the TPM'
		assert_log "cut-$s" 'kcc-init: state: unlocked'
		assert_log "cut-$s" "kcc-init: test: pausing after $s"
		refute_log "cut-$s" 'key rotated|rotation failed|boot stopped'
	done
	# The boot after the cut between "new token" and "old token removed" had two tokens.
	refute_log cut-rotate-old-token 'did not unlock'
	# The cut keyslot blob differs from the first one: a new secret was sealed each time.
	[ "$(cryptsetup token export --token-id 0 "$BATS_FILE_TMPDIR/first.hdr" | jq -r '."kcc-blob"')" != \
		"$(cryptsetup token export --token-id 0 "$BATS_FILE_TMPDIR/cut-rotate-old-keyslot.hdr" | jq -r '."kcc-blob"')" ]
}

# unseal_token HDR TOKEN-ID OUT: the node's TPM (a copy of its state, on the host) unseals the
# token's secret at the PCR 11 of this image's direct boot at enter-initrd, replayed from zero
# (what direct boot does not protect against; docs/measured-boot.md).
unseal_token() {
	local k=$TOP/build/keys/tpm2-pcr-direct-test S=$BATS_FILE_TMPDIR/swtpm
	rm -rf "$S" && cp -a "$BATS_FILE_TMPDIR/tpm-final" "$S"
	swtpm socket --tpm2 --tpmstate "dir=$S" --server "type=unixio,path=$S/sock" \
		--ctrl "type=unixio,path=$S/sock.ctrl" --flags not-need-init,startup-clear \
		--daemon --pid "file=$S/swtpm.pid" --log "file=$S/swtpm.log"
	for _ in $(seq 50); do [ -S "$S/sock" ] && break; sleep 0.1; done
	export KCC_TPM2_TCTI=swtpm:path=$S/sock
	"$TOP/build/bin/kcc-pcr" extend 11 --sha256 "$(printf '.cmdline\0' | sha256sum | cut -c1-64)"
	"$TOP/build/bin/kcc-pcr" extend 11 --sha256 "$(printf '%s' "$(cat "$IMAGE/cmdline")" | sha256sum | cut -c1-64)"
	"$TOP/build/bin/kcc-pcr" extend 11 enter-initrd
	"$TOP/build/bin/kcc-pcr" sign --direct-cmdline "$(cat "$IMAGE/cmdline")" \
		--epoch "$(jq .security_epoch "$IMAGE/manifest.json")" --private-key "$k-private-key.pem" \
		--public-key "$k-public-key.pem" >"$S/sig.json"
	cryptsetup token export --token-id "$2" "$BATS_FILE_TMPDIR/$1.hdr" >"$S/token.json"
	"$TOP/build/bin/kcc-pcr" unseal --public-key "$k-public-key.pem" --signature "$S/sig.json" \
		<"$S/token.json" | head -c 32 >"$3"
	kill "$(cat "$S/swtpm.pid")"
}

# opens HDR KEYFILE: the passphrase opens a keyslot of the header (nothing is activated).
opens() {
	cryptsetup open --test-passphrase --key-file "$2" "$BATS_FILE_TMPDIR/$1.hdr"
}

@test "rotate: the old secret no longer opens the volume, the new one does (unsealed on the host from the node's TPM)" {
	# The secret of the token the last boot unlocked with, and of the one it wrote.
	unseal_token cut-rotate-old-keyslot 0 "$BATS_FILE_TMPDIR/old.key"
	unseal_token final 1 "$BATS_FILE_TMPDIR/new.key"
	[ "$(stat -c %s "$BATS_FILE_TMPDIR/old.key")" -eq 32 ]
	# The method works: the old secret opened the volume before the rotation.
	opens cut-rotate-old-keyslot "$BATS_FILE_TMPDIR/old.key"
	run opens final "$BATS_FILE_TMPDIR/old.key"
	[ "$status" -ne 0 ]
	opens final "$BATS_FILE_TMPDIR/new.key"
	! cmp -s "$BATS_FILE_TMPDIR/old.key" "$BATS_FILE_TMPDIR/new.key"
	# Nor does the first boot's secret open anything any more.
	unseal_token first 0 "$BATS_FILE_TMPDIR/first.key"
	opens first "$BATS_FILE_TMPDIR/first.key"
	run opens final "$BATS_FILE_TMPDIR/first.key"
	[ "$status" -ne 0 ]
}

@test "rotate: by age (state.rotate-days in the node configuration): an old key is rotated once" {
	assert_log aged 'kcc-init: state: key rotated \(state.rotate-days is 1 and the key is [0-9]{5} days old\): keyslot 1 -> 0, token 1 -> 0'
	assert_log young 'kcc-init: state: key unsealed by the TPM'
	refute_log young 'key rotated'
	[ "$(var_marker young)" = "$(var_marker first)" ]
	refute_log young 'kcc-test: FAIL'
}
