#!/usr/bin/env bats
# kcc-pcr against a fresh swtpm on the host: agreement with systemd-measure (prediction byte for
# byte; the signed policy too, but for the signature, which also covers kcc-node's policyRef),
# seal/unseal, log replay, quotes, and bad input (exit 100), a refused
# check (exit 1), no TPM (exit 111).
load helper

PCR=$TOP/build/bin/kcc-pcr
MEASURE=/usr/lib/systemd/systemd-measure

setup_file() {
	S=$BATS_FILE_TMPDIR
	swtpm_start "$S"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$S/k.pem" 2>/dev/null
	openssl pkey -in "$S/k.pem" -pubout -out "$S/k.pub"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/ec.pem" 2>/dev/null
	head -c 32 /dev/urandom >"$S/secret"
	# The sections of the test image's UKI, for systemd-measure.
	for s in linux osrel cmdline initrd pcrpkey; do
		objcopy -O binary --only-section=.$s "$TEST_IMAGE/kcc-node.efi" "$S/sec.$s"
	done
}

teardown_file() {
	swtpm_stop "$BATS_FILE_TMPDIR"
}

setup() {
	swtpm_use
}

sections() {
	echo --linux="$S/sec.linux" --osrel="$S/sec.osrel" --cmdline="$S/sec.cmdline" \
		--initrd="$S/sec.initrd" --pcrpkey="$S/sec.pcrpkey" --bank=sha256
}

@test "kcc-pcr predict: equals systemd-measure calculate for the image's UKI, every phase" {
	for p in enter-initrd leave-initrd sysinit ready; do
		ours=$("$PCR" predict --uki "$TEST_IMAGE/kcc-node.efi" --phase $p)
		theirs=$("$MEASURE" calculate $(sections) --phase=$(case $p in
			enter-initrd) echo enter-initrd ;;
			leave-initrd) echo enter-initrd:leave-initrd ;;
			sysinit) echo enter-initrd:leave-initrd:sysinit ;;
			ready) echo enter-initrd:leave-initrd:sysinit:ready ;; esac) 2>/dev/null)
		echo "$p: ours $ours, systemd-measure $theirs"
		[ -n "$ours" ] && [ "$ours" = "$theirs" ]
	done
}

# kcc-pcr signs aHash = SHA-256(pol || "kcc-node/pcr-policy/v2") (the policyRef of every policy
# kcc-node seals to), systemd-measure signs SHA-256(pol) (an empty policyRef): "pcrs", "pkfp" and
# "pol" are byte-identical, "sig" is not and must not be. --value: a UKI is never signed without
# --pe, and systemd-measure has no PCR 4.
@test "kcc-pcr sign: pcrs, pkfp and pol byte-identical to systemd-measure sign; sig covers pol and the policyRef" {
	v=$("$PCR" predict --uki "$TEST_IMAGE/kcc-node.efi" --json | jq -r .value)
	ours=$("$PCR" sign --value "$v" --private-key "$S/k.pem" --public-key "$S/k.pub" | jq -S .)
	theirs=$("$MEASURE" sign $(sections) --phase=enter-initrd --private-key="$S/k.pem" \
		--public-key="$S/k.pub" --tpm2-device="swtpm:path=$S/sock" | jq -S .)
	echo "ours: $ours"
	echo "theirs: $theirs"
	[ "$(echo "$ours" | jq -r '.sha256[0].sig')" != null ]
	[ "$(echo "$ours" | jq -S 'del(.sha256[].sig)')" = "$(echo "$theirs" | jq -S 'del(.sha256[].sig)')" ]
	echo "$ours" | jq -r '.sha256[0].pol' | xxd -r -p >"$S/pol"
	{ cat "$S/pol"; printf '%s' kcc-node/pcr-policy/v2; } >"$S/ahash-in"
	echo "$ours" | jq -r '.sha256[0].sig' | base64 -d >"$S/sig.ours"
	echo "$theirs" | jq -r '.sha256[0].sig' | base64 -d >"$S/sig.theirs"
	openssl dgst -sha256 -verify "$S/k.pub" -signature "$S/sig.ours" "$S/ahash-in"
	openssl dgst -sha256 -verify "$S/k.pub" -signature "$S/sig.theirs" "$S/pol"
	! openssl dgst -sha256 -verify "$S/k.pub" -signature "$S/sig.ours" "$S/pol"
}

@test "kcc-pcr sign --uki without --pe: refused (exit 100), a UKI's key never approves PCR 11 alone" {
	run "$PCR" sign --uki "$TEST_IMAGE/kcc-node.efi" --private-key "$S/k.pem" --public-key "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"refusing to sign a UKI's policy without --pe"* ]]
	[[ "$output" != *sha256* ]]
}

@test "kcc-pcr: the UKI carries no policy of its own; the ESP's signed policy approves PCR 4 and 11 as the firmware, the loader and the stub leave them" {
	# No .pcrsig in the UKI: PCR 4 holds the UKI's own digest, so its signature lives on the ESP.
	! objdump -h "$TEST_IMAGE/kcc-node.efi" | grep -q '\.pcrsig'
	jq -e '[.sha256[].pcrs] | all(. == [4,11])' "$TEST_IMAGE/tpm2-pcr-signature.json"
	# 0..3 failed boot options, each without (volumes sealed before the security epoch) and with
	# the image's epoch (docs/measured-boot.md, "Security epoch").
	[ "$(jq '.sha256 | length' "$TEST_IMAGE/tpm2-pcr-signature.json")" -eq 8 ]
	e=$(jq .security_epoch "$TEST_IMAGE/manifest.json")
	jq -e --argjson e "$e" '[.sha256[] | select(has("kcc-epoch")) | ."kcc-epoch"] == [$e, $e, $e, $e]' \
		"$TEST_IMAGE/tpm2-pcr-signature.json"
	jq -e '[."kcc-epoch-write"[].pcrs] == [[], [4,11], [4,11], [4,11], [4,11]]' "$TEST_IMAGE/tpm2-pcr-signature.json"
	# The PCR policies do not depend on the key: signing the same prediction with ours gives
	# them (not the epoch's: they name the key's NV index).
	# PCR 4: the loader (systemd-boot), then the UKI it starts through the firmware.
	"$PCR" sign --uki "$TEST_IMAGE/kcc-node.efi" --pe "$TEST_IMAGE/loader.efi" --pe "$TEST_IMAGE/kcc-node.efi" \
		--private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/ours.json"
	[ "$(jq -c '[.sha256[].pol]' "$S/ours.json")" = \
	  "$(jq -c '[.sha256[] | select(has("kcc-epoch") | not) | .pol]' "$TEST_IMAGE/tpm2-pcr-signature.json")" ]
	# without the loader, another PCR 4: a UKI the firmware starts by itself gets no approval
	"$PCR" sign --uki "$TEST_IMAGE/kcc-node.efi" --pe "$TEST_IMAGE/kcc-node.efi" \
		--private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/noloader.json"
	[ "$(jq -c '[.sha256[].pol]' "$S/noloader.json")" != "$(jq -c '[.sha256[].pol]' "$TEST_IMAGE/tpm2-pcr-signature.json")" ]
	# A test image carries the test key, never the production one.
	cmp "$S/sec.pcrpkey" "$TOP/build/keys/tpm2-pcr-test-public-key.pem"
	! cmp -s "$S/sec.pcrpkey" "$TOP/build/keys/tpm2-pcr-public-key.pem"
}

@test "kcc-pcr predict --pe: PCR 4 from the Authenticode digest osslsigncode computes, after OVMF's boot-manager events" {
	ext() { printf '%s%s' "$1" "$2" | xxd -r -p | sha256sum | cut -d' ' -f1; }
	h() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
	auth=$(osslsigncode verify -in "$TEST_IMAGE/kcc-node.efi" 2>/dev/null |
		sed -n 's/^Calculated message digest *: *\([0-9A-F]*\).*/\1/p' | tr A-F a-f)
	[ ${#auth} -eq 64 ]
	v=$(printf '%064d' 0)
	v=$(ext "$v" "$(h 'Calling EFI Application from Boot Option')")
	v=$(ext "$v" "$(printf '\0\0\0\0' | sha256sum | cut -d' ' -f1)")
	v=$(ext "$v" "$(h 'Returning from EFI Application from Boot Option')")
	v=$(ext "$v" "$(h 'Calling EFI Application from Boot Option')")
	v=$(ext "$v" "$auth")
	run "$PCR" predict --uki "$TEST_IMAGE/kcc-node.efi" --pe "$TEST_IMAGE/kcc-node.efi" --failed-boot-attempts 1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "4:sha256=$v" ]
	run "$PCR" predict --uki "$TEST_IMAGE/kcc-node.efi" --pe "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not a PE image"* ]]
}

@test "kcc-pcr seal/unseal: the secret comes back while PCR 11 matches, not after an extend" {
	"$PCR" seal --public-key "$S/k.pub" <"$S/secret" >"$S/sealed.json"
	jq -e '."kcc-literal"."15" == "0000000000000000000000000000000000000000000000000000000000000000"' "$S/sealed.json"
	"$PCR" extend 11 enter-initrd
	v=$("$PCR" read 11 | jq -r '."11"')
	"$PCR" sign --value "$v" --private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/sig.json"
	"$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig.json" <"$S/sealed.json" >"$S/out"
	cmp "$S/out" "$S/secret"
	# The same approval signed as systemd-measure (and kcc-node before v2) signs, with an empty
	# policyRef: same key, same PCR 11, refused.
	jq -r '.sha256[0].pol' "$S/sig.json" | xxd -r -p >"$S/pol11"
	old=$(openssl dgst -sha256 -sign "$S/k.pem" "$S/pol11" | base64 -w0)
	jq --arg s "$old" '.sha256[0].sig = $s' "$S/sig.json" >"$S/sig-empty-ref.json"
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig-empty-ref.json" <"$S/sealed.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not verify"* ]]
	"$PCR" extend 11 leave-initrd
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig.json" <"$S/sealed.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no signature approves the current PCR 11"* ]]
	run "$PCR" unseal --any-entry --public-key "$S/k.pub" --signature "$S/sig.json" <"$S/sealed.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"do not have the values the signature approves"* ]]
}

@test "kcc-pcr log: replays the event log and compares it with the TPM" {
	v=$("$PCR" read 12 | jq -r '."12"')
	d=$(printf 'hello' | sha256sum | cut -d' ' -f1)
	printf '\x1e{"pcr":12,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"kcc","content":{"eventType":"initial-value"}}\n' "$v" >"$S/log"
	printf '\x1e{"pcr":12,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"systemd","content":{"string":"hello","eventType":"phase"}}\n' "$d" >>"$S/log"
	run "$PCR" log --file "$S/log"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DIFFERS from the TPM"* ]]
	"$PCR" extend 12 hello
	run "$PCR" log --file "$S/log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"replay 12:sha256="*" matches the TPM"* ]]
	[[ "$output" == *"2 records"* ]]
	run "$PCR" log --file "$S/log" --json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.records == 2 and .pcrs[0].pcr == 12 and .pcrs[0].match == true'
	[ "$(echo "$output" | jq -r '.pcrs[0].replayed')" = "$("$PCR" read 12 | jq -r '."12"')" ]
	echo '{"pcr":' >"$S/badlog"
	run "$PCR" log --file "$S/badlog"
	[ "$status" -eq 100 ]
	[[ "$output" == *"line 1: not one JSON object"* ]]
}

@test "kcc-pcr quote: verify-quote accepts the node's quote with the pinned key and refuses a replay, a forged value, another key, or no --ak" {
	"$PCR" quote --nonce 00112233445566778899 --pcrs 11,15 >"$S/q.json"
	jq -r .ak "$S/q.json" | base64 -d | openssl pkey -pubin -inform DER -out "$S/ak.pem"
	run "$PCR" verify-quote --nonce 00112233445566778899 --ak "$S/ak.pem" <"$S/q.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"quote verified"* ]]
	# The key inside a quote proves nothing: without --ak the verifier is refused (usage, 100).
	run "$PCR" verify-quote --nonce 00112233445566778899 <"$S/q.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"verify-quote needs --ak PEM"* ]]
	[[ "$output" != *"verified"* ]]
	run "$PCR" verify-quote --nonce 00112233445566778800 --ak "$S/ak.pem" <"$S/q.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another nonce"* ]]
	jq '.pcrs."15" = "1111111111111111111111111111111111111111111111111111111111111111"' "$S/q.json" >"$S/forged.json"
	run "$PCR" verify-quote --nonce 00112233445566778899 --ak "$S/ak.pem" <"$S/forged.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match the PCR values"* ]]
	jq '.pcrs."15" = null' "$S/q.json" >"$S/null.json"
	run "$PCR" verify-quote --nonce 00112233445566778899 --ak "$S/ak.pem" <"$S/null.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"PCR 15's value is not SHA-256 hex"* ]]
	openssl pkey -in "$S/ec.pem" -pubout -out "$S/other-ak.pem"
	run "$PCR" verify-quote --nonce 00112233445566778899 --ak "$S/other-ak.pem" <"$S/q.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another attestation key"* ]]
}

@test "kcc-pcr: bad input is refused with exit 100 and one clear line" {
	run "$PCR"
	[ "$status" -eq 100 ]
	run "$PCR" frobnicate
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$PCR" extend 24 x
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad PCR index '24'"* ]]
	run "$PCR" predict
	[ "$status" -eq 100 ]
	[[ "$output" == *"exactly one of --uki FILE"* ]]
	run "$PCR" predict --uki /nonexistent.efi
	[ "$status" -eq 100 ]
	run "$PCR" predict --uki "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not a PE image"* ]]
	run "$PCR" predict --direct-cmdline x --phase nap
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown phase 'nap'"* ]]
	run "$PCR" sign --value 00 --private-key "$S/k.pem" --public-key "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"64 hex digits"* ]]
	run "$PCR" sign --direct-cmdline x --private-key "$S/ec.pem" --public-key "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not an RSA key"* ]]
	run "$PCR" seal --public-key "$S/secret" <"$S/secret"
	[ "$status" -eq 100 ]
	[[ "$output" == *"is not a PEM public key"* ]]
	run "$PCR" seal --public-key "$S/k.pub" --literal-pcrs 11 <"$S/secret"
	[ "$status" -eq 100 ]
	run "$PCR" seal --public-key "$S/k.pub" </dev/null
	[ "$status" -eq 100 ]
	[[ "$output" == *"1..128 bytes"* ]]
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/k.pub" <<<'{"kcc-blob":"AAAA"}'
	[ "$status" -eq 100 ]
	[[ "$output" == *"the sealed JSON is not valid"* ]]
	run "$PCR" quote --nonce xyz
	[ "$status" -eq 100 ]
	run "$PCR" verify-quote --nonce 00 <<<'{}'
	[ "$status" -eq 100 ]
	# JSON null or a wrong type where a string, number or array belongs: exit 100, no crash.
	printf '\036{"pcr":11,"digests":[],"content_type":null,"content":{}}\n' >"$S/nulllog"
	run "$PCR" log --no-tpm --file "$S/nulllog"
	[ "$status" -eq 100 ]
	[[ "$output" == *"line 1: record lacks"* ]]
	printf '\036{"pcr":11,"digests":[{"hashAlg":null,"digest":"00"}],"content_type":"x","content":{}}\n' >"$S/nulllog"
	run "$PCR" log --no-tpm --file "$S/nulllog"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad digest entry"* ]]
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/k.pub" <<<'{"kcc-blob":null}'
	[ "$status" -eq 100 ]
	[[ "$output" == *"no kcc-blob"* ]]
	echo '{"sha256":[{"pcrs":[11],"pol":null,"sig":null}]}' >"$S/nullsig.json"
	"$PCR" seal --public-key "$S/k.pub" <"$S/secret" >"$S/sealed-null.json"
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/nullsig.json" <"$S/sealed-null.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"malformed"* ]]
}

@test "kcc-pcr: no TPM is exit 111 with the reason" {
	run env KCC_TPM2_TCTI=device:/nonexistent/tpmrm0 "$PCR" read 11
	[ "$status" -eq 111 ]
	[[ "$output" == *"no TPM: /nonexistent/tpmrm0"* ]]
}
