#!/usr/bin/env bats
# SEV-SNP reports on the host (docs/attestation.md, "SEV-SNP reports"): a fake AMD chain made
# here with the openssl CLI (ARK self-signed and ASK, RSA signed with PSS/SHA-384 as AMD's; a
# VCEK, EC P-384, with the hwID and TCB extensions), kcc-attest join taking its report from the
# stand-in (--snp-stand-in-key: a report signed with that VCEK's key, REPORT_DATA the quote's
# binding) instead of /dev/sev-guest, and kcc-verify serve pinning the chain's ARK. The stand-in
# is in kcc-attest-test only (tests/bats/attest-snp-stand-in.c): the image's kcc-attest has none.
load helper
load attest
ATTEST_PROD=$ATTEST
ATTEST=$TOP/build/bin/kcc-attest-test

# fake_amd_chain NAME: $S/NAME/{ark,ask}.pem, vcek.key, vcek.der (for chip_id 0, TCB 0).
fake_amd_chain() {
	local d=$S/$1 pss=(-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48)
	mkdir -p "$d"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/ark.key" 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/ask.key" 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$d/vcek.key" 2>/dev/null
	openssl req -x509 -new -key "$d/ark.key" -subj /CN=ARK-Milan -days 2 "${pss[@]}" \
		-addext basicConstraints=critical,CA:TRUE -out "$d/ark.pem" 2>/dev/null
	openssl req -new -key "$d/ask.key" -subj /CN=SEV-Milan -out "$d/ask.csr" 2>/dev/null
	openssl x509 -req -in "$d/ask.csr" -CA "$d/ark.pem" -CAkey "$d/ark.key" -days 2 "${pss[@]}" \
		-extfile <(echo basicConstraints=critical,CA:TRUE) -out "$d/ask.pem" 2>/dev/null
	openssl req -new -key "$d/vcek.key" -subj /CN=SEV-VCEK -out "$d/vcek.csr" 2>/dev/null
	{
		echo "1.3.6.1.4.1.3704.1.4 = DER:$(printf '%0128d' 0)"
		for i in 1 2 3 8; do echo "1.3.6.1.4.1.3704.1.3.$i = ASN1:INTEGER:0"; done
	} >"$d/vcek.ext"
	openssl x509 -req -in "$d/vcek.csr" -CA "$d/ask.pem" -CAkey "$d/ask.key" -days 2 "${pss[@]}" \
		-extfile "$d/vcek.ext" -outform DER -out "$d/vcek.der" 2>/dev/null
}

setup_file() {
	S=$BATS_FILE_TMPDIR
	attest_env_setup
	make_tpm a cert
	boot a
	fake_amd_chain amd
	fake_amd_chain forged
	jq -n --arg a "$(cat "$S/tpm-a/pcr11")" '{version: 1, pcr11: [$a]}' >"$S/reference.json"
}

snp_verifier() {
	start_verifier --ek-roots "$S/ekca.pem" --snp-ark "$S/amd/ark.pem" --snp-ask "$S/amd/ask.pem" "$@"
}

# snp_join CHAIN [ARGS...]: a join whose report the stand-in signs with CHAIN's VCEK.
snp_join() {
	local c=$1
	shift
	attest_join a "$T/result.json" --snp-stand-in-key "$S/$c/vcek.key" "$@"
}

claim() {
	jq -r ".claims.$1" "$T/result.json"
}

@test "a node with a SEV-SNP report joins: the chain to the pinned ARK, REPORT_DATA bound to the quote" {
	snp_verifier --reference "$S/reference.json"
	snp_join amd --snp-vcek "$S/amd/vcek.der"
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict "$T/result.json")" = affirming ]
	[ "$(claim tee)" = sev-snp ]
	[ "$(claim snp_measurement)" = "$(printf '%096d' 0)" ]
	[ "$(claim snp_tcb)" = 0.0.0.0 ]
	[ "$(jq -r .claims.tee "$T/results")" = sev-snp ]
}

@test "the VCEK from the verifier's cache (CHIPID_TCB.der) when the node sends none" {
	mkdir -p "$T/vceks"
	cp "$S/amd/vcek.der" "$T/vceks/$(printf '%0128d' 0)_0000000000000000.der"
	snp_verifier --reference "$S/reference.json" --snp-vcek-dir "$T/vceks"
	snp_join amd
	[ "$status" -eq 0 ]
	[ "$(claim tee)" = sev-snp ]
	# an empty cache: refused, named
	rm "$T/vceks"/*
	snp_join amd
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: SEV-SNP report signed by the wrong chain: no cached VCEK for this chip and TCB"* ]]
}

@test "a report signed by the wrong chain is refused with its own reason" {
	snp_verifier --reference "$S/reference.json"
	# another chain with the same names: its VCEK does not chain to the pinned ARK
	snp_join forged --snp-vcek "$S/forged/vcek.der"
	[ "$status" -eq 1 ]
	[ "$(jq -r .verdict "$T/result.json")" = contraindicated ]
	[[ "$output" == *"refused: SEV-SNP report signed by the wrong chain: "* ]]
	[ "$(jq -r '.certificate // "none"' "$T/result.json")" = none ]
	# the good VCEK's certificate with a report another key signed
	snp_join forged --snp-vcek "$S/amd/vcek.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: SEV-SNP report signed by the wrong chain: the report's signature does not verify with the VCEK"* ]]
}

@test "without /dev/sev-guest nothing is sent and the result says no TEE report; --snp-require refuses it" {
	[ ! -e /dev/sev-guest ] || skip "this host is a SEV-SNP guest"
	snp_verifier --reference "$S/reference.json"
	attest_join a "$T/result.json" --save-finish "$T/finish.json"
	[ "$status" -eq 0 ]
	[ "$(claim tee)" = "no TEE report" ]
	[ "$(jq -r 'has("snp_report")' "$T/finish.json")" = false ]
	kill "$VPID"
	snp_verifier --reference "$S/reference.json" --snp-require
	attest_join a "$T/result.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: no TEE report: the policy requires a SEV-SNP report"* ]]
}

@test "the policy: a launch measurement not on the reference values, a TCB below the minimum" {
	jq --arg m "$(printf '%096d' 1)" '. + {snp_measurement: [$m]}' "$S/reference.json" >"$T/ref.json"
	snp_verifier --reference "$T/ref.json"
	snp_join amd --snp-vcek "$S/amd/vcek.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: SEV-SNP launch measurement not on the reference list: $(printf '%096d' 0)"* ]]
	kill "$VPID"
	jq --arg m "$(printf '%096d' 0)" '. + {snp_measurement: [$m]}' "$S/reference.json" >"$T/ref.json"
	snp_verifier --reference "$T/ref.json" --snp-min-tcb 0.0.1.0
	snp_join amd --snp-vcek "$S/amd/vcek.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: SEV-SNP TCB 0.0.0.0 below the minimum 0.0.1.0"* ]]
}

@test "kcc-verify: --snp-ark without --snp-ask, an ASK the ARK did not sign, a bad --snp-min-tcb, bad snp_measurement: exit 100" {
	common=(--listen 127.0.0.1:0 --tls-cert "$S/tls.pem" --tls-key "$S/tls.key"
		--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" --ek-roots "$S/ekca.pem")
	run "$VERIFY" serve "${common[@]}" --reference "$S/reference.json" --snp-ark "$S/amd/ark.pem"
	[ "$status" -eq 100 ]
	[[ "$output" == *"--snp-ark and --snp-ask go together"* ]]
	run "$VERIFY" serve "${common[@]}" --reference "$S/reference.json" --snp-require
	[ "$status" -eq 100 ]
	run "$VERIFY" serve "${common[@]}" --reference "$S/reference.json" \
		--snp-ark "$S/amd/ark.pem" --snp-ask "$S/forged/ask.pem"
	[ "$status" -eq 100 ]
	[[ "$output" == *"the ASK is not signed by the ARK"* ]]
	run "$VERIFY" serve "${common[@]}" --reference "$S/reference.json" \
		--snp-ark "$S/amd/ask.pem" --snp-ask "$S/amd/ask.pem"
	[ "$status" -eq 100 ]
	[[ "$output" == *"the ARK is not self-signed"* ]]
	run "$VERIFY" serve "${common[@]}" --reference "$S/reference.json" \
		--snp-ark "$S/amd/ark.pem" --snp-ask "$S/amd/ask.pem" --snp-min-tcb 1.2.3
	[ "$status" -eq 100 ]
	[[ "$output" == *"--snp-min-tcb: BL.TEE.SNP.UCODE"* ]]
	jq '. + {snp_measurement: ["00"]}' "$S/reference.json" >"$T/ref.json"
	run "$VERIFY" serve "${common[@]}" --reference "$T/ref.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"snp_measurement[0] is not 96 hex digits"* ]]
}

@test "the image's kcc-attest has no SEV-SNP stand-in: --snp-stand-in-key exits 100, nothing written" {
	run "$ATTEST_PROD" join --verifier https://127.0.0.1:1 --ca /dev/null --node n \
		--key-out "$BATS_TEST_TMPDIR/k" --cert-out "$BATS_TEST_TMPDIR/c" --snp-stand-in-key /dev/null
	[ "$status" -eq 100 ]
	[[ "$output" == *"this kcc-attest has no stand-in"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/k" ] && [ ! -e "$BATS_TEST_TMPDIR/c" ]
}
