#!/usr/bin/env bats
# ECC EKs on the host (docs/attestation.md, "ECC EKs"): kcc-attest join --ek ecc proves the node
# with the ECC P-256 EK (TCG template L-2): the verifier checks its certificate from the per-test
# CA and makes the credential by ECDH, and a released secret opens on that TPM only.
# swtpm_setup 0.7.1 (Debian 12) certifies an RSA 2048 EK (NV 0x01C00002) and an ECC P-384 one
# (0x01C00016), not the P-256 one (0x01C0000A): the certificate of the P-256 EK is made here with
# swtpm_localca, as swtpm_setup makes the others, and given with --ek-cert.
load helper
load attest

setup_file() {
	S=$BATS_FILE_TMPDIR
	attest_env_setup
	make_tpm a cert
	make_tpm b cert
	make_tpm c nocert
	boot a
	boot b
	boot c
	jq -n --arg a "$(cat "$S/tpm-a/pcr11")" --arg b "$(cat "$S/tpm-b/pcr11")" \
		--arg c "$(cat "$S/tpm-c/pcr11")" '{version: 1, pcr11: [$a, $b, $c]}' >"$S/reference.json"
	ecc_ek_cert a
	ecc_ek_cert b
	KCC_TPM2_TCTI=$(tcti c) "$ATTEST" ek --ek ecc | jq -r .ek_sha256 >"$S/allow-ecc"
	printf 'correct horse battery staple' >"$S/db-password"
}

# ecc_ek_cert TPM: $S/ek-ecc-TPM.der, the certificate of its ECC P-256 EK from the per-test CA.
ecc_ek_cert() {
	local pub
	pub=$(KCC_TPM2_TCTI=$(tcti "$1") "$ATTEST" ek --ek ecc | jq -r .ek_public | base64 -d |
		openssl pkey -pubin -inform DER -noout -text | sed -n '/^pub:/,/^ASN1/p' |
		grep -v 'pub:\|ASN1' | tr -d ' :\n')
	mkdir -p "$S/lca-$1"
	swtpm_localca --type ek --ek "x=${pub:2:64},y=${pub:66:64},id=secp256r1" --dir "$S/lca-$1" \
		--tpm-spec-family 2.0 --tpm-spec-level 0 --tpm-spec-revision 164 \
		--tpm-manufacturer id:00001014 --tpm-model swtpm --tpm-version id:20191023 --tpm2 \
		--configfile "$S/localca.conf" --optsfile "$S/localca.options" >/dev/null
	cp "$S/lca-$1/ek.cert" "$S/ek-ecc-$1.der"
}

claim() {
	jq -r ".claims.$1" "$T/result.json"
}

@test "kcc-attest ek --ek ecc: the ECC P-256 EK (another key than the RSA EK), its certificate when NV 0x01C0000A has one" {
	# (stdout only: tpm2-tss logs the missing NV index on stderr)
	output=$(KCC_TPM2_TCTI=$(tcti a) "$ATTEST" ek --ek ecc --cert "$T/ek.der" 2>/dev/null)
	jq -r .ek_public <<<"$output" | base64 -d | openssl pkey -pubin -inform DER -noout -text |
		grep -q 'ASN1 OID: prime256v1'
	[ "$(jq -r .certificate <<<"$output")" = false ] # swtpm 0.7.1: none (above)
	ecc=$(jq -r .ek_sha256 <<<"$output")
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" ek
	[ "$status" -eq 0 ]
	[ "$(jq -r .certificate <<<"$output")" = true ]
	[ "$(jq -r .ek_sha256 <<<"$output")" != "$ecc" ]
	# the certificate made for it chains to the test CA and holds the same key
	openssl verify -CAfile "$S/ekca.pem" <(openssl x509 -inform DER -in "$S/ek-ecc-a.der") >/dev/null
	[ "$(openssl x509 -inform DER -in "$S/ek-ecc-a.der" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)" = "$ecc" ]
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" ek --ek dsa
	[ "$status" -eq 100 ]
}

@test "an ECC-EK node joins (credential by ECDH) and opens its released secret; the RSA EK stays the default" {
	start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference.json" \
		--secret db-password="$S/db-password"
	attest_join a "$T/result.json" --ek ecc --ek-cert "$S/ek-ecc-a.der" --secrets-dir "$T/secrets"
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict "$T/result.json")" = affirming ]
	[ "$(claim ek_type)" = ecc-p256 ]
	[ "$(claim ek)" = "certificate issued by /CN=test EK root" ]
	grep -q 'joined as system:node:node-a' <<<"$output"
	cmp "$S/db-password" "$T/secrets/db-password"
	# the saved answer opens on no other TPM's ECC EK
	KCC_TPM2_TCTI=$(tcti b) run "$ATTEST" unseal --result "$T/result.json" --secrets-dir "$T/stolen" --ek ecc
	[ "$status" -eq 1 ]
	[[ "$output" == *"the TPM cannot open the released secret"* ]]
	# nor on the same TPM's RSA EK; on its ECC EK again, yes
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" unseal --result "$T/result.json" --secrets-dir "$T/rsa" --ek rsa
	[ "$status" -eq 1 ]
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" unseal --result "$T/result.json" --secrets-dir "$T/again" --ek ecc
	[ "$status" -eq 0 ]
	cmp "$S/db-password" "$T/again/db-password"
	# without --ek: RSA, the certificate the TPM has first
	attest_join b "$T/result.json"
	[ "$status" -eq 0 ]
	[ "$(claim ek_type)" = rsa-2048 ]
}

@test "refused: another TPM's ECC EK certificate" {
	start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference.json"
	attest_join a "$T/result.json" --ek ecc --ek-cert "$S/ek-ecc-b.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: EK public key does not match its certificate"* ]]
	# nor the TPM's own RSA certificate with its ECC EK
	KCC_TPM2_TCTI=$(tcti a) "$ATTEST" ek --cert "$T/ek-rsa-a.der" >/dev/null
	attest_join a "$T/result.json" --ek ecc --ek-cert "$T/ek-rsa-a.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: EK public key does not match its certificate"* ]]
}

@test "an ECC EK without certificate joins when on the allow-list" {
	start_verifier --ek-roots "$S/ekca.pem" --ek-allow "$S/allow-ecc" --reference "$S/reference.json"
	attest_join c "$T/result.json" --ek ecc
	[ "$status" -eq 0 ]
	[ "$(claim ek)" = "allow-list sha256:$(cat "$S/allow-ecc")" ]
	[ "$(claim ek_type)" = ecc-p256 ]
	# the same TPM's RSA EK is not on it
	attest_join c "$T/result.json" --ek rsa
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: unknown EK: no certificate and sha256:"* ]]
}
