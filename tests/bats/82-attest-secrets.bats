#!/usr/bin/env bats
# Released secrets on the host (docs/attestation.md, "Released secrets"): kcc-verify serve
# --secret wraps each secret to the joining node's EK and to the PCR values it appraised;
# kcc-attest join opens it with that TPM into a 0700 folder of 0400 files. The same answer does
# not open on another TPM, nor on the same TPM once a PCR of the policy has changed.
load helper
load attest

setup_file() {
	S=$BATS_FILE_TMPDIR
	attest_env_setup
	make_tpm a cert
	make_tpm b cert
	boot a
	boot b
	jq -n --arg a "$(cat "$S/tpm-a/pcr11")" --arg b "$(cat "$S/tpm-b/pcr11")" \
		'{version: 1, pcr11: [$a, $b]}' >"$S/reference.json"
	printf 'correct horse battery staple' >"$S/db-password"
	head -c 128 /dev/urandom >"$S/api-token"
}

# join TPM [ARGS...]: kcc-attest join as node-TPM, secrets into $T/secrets-TPM.
join() {
	local t=$1
	shift
	attest_join "$t" "$T/result-$t.json" --secrets-dir "$T/secrets-$t" "$@"
}

with_secrets() {
	start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference.json" \
		--secret db-password="$S/db-password" --secret api-token="$S/api-token" "$@"
}

@test "a good node opens the released secrets: 0400 files in a 0700 folder, the bytes the verifier holds, in no log" {
	with_secrets
	join a
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict "$T/result-a.json")" = affirming ]
	cmp "$S/db-password" "$T/secrets-a/db-password"
	cmp "$S/api-token" "$T/secrets-a/api-token"
	[ "$(stat -c %a "$T/secrets-a")" = 700 ]
	[ "$(stat -c %a "$T/secrets-a/db-password")" = 400 ]
	[ "$(ls -A "$T/secrets-a" | wc -l)" = 2 ]
	# Wrapped in the answer, never in clear: not in the result, the verifier's log or output.
	[ "$(jq -r '.secrets | keys | join(",")' "$T/result-a.json")" = api-token,db-password ]
	! grep -q 'correct horse' "$T/result-a.json" "$T/results" "$T/verify.out" "$T/verify.err"
	! grep -q 'correct horse' <<<"$output"
	[ "$(jq -r 'has("secrets")' "$T/results")" = false ]
}

@test "another TPM cannot open the answer made for this one (exit 1, nothing written)" {
	with_secrets
	join a
	[ "$status" -eq 0 ]
	KCC_TPM2_TCTI=$(tcti b) run "$ATTEST" unseal --result "$T/result-a.json" --secrets-dir "$T/stolen"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the TPM cannot open the released secret"* ]]
	[ -z "$(ls -A "$T/stolen" 2>/dev/null)" ]
	# The same answer opens again on its own TPM, unchanged since the release.
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" unseal --result "$T/result-a.json" --secrets-dir "$T/again"
	[ "$status" -eq 0 ]
	cmp "$S/db-password" "$T/again/db-password"
}

@test "a PCR of the policy changed after the release: the TPM refuses to unseal (exit 1)" {
	with_secrets
	join b
	[ "$status" -eq 0 ]
	KCC_TPM2_TCTI=$(tcti b) "$PCR" extend 15 --sha256 "$(printf '%064d' 1)"
	KCC_TPM2_TCTI=$(tcti b) run "$ATTEST" unseal --result "$T/result-b.json" --secrets-dir "$T/later"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused to unseal"* ]]
	[ -z "$(ls -A "$T/later" 2>/dev/null)" ]
}

@test "kcc-verify --secret: a bad name, a missing file, an empty one or one over 128 bytes is refused (exit 100)" {
	printf '' >"$T/empty"
	head -c 129 /dev/zero >"$T/big"
	for spec in "Bad_Name=$S/db-password" "ok=$T/missing" "ok=$T/empty" "ok=$T/big" "noequals" \
		"a=$S/db-password --secret a=$S/db-password"; do
		# shellcheck disable=SC2086
		run "$VERIFY" serve --listen 127.0.0.1:0 --tls-cert "$S/tls.pem" --tls-key "$S/tls.key" \
			--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" \
			--ek-roots "$S/ekca.pem" --reference "$S/reference.json" --secret $spec
		echo "$spec: $output"
		[ "$status" -eq 100 ]
		[[ "$output" == *"--secret"* ]]
	done
}
