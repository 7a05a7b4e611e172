#!/usr/bin/env bats
# The update bundle the builder wrote (docs/upgrades.md, "Update bundle"), read by kcc-update:
# verified with the update key the image's root carries; refused with the wrong key, a flipped
# byte in the manifest and in each part, truncated, with trailing data, with a downgraded format
# version: each with one line naming what is wrong and exit code 1.
load helper

UPD=$TOP/build/bin/kcc-update

setup_file() {
	B=$TEST_IMAGE/$(jq -r .bundle "$TEST_IMAGE/manifest.json")
	[ -f "$B" ]
	fsck.erofs --extract="$BATS_FILE_TMPDIR/root" "$TEST_IMAGE/root.erofs" >/dev/null
	export B KEY=$BATS_FILE_TMPDIR/root/usr/lib/kcc/update-key.pem
	# offsets: header 16, manifest M, signature 64, then the parts
	M=$(od -An -tu4 --endian=big -j12 -N4 "$B" | tr -d ' ')
	export M PAYLOAD=$((16 + M + 64))
}

# flip FILE OFFSET: inverts the low bit of one byte.
flip() {
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# refused FILE PATTERN: kcc-update refuses FILE with exit 1 and one line matching PATTERN.
refused() {
	run "$UPD" verify-bundle --key "$KEY" "$1"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "kcc-update: "*$2* ]]
}

@test "bundle: verifies with the update key on the image's verity root, also streamed from a pipe" {
	cmp "$KEY" "$TOP/build/keys/update-signing-test-public-key.pem"
	run "$UPD" verify-bundle --key "$KEY" "$B"
	[ "$status" -eq 0 ]
	[[ "$output" == "bundle: kcc-node test $(jq -r .version "$TEST_IMAGE/manifest.json") verified: security epoch $(jq -r .security_epoch "$TEST_IMAGE/manifest.json"), root hash $(cat "$TEST_IMAGE/roothash"), $(stat -c %s "$B") bytes" ]]
	# through a pipe in pieces of 4097 bytes (dd's blocks), as a socket would deliver it
	dd if="$B" bs=4097 status=none | "$UPD" verify-bundle --key "$KEY" -
}

@test "bundle: info shows the version, epoch, root hash and the parts the image was built from" {
	run "$UPD" info "$B"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg v "$(jq -r .version "$TEST_IMAGE/manifest.json")" '.version == $v and .signature == "not checked"'
	[ "$(echo "$output" | jq -r .roothash)" = "$(cat "$TEST_IMAGE/roothash")" ]
	for f in root.erofs root.verity kcc-node.efi tpm2-pcr-signature.json; do
		[ "$(echo "$output" | jq -r ".parts[] | select(.name == \"$f\") | .sha256")" = "$(sha256sum "$TEST_IMAGE/$f" | cut -d' ' -f1)" ]
		[ "$(echo "$output" | jq -r ".parts[] | select(.name == \"$f\") | .size")" = "$(stat -c %s "$TEST_IMAGE/$f")" ]
	done
	run "$UPD" info --key "$KEY" "$B"
	echo "$output" | jq -e '.signature == "verified"'
}

@test "bundle: refused with the wrong key (the production key for a test bundle, and a stranger's)" {
	run "$UPD" verify-bundle --key "$TOP/build/keys/update-signing-public-key.pem" "$B"
	[ "$status" -eq 1 ]
	[ "$output" = "kcc-update: $B: bad signature: the manifest is not signed by this update key" ]
	openssl genpkey -algorithm ED25519 | openssl pkey -pubout >"$BATS_TEST_TMPDIR/other.pem"
	run "$UPD" verify-bundle --key "$BATS_TEST_TMPDIR/other.pem" "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad signature"* ]]
	# an RSA key is no update key at all (usage error)
	run "$UPD" verify-bundle --key "$TOP/build/keys/tpm2-pcr-test-public-key.pem" "$B"
	[ "$status" -eq 100 ]
	[[ "$output" == *"is not an Ed25519 key"* ]]
}

@test "bundle: a flipped byte in the manifest or the signature: bad signature" {
	for off in 20 $((16 + M / 2)) $((16 + M - 1)) $((16 + M + 10)); do
		cp "$B" "$BATS_TEST_TMPDIR/b"
		flip "$BATS_TEST_TMPDIR/b" "$off"
		refused "$BATS_TEST_TMPDIR/b" "bad signature: the manifest is not signed by this update key"
	done
}

@test "bundle: a flipped byte in each part: that part's chunk named" {
	local start=$PAYLOAD size
	for f in root.erofs root.verity kcc-node.efi tpm2-pcr-signature.json; do
		size=$(stat -c %s "$TEST_IMAGE/$f")
		# in the middle of the part: chunk (size/2) / 1 MiB
		cp "$B" "$BATS_TEST_TMPDIR/b"
		flip "$BATS_TEST_TMPDIR/b" $((start + size / 2))
		refused "$BATS_TEST_TMPDIR/b" "part $f: chunk $((size / 2 / 1048576)) (bytes "*") does not match its hash"
		start=$((start + size))
	done
	[ "$start" -eq "$(stat -c %s "$B")" ]
}

@test "bundle: truncated at several offsets: where it ends named" {
	local size
	size=$(stat -c %s "$B")
	for cut in 0:"in the header" 9:"in the header" 100:"in the manifest" $((PAYLOAD - 1)):"in the signature" \
		"$PAYLOAD":"in part root.erofs (0 of" $((PAYLOAD + 3000000)):"in part root.erofs (3000000 of" \
		$((size - 1)):"in part tpm2-pcr-signature.json"; do
		head -c "${cut%%:*}" "$B" >"$BATS_TEST_TMPDIR/b"
		refused "$BATS_TEST_TMPDIR/b" "truncated: the stream ends ${cut#*:}"
	done
}

@test "bundle: trailing garbage after the last part" {
	{ cat "$B"; printf 'garbage'; } >"$BATS_TEST_TMPDIR/b"
	refused "$BATS_TEST_TMPDIR/b" "trailing data after the last part (at byte $(stat -c %s "$B"))"
}

@test "bundle: a downgraded (or unknown) format version and a bad magic" {
	cp "$B" "$BATS_TEST_TMPDIR/b"
	printf '\0\0\0\0' | dd of="$BATS_TEST_TMPDIR/b" bs=1 seek=8 conv=notrunc status=none
	refused "$BATS_TEST_TMPDIR/b" "unsupported bundle format version 0 (this reader knows 1)"
	printf '\0\0\0\2' | dd of="$BATS_TEST_TMPDIR/b" bs=1 seek=8 conv=notrunc status=none
	refused "$BATS_TEST_TMPDIR/b" "unsupported bundle format version 2 (this reader knows 1)"
	cp "$B" "$BATS_TEST_TMPDIR/b"
	printf 'X' | dd of="$BATS_TEST_TMPDIR/b" bs=1 seek=0 conv=notrunc status=none
	refused "$BATS_TEST_TMPDIR/b" "not a kcc-node update bundle (bad magic)"
	# an oversize manifest length is refused from the header alone
	cp "$B" "$BATS_TEST_TMPDIR/b"
	printf '\0\x10\0\0' | dd of="$BATS_TEST_TMPDIR/b" bs=1 seek=12 conv=notrunc status=none
	refused "$BATS_TEST_TMPDIR/b" "manifest length 1048576 out of range (1..262144)"
}

@test "bundle: kcc-update usage and system errors" {
	run "$UPD"
	[ "$status" -eq 100 ]
	run "$UPD" verify-bundle --key "$KEY"
	[ "$status" -eq 100 ]
	run "$UPD" frobnicate
	[ "$status" -eq 100 ]
	run "$UPD" verify-bundle --key "$KEY" "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 111 ]
	[[ "$output" == *"cannot open"* ]]
}
