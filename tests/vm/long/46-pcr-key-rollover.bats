#!/usr/bin/env bats
# PCR-signing-key rollover (docs/measured-boot.md, "PCR-signing-key rollover"), direct boots on one
# disk and one TPM kept across the boots. Direct boots take the PCR key and signature from the
# initramfs (/etc/kcc/direct/), which nothing measures there: the variants are the test image's
# initramfs with a small cpio appended that adds or replaces those files, as build.sh
# --next-pcr-keys / --prev-pcr-keys would put them (no image build):
#   A  the test image (signed by K_old, the test direct key) provisions;
#   B  A plus K_next's public key (/etc/kcc/direct/next-pcr-public-key.pem): unlocks with K_old's
#      approval, re-seals to K_next beside it; booted twice (the second boot does nothing);
#   C  signed by K_next only (`kcc-pcr sign --epoch-index-of K_old`: the node keeps K_old's
#      security-epoch index): unlocks with the new token, finds A's data, retires K_old's token;
#   A  again: stops with its line (the node rolled over from its key), nothing unlocked.
load ../helper

KEYS=${KCC_KEYS:-$TOP/build/keys}

# overlay NAME SRC:DEST...: the test image's initramfs with the files SRC at DEST appended.
overlay() {
	local name=$1 n=$BATS_FILE_TMPDIR f src dest
	shift
	{
		echo "dir etc 755"
		echo "dir etc/kcc 755"
		echo "dir etc/kcc/direct 755"
		for f in "$@"; do
			src=${f%%:*} dest=${f#*:}
			echo "file $dest 644 $src"
		done
	} | "$TOP/build/bin/mkcpio" >"$n/$name.cpio"
	cp "$IMAGE/initramfs.cpio.zst" "$n/$name.initrd"
	# The kernel reads the next archive from a 4-byte boundary (zero bytes are skipped).
	truncate -s %4 "$n/$name.initrd"
	cat "$n/$name.cpio" >>"$n/$name.initrd"
}

# tokens NAME: "PKFP[:FROM] ..." of the kcc-tpm2 tokens (first 8 hex digits) and their keyslots.
tokens() {
	cryptsetup luksDump --dump-json-metadata "$BATS_FILE_TMPDIR/$1.hdr" | jq -r '[.tokens[] |
		select(.type == "kcc-tpm2") | .["kcc-pkfp"][0:8] + (if .["kcc-rolled-from"] then
		"<" + .["kcc-rolled-from"][0:8] else "" end) + "@" + (.keyslots | join(","))] | join(" ")'
}

# fp PEM: the key's fingerprint as tokens record it (SHA-256 of the PKCS#1 public key), 8 digits.
fp() { openssl rsa -pubin -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -c1-8; }

setup_file() {
	local n=$BATS_FILE_TMPDIR epoch old=$KEYS/tpm2-pcr-direct-test-public-key.pem
	D=$n/node.raw T=$n/tpm
	[ -f "$old" ] || { echo "no test direct-boot key $old (make image VARIANT=test)" >&2; return 1; }
	epoch=$(jq .security_epoch "$IMAGE/manifest.json")
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$n/next-private.pem" 2>/dev/null
	openssl pkey -in "$n/next-private.pem" -pubout -out "$n/next-public.pem"
	"$TOP/build/bin/kcc-pcr" sign --direct-cmdline "$(cat "$IMAGE/cmdline")" --epoch "$epoch" \
		--epoch-index-of "$old" --private-key "$n/next-private.pem" \
		--public-key "$n/next-public.pem" >"$n/next-signature.json"
	overlay b "$n/next-public.pem:etc/kcc/direct/next-pcr-public-key.pem"
	overlay c "$n/next-public.pem:etc/kcc/direct/tpm2-pcr-public-key.pem" \
		"$n/next-signature.json:etc/kcc/direct/tpm2-pcr-signature.json"
	fp "$old" >"$n/old.fp"
	fp "$n/next-public.pem" >"$n/next.fp"
	disk_copy "$D"
	mkdir -p "$T"
	vm_boot a-provision --disk "$D" --tpm-state "$T" --timeout 120
	state_header_get "$D" "$n/a-provision.hdr"
	vm_boot b-reseal --disk "$D" --tpm-state "$T" --timeout 120 --initrd "$n/b.initrd"
	state_header_get "$D" "$n/b-reseal.hdr"
	vm_boot b-again --disk "$D" --tpm-state "$T" --timeout 120 --initrd "$n/b.initrd"
	state_header_get "$D" "$n/b-again.hdr"
	vm_boot c-next --disk "$D" --tpm-state "$T" --timeout 120 --initrd "$n/c.initrd"
	state_header_get "$D" "$n/c-next.hdr"
	vm_boot a-refused --disk "$D" --tpm-state "$T" --timeout 120
	state_header_get "$D" "$n/a-refused.hdr"
}

# OLD, NEW: the fingerprints (8 digits) of K_old and K_next.
setup() {
	OLD=$(cat "$BATS_FILE_TMPDIR/old.fp") NEW=$(cat "$BATS_FILE_TMPDIR/next.fp")
}

# rolled_over BOOT UNSEALED ROLLED TOKENS: BOOT unsealed the key (UNSEALED: the rest of that line,
# a regex), rolled the PCR signing key over (ROLLED, the same), kept A's data, left the tokens
# TOKENS, and ended well.
rolled_over() {
	assert_log "$1" "kcc-init: state: key unsealed by the TPM$2"
	assert_log "$1" "kcc-init: state: PCR signing key rolled over $3"
	[ "$(var_marker "$1")" = "$(var_marker a-provision)" ]
	[ "$(tokens "$1")" = "$4" ]
	refute_log "$1" 'kcc-test: FAIL'
	[ "$(vm_rc "$1")" -eq 0 ]
}

@test "rollover: A (K_old) provisions with one token bound to K_old" {
	assert_log a-provision 'kcc-init: state: key sealed to the TPM'
	[ "$(tokens a-provision)" = "$OLD@0" ]
	refute_log a-provision 'kcc-test: FAIL'
	[ "$(vm_rc a-provision)" -eq 0 ]
}

@test "rollover: B (K_old, carries K_next) unseals and re-seals the same keyslot to K_next, once" {
	rolled_over b-reseal '' "\(re-sealed\): token 1 sealed to the next key $NEW[0-9a-f]{8} beside token 0 of $OLD" \
		"$OLD@0 $NEW<$OLD@0"
	# Idempotent: the next boot of B unlocks with K_old's token and writes nothing.
	assert_log b-again 'kcc-init: state: key unsealed by the TPM'
	refute_log b-again 'PCR signing key rolled over'
	refute_log b-again 'did not unlock'
	[ "$(tokens b-again)" = "$OLD@0 $NEW<$OLD@0" ]
	[ "$(vm_rc b-again)" -eq 0 ]
}

@test "rollover: C (K_next only) unlocks with the new token, finds A's data and retires K_old's token" {
	rolled_over c-next ' \(11 TPM commands' '\(old key retired\): token 0 of the previous key removed' \
		"$NEW<$OLD@0"
}

@test "rollover: A again cannot unseal: one line, poweroff, nothing unlocked or written" {
	assert_log a-refused "kcc-init: The TPM did not release the state key: the node's PCR signing key rolled over from this image's key to $NEW[0-9a-f]{8} \(token 1\): approvals signed by the old key no longer unlock /dev/vda6; refusing to unseal"
	assert_log a-refused "kcc-init: boot stopped: stage 'state partition' failed .*; poweroff"
	refute_log a-refused 'PCR 15 extended'
	refute_log a-refused 'kcc-test: agent started'
	cmp "$BATS_FILE_TMPDIR/c-next.hdr" "$BATS_FILE_TMPDIR/a-refused.hdr"
	[ "$(vm_rc a-refused)" -eq 0 ]
}
