#!/usr/bin/env bats
# kcc-attest keep-joined, the image's join service (docs/attestation.md, "The join service"), on
# the host: a swtpm with an EK certificate from a per-test CA and a boot measured like kcc-init's
# (tests/attest-env.sh), kcc-verify serve on 127.0.0.1. The verifier is down at first: one clear
# line, a retry with backoff; then it joins, keeps the key (0640) and the certificate, and renews
# at two thirds of the certificate's life (the verifier's shortest validity, 60 s).
load helper
load attest

setup_file() {
	S=$BATS_FILE_TMPDIR
	attest_env_setup
	make_tpm a cert
	boot a
	jq -n --arg a "$(cat "$S/tpm-a/pcr11")" '{version: 1, pcr11: [$a]}' >"$S/reference.json"
}

setup() {
	S=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	VPID= APID=
}

teardown() {
	[ -z "$APID" ] || kill "$APID" 2>/dev/null || true
	[ -z "$VPID" ] || kill "$VPID" 2>/dev/null || true
}

# wait_long SECONDS CMD...: polls (0.2 s steps) until the command succeeds.
wait_long() {
	local n=$(($1 * 5))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
	return 1
}

joined_twice() { [ "$(grep -c 'kcc-attest: joined as' "$T/attest.log")" -ge 2 ]; }

@test "keep-joined: the verifier down is one line and a retry; then it joins, keeps a 0640 key and the certificate, and renews before expiry" {
	port=$(free_port)
	jq -n --rawfile ca "$S/tlsca.pem" --arg url "https://localhost:$port" \
		'{version: 1, hostname: "node-a", verifier: {url: $url, ca: $ca}}' >"$T/node.json"
	mkdir -m 0750 "$T/id"
	KCC_TPM2_TCTI=$(tcti a) "$ATTEST" keep-joined --node-config "$T/node.json" --dir "$T/id" \
		--cel-log "$S/tpm-a/cel.log" --firmware-log "$T/none" 2>"$T/attest.log" &
	APID=$!
	wait_long 20 grep -q 'kcc-attest: not joined (.*); the node stays unjoined, retrying in 5 s' "$T/attest.log"
	[ ! -e "$T/id/node.crt" ]
	"$VERIFY" serve --listen "127.0.0.1:$port" --tls-cert "$S/tls.pem" --tls-key "$S/tls.key" \
		--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" --results "$T/results" \
		--ek-roots "$S/ekca.pem" --reference "$S/reference.json" --validity 60 \
		>"$T/verify.out" 2>"$T/verify.err" &
	VPID=$!
	wait_long 40 grep -q 'kcc-attest: joined as system:node:node-a; .* renewing in [0-9]* s' "$T/attest.log"
	cat "$T/attest.log"
	grep -q 'renewing in 40 s\|renewing in 39 s' "$T/attest.log"
	[ "$(stat -c %a "$T/id/node.key")" = 640 ]
	openssl verify -CAfile "$S/issuer.pem" "$T/id/node.crt"
	# the key goes with the certificate
	[ "$(openssl x509 -in "$T/id/node.crt" -noout -pubkey)" = "$(openssl pkey -in "$T/id/node.key" -pubout)" ]
	first=$(openssl x509 -in "$T/id/node.crt" -noout -serial)
	# Renewal: the same join again, a new certificate before the first expires.
	wait_long 60 joined_twice
	[ "$(openssl x509 -in "$T/id/node.crt" -noout -serial)" != "$first" ]
	openssl x509 -in "$T/id/node.crt" -noout -checkend 0
	[ "$(grep -c '"verdict":"affirming"\|"verdict": "affirming"' "$T/results")" -ge 2 ]
}
