#!/usr/bin/env bats
# kcc-attest keep-joined, the image's join service (docs/attestation.md, "The join service"), on
# the host: a swtpm with an EK certificate from a per-test CA and a boot measured like kcc-init's
# (tests/attest-env.sh), kcc-verify serve on 127.0.0.1. The verifier is down at first: one clear
# line, a retry with backoff; then it joins, keeps the key (0640) and the certificate, writes the
# upstream kubelet's files (key and certificate, cluster CA, kubeconfig), and renews at two thirds
# of the certificate's life less a bounded jitter (the verifier's shortest validity, 60 s); a
# failed renewal keeps the certificate.
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
serial() { openssl x509 -in "$1" -noout -serial; }

@test "keep-joined: the verifier down is one line and a retry; then it joins, keeps a 0640 key, the certificate and the kubelet's files, renews before expiry, and keeps them when a renewal fails" {
	port=$(free_port)
	jq -n --rawfile ca "$S/tlsca.pem" --rawfile cluster "$S/issuer.pem" --arg url "https://localhost:$port" \
		'{version: 1, hostname: "node-a", verifier: {url: $url, ca: $ca},
		  kubelet: {"api-server": "https://api.example:6443", "cluster-ca": $cluster}}' >"$T/node.json"
	mkdir -m 0750 "$T/id" "$T/kubelet"
	KCC_TPM2_TCTI=$(tcti a) "$ATTEST" keep-joined --node-config "$T/node.json" --dir "$T/id" \
		--cel-log "$S/tpm-a/cel.log" --firmware-log "$T/none" \
		--kubelet-cert "$T/kubelet/kubelet-client-current.pem" --kubelet-ca "$T/kubelet/ca.crt" \
		--kubelet-kubeconfig "$T/id/kubelet.kubeconfig" 2>"$T/attest.log" &
	APID=$!
	wait_long 20 grep -q 'kcc-attest: not joined (.*); the node stays unjoined, retrying in 5 s' "$T/attest.log"
	[ ! -e "$T/id/node.crt" ] && [ ! -e "$T/id/kubelet.kubeconfig" ] && [ ! -e "$T/kubelet/kubelet-client-current.pem" ]
	"$VERIFY" serve --listen "127.0.0.1:$port" --tls-cert "$S/tls.pem" --tls-key "$S/tls.key" \
		--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" --results "$T/results" \
		--ek-roots "$S/ekca.pem" --reference "$S/reference.json" --validity 60 \
		>"$T/verify.out" 2>"$T/verify.err" &
	VPID=$!
	wait_long 40 grep -q 'kcc-attest: joined as system:node:node-a; .* renewing in [0-9]* s' "$T/attest.log"
	cat "$T/attest.log"
	# two thirds of the 60 s, brought forward by at most a fifteenth (4 s)
	grep -qE 'renewing in (3[6-9]|40) s' "$T/attest.log"
	[ "$(stat -c %a "$T/id/node.key")" = 640 ]
	openssl verify -CAfile "$S/issuer.pem" "$T/id/node.crt"
	# the key goes with the certificate
	[ "$(openssl x509 -in "$T/id/node.crt" -noout -pubkey)" = "$(openssl pkey -in "$T/id/node.key" -pubout)" ]
	# The kubelet's files: the same certificate after its key (0600), the cluster CA, a kubeconfig.
	k=$T/kubelet/kubelet-client-current.pem
	[ "$(stat -c %a "$k")" = 600 ]
	[ "$(stat -c %a "$T/id/kubelet.kubeconfig")" = 600 ]
	[ "$(serial "$k")" = "$(serial "$T/id/node.crt")" ]
	[ "$(openssl x509 -in "$k" -noout -pubkey)" = "$(openssl pkey -in "$k" -pubout)" ]
	cmp "$T/kubelet/ca.crt" "$S/issuer.pem"
	grep -qx '    server: "https://api.example:6443"' "$T/id/kubelet.kubeconfig"
	grep -qx "    client-certificate: \"$k\"" "$T/id/kubelet.kubeconfig"
	grep -qx "    client-key: \"$k\"" "$T/id/kubelet.kubeconfig"
	grep -qx "    certificate-authority: \"$T/kubelet/ca.crt\"" "$T/id/kubelet.kubeconfig"
	! grep -q 'PRIVATE KEY' "$T/attest.log"
	first=$(serial "$T/id/node.crt")
	# Renewal: the same join again, a new certificate before the first expires, in both places.
	wait_long 60 joined_twice
	[ "$(serial "$T/id/node.crt")" != "$first" ]
	[ "$(serial "$k")" = "$(serial "$T/id/node.crt")" ]
	openssl x509 -in "$T/id/node.crt" -noout -checkend 0
	[ "$(grep -c '"verdict":"affirming"\|"verdict": "affirming"' "$T/results")" -ge 2 ]
	# The verifier gone: the next renewal fails, the certificate stays, the retry comes before
	# it expires.
	kill "$VPID"
	VPID=
	second=$(serial "$k")
	wait_long 60 grep -qE 'kcc-attest: renewal failed \(.*\); keeping the current certificate, valid [0-9]+ s more; retrying in [0-9]+ s' "$T/attest.log"
	grep 'renewal failed' "$T/attest.log"
	[ "$(serial "$k")" = "$second" ] && [ "$(serial "$T/id/node.crt")" = "$second" ]
	[ -e "$T/id/kubelet.kubeconfig" ]
}

@test "keep-joined: the kubelet options go together" {
	run "$ATTEST" keep-joined --node-config /nonexistent --dir /nonexistent --kubelet-cert x
	[ "$status" -eq 100 ]
	[[ "$output" == *"--kubelet-cert, --kubelet-ca and --kubelet-kubeconfig go together"* ]]
}
