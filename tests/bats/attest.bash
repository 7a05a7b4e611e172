# Loaded by the host attestation tests (80-attest, 81-attest-service, 82-attest-secrets): the
# programs, tests/attest-env.sh (swtpms, boots, CAs, the verifier), setup and teardown.
ATTEST=$TOP/build/bin/kcc-attest
VERIFY=$TOP/build/bin/kcc-verify
PCR=$TOP/build/bin/kcc-pcr

. "$TOP/tests/attest-env.sh"

teardown_file() {
	for p in "$BATS_FILE_TMPDIR"/tpm-*/swtpm.pid; do kill "$(cat "$p")" 2>/dev/null || true; done
}

# Per test: $S the file's folder, $T the test's, VPID a verifier this test started (stopped after
# it). A file that starts more (81-attest-service) defines its own setup and teardown after this.
setup() {
	S=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	VPID=
}

teardown() {
	[ -z "$VPID" ] || kill "$VPID" 2>/dev/null || true
}

# attest_join TPM RESULT [ARGS...]: kcc-attest join as node-TPM against $URL, the key and
# certificate into $T, the attestation result into RESULT.
attest_join() {
	local t=$1 r=$2
	shift 2
	KCC_TPM2_TCTI=$(tcti "$t") run "$ATTEST" join --verifier "$URL" --ca "$S/tlsca.pem" \
		--node "node-$t" --key-out "$T/node.key" --cert-out "$T/node.pem" \
		--cel-log "$S/tpm-$t/cel.log" --firmware-log "$T/none" --result "$r" "$@"
	echo "$output"
}
