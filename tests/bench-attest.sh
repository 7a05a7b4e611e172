#!/usr/bin/env bash
# Part of make bench (figures, never assertions): the join on the host (docs/attestation.md).
# One swtpm with an EK certificate, kcc-verify serve on 127.0.0.1, BENCH_JOINS joins in a row.
# Prints the TPM commands and wall time of one join (the node's side, swtpm on this host) and the
# verifier's CPU time per join (user + system of its one process: TLS 1.3 handshakes, parsing,
# MakeCredential, the appraisal, the certificate), that is, joins per second on one core.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
joins=${BENCH_JOINS:-100}
S=$top/build/bench/attest T=$S/verifier
PCR=$top/build/bin/kcc-pcr VERIFY=$top/build/bin/kcc-verify ATTEST=$top/build/bin/kcc-attest
rm -rf "$S"
mkdir -p "$S" "$T"
. tests/attest-env.sh
attest_env_setup
make_tpm a cert
trap 'kill "$(cat "$S/tpm-a/swtpm.pid")" ${VPID:-} 2>/dev/null || true' EXIT
boot a
printf '{"version":1,"pcr11":["%s"]}\n' "$(cat "$S/tpm-a/pcr11")" >"$S/reference.json"
start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference.json"
t0=$(date +%s%N)
for i in $(seq "$joins"); do
	KCC_TPM2_TCTI=$(tcti a) "$ATTEST" join --verifier "$URL" --ca "$S/tlsca.pem" --node node-a \
		--key-out "$S/node.key" --cert-out "$S/node.pem" --cel-log "$S/tpm-a/cel.log" \
		--firmware-log /nonexistent --result "$S/result.json" 2>"$S/join.err"
done
wall=$((($(date +%s%N) - t0) / 1000000))
cmds=$(sed -n 's/.*(\([0-9]*\) TPM commands).*/\1/p' "$S/join.err")
read -r ut st < <(awk '{print $14, $15}' "/proc/$VPID/stat")
hz=$(getconf CLK_TCK)
cpu_ms=$(((ut + st) * 1000 / hz))
echo "== attestation (host, swtpm)"
echo "join: $cmds TPM commands, $((wall / joins)) ms wall each (node side and verifier, $joins joins)"
if [ "$cpu_ms" -gt 0 ]; then
	echo "verifier: $((cpu_ms * 1000 / joins)) us CPU per join, $((joins * 1000 / cpu_ms)) joins/s on one core"
else
	echo "verifier: under one clock tick for $joins joins (raise BENCH_JOINS)"
fi
