#!/usr/bin/env bats
# The recovery keyslot (docs/measured-boot.md, "Recovery key"): an image whose initramfs carries an
# operator's public key (build.sh --recovery-key; here the test image's initramfs with the key
# appended, which direct boots do not measure) provisions a second keyslot whose passphrase is
# encrypted to that key in the token "kcc-recovery". The documented offline procedure
# (image/recovery-open.sh) opens it on the host with the private key, and with no other; a key
# rotation rotates it too. Two boots of one disk and TPM: provisioning (and a rotation request),
# then the rotation.
load helper

setup_file() {
	local x=$BATS_FILE_TMPDIR/extra
	D=$BATS_FILE_TMPDIR/node.raw T=$BATS_FILE_TMPDIR/tpm
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$BATS_FILE_TMPDIR/operator.key" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$BATS_FILE_TMPDIR/other.key" 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$BATS_FILE_TMPDIR/other-ec.key" 2>/dev/null
	mkdir -p "$x/etc/kcc"
	openssl pkey -in "$BATS_FILE_TMPDIR/operator.key" -pubout -out "$x/etc/kcc/recovery-key.pem"
	zstd -qdc "$IMAGE/initramfs.cpio.zst" >"$BATS_FILE_TMPDIR/initrd"
	(cd "$x" && echo etc/kcc/recovery-key.pem | cpio -o -H newc -R 0:0 --quiet) >>"$BATS_FILE_TMPDIR/initrd"
	disk_copy "$D"
	mkdir -p "$T"
	vm_boot first --disk "$D" --tpm-state "$T" --timeout 120 --initrd "$BATS_FILE_TMPDIR/initrd" \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.rotate=1"
	state_header_get "$D" "$BATS_FILE_TMPDIR/first.hdr"
	vm_boot second --disk "$D" --tpm-state "$T" --timeout 120 --initrd "$BATS_FILE_TMPDIR/initrd"
	state_header_get "$D" "$BATS_FILE_TMPDIR/second.hdr"
}

# recovery_slot NAME: the keyslot of the kcc-recovery token after boot NAME.
recovery_slot() {
	cryptsetup luksDump --dump-json-metadata "$BATS_FILE_TMPDIR/$1.hdr" |
		jq -r '[.tokens[] | select(.type == "kcc-recovery") | .keyslots[]] | join(",")'
}

# envelope_pass NAME OUT: the recovery passphrase of boot NAME's header, decrypted on the host.
envelope_pass() {
	cryptsetup token export --token-id "$(cryptsetup luksDump --dump-json-metadata "$BATS_FILE_TMPDIR/$1.hdr" |
		jq -r '[.tokens | to_entries[] | select(.value.type == "kcc-recovery") | .key][0]')" \
		"$BATS_FILE_TMPDIR/$1.hdr" | jq -r '."kcc-cms"' | base64 -d >"$BATS_FILE_TMPDIR/$1.der"
	openssl cms -decrypt -binary -inform DER -in "$BATS_FILE_TMPDIR/$1.der" \
		-inkey "$BATS_FILE_TMPDIR/operator.key" -out "$2"
}

@test "recovery: provisioning adds a keyslot whose passphrase is only in a CMS envelope to the operator's key" {
	assert_log first 'kcc-init: state: recovery keyslot 1 added, its passphrase encrypted to the operator'"'"'s key in token 1'
	[ "$(recovery_slot first)" = 1 ]
	envelope_pass first "$BATS_FILE_TMPDIR/first.pass"
	openssl cms -cmsout -print -inform DER -in "$BATS_FILE_TMPDIR/first.der" | grep -qi 'oaep'
	# The passphrase never reached the console.
	[ "$(stat -c %s "$BATS_FILE_TMPDIR/first.pass")" -eq 32 ]
	hex=$(od -An -tx1 "$BATS_FILE_TMPDIR/first.pass" | tr -d ' \n')
	! tr -d '\r' <"$BATS_FILE_TMPDIR/first.log" | tr -d ' \n' | grep -qi "$hex"
	refute_log first 'kcc-test: FAIL'
}

@test "recovery: the offline procedure opens the volume with the operator's private key, and with no other" {
	"$TOP/image/recovery-open.sh" --test "$BATS_FILE_TMPDIR/first.hdr" "$BATS_FILE_TMPDIR/operator.key"
	run "$TOP/image/recovery-open.sh" --test "$BATS_FILE_TMPDIR/first.hdr" "$BATS_FILE_TMPDIR/other.key"
	[ "$status" -eq 1 ]
	[[ $output == *"refused: this key does not open"* ]]
	run "$TOP/image/recovery-open.sh" --test "$BATS_FILE_TMPDIR/first.hdr" "$BATS_FILE_TMPDIR/other-ec.key"
	[ "$status" -eq 1 ]
	run "$TOP/image/recovery-open.sh" --test "$IMAGE/disk.raw" "$BATS_FILE_TMPDIR/operator.key"
	[ "$status" -eq 100 ]
}

@test "recovery: a key rotation rotates the recovery keyslot; the old recovery passphrase no longer opens" {
	assert_log second 'kcc-init: state: key rotated \(requested\): keyslot 0 -> 2, token 0 -> 2, .*; recovery keyslot 1 -> 0 \('
	[ "$(recovery_slot second)" = 0 ]
	[ "$(var_marker second)" = "$(var_marker first)" ]
	"$TOP/image/recovery-open.sh" --test "$BATS_FILE_TMPDIR/second.hdr" "$BATS_FILE_TMPDIR/operator.key"
	envelope_pass first "$BATS_FILE_TMPDIR/old.pass"
	cryptsetup open --test-passphrase --key-file "$BATS_FILE_TMPDIR/old.pass" "$BATS_FILE_TMPDIR/first.hdr"
	run cryptsetup open --test-passphrase --key-file "$BATS_FILE_TMPDIR/old.pass" "$BATS_FILE_TMPDIR/second.hdr"
	[ "$status" -ne 0 ]
}
