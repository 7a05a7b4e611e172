# Sourced by tests/bats/attest.bash (the host attestation tests) and tests/bench-attest.sh: swtpms
# with EK certificates from a per-run CA, boots measured like kcc-init's, the verifier's TLS and
# issuing CAs, the verifier.
# Everything goes to $S (per run) and $T (per verifier); PCR is kcc-pcr, VERIFY kcc-verify.

# Polls (0.1 s steps, 10 s at most) until the command succeeds: waits for an event, not a time.
wait_for() {
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	return 1
}

# A TPM: NAME, then "cert" (swtpm_setup with an EK certificate from the per-test CA) or "nocert".
make_tpm() {
	local d=$S/tpm-$1
	mkdir -p "$d/state"
	if [ "$2" = cert ]; then
		swtpm_setup --tpm2 --tpmstate "$d/state" --create-ek-cert --create-platform-cert \
			--config "$S/setup.conf" --overwrite >"$d/setup.log" 2>&1
	fi
	swtpm socket --tpm2 --tpmstate "dir=$d/state" --server "type=unixio,path=$d/sock" \
		--ctrl "type=unixio,path=$d/sock.ctrl" --flags not-need-init,startup-clear \
		--daemon --pid "file=$d/swtpm.pid" --log "file=$d/swtpm.log"
	wait_for test -S "$d/sock"
}

tcti() {
	echo "swtpm:path=$S/tpm-$1/sock"
}

# measure TPM PCR CONTENT_TYPE EVENT_TYPE STRING: extends like kcc-init and appends its record.
measure() {
	local d
	d=$(printf %s "$5" | sha256sum | cut -d' ' -f1)
	KCC_TPM2_TCTI=$(tcti "$1") "$PCR" extend "$2" --sha256 "$d"
	printf '\036{"pcr":%s,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"%s","content":{"string":"%s","eventType":"%s"}}\n' \
		"$2" "$d" "$3" "$5" "$4" >>"$S/tpm-$1/cel.log"
}

# initial TPM PCR: kcc-init's record of the value it found (zero on a fresh swtpm).
initial() {
	printf '\036{"pcr":%s,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"kcc","content":{"eventType":"initial-value"}}\n' \
		"$2" "$(printf '%064d' 0)" >>"$S/tpm-$1/cel.log"
}

# boot TPM [direct] [novolume]: the measurements of a boot up to "ready".
boot() {
	local t=$1
	shift
	initial "$t" 11
	initial "$t" 15
	if [[ " $* " == *" direct "* ]]; then
		measure "$t" 11 kcc direct-boot .cmdline
		measure "$t" 11 kcc direct-boot "console=ttyS0 root=verity"
	fi
	measure "$t" 11 systemd phase enter-initrd
	initial "$t" 12
	measure "$t" 12 kcc node-config fw_cfg
	[[ " $* " == *" novolume "* ]] || measure "$t" 15 systemd volume-key "cryptsetup:state:$t"
	measure "$t" 11 systemd phase leave-initrd
	measure "$t" 11 systemd phase sysinit
	measure "$t" 11 systemd phase ready
	KCC_TPM2_TCTI=$(tcti "$t") "$PCR" read 11 | jq -r '."11"' >"$S/tpm-$t/pcr11"
}

ca() { # NAME SUBJECT: a self-signed CA
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$S/$1.key" \
		-out "$S/$1.pem" -days 2 -subj "/CN=$2" -addext basicConstraints=critical,CA:true \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# attest_env_setup: the CAs, keys and swtpm_setup configuration in $S.
attest_env_setup() {
	# The per-test EK CA, the way swtpm_localca signs with it.
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$S/ekca.key" -out "$S/ekca.pem" -days 2 \
		-subj "/CN=test EK root" -addext basicConstraints=critical,CA:true \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	mkdir -p "$S/lca"
	echo 1 >"$S/lca/serial"
	printf 'statedir = %s\nsigningkey = %s\nissuercert = %s\ncertserial = %s\n' \
		"$S/lca" "$S/ekca.key" "$S/ekca.pem" "$S/lca/serial" >"$S/localca.conf"
	printf -- '--platform-manufacturer kcc-test\n--platform-version 1\n--platform-model swtpm\n' \
		>"$S/localca.options"
	printf 'create_certs_tool = %s\ncreate_certs_tool_config = %s\ncreate_certs_tool_options = %s\n' \
		"$(command -v swtpm_localca)" "$S/localca.conf" "$S/localca.options" >"$S/setup.conf"
	ca otherca "another EK root"
	# The verifier's TLS certificate, from its own CA; the issuing CA of node certificates.
	ca tlsca "test verifier CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$S/tls.key" \
		-out "$S/tls.csr" -subj "/CN=localhost" 2>/dev/null
	openssl x509 -req -in "$S/tls.csr" -CA "$S/tlsca.pem" -CAkey "$S/tlsca.key" -days 2 \
		-extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.0.2.100\n') -out "$S/tls.pem" 2>/dev/null
	ca issuer "test node issuer"
}

# start_verifier [ARGS...]: kcc-verify serve on an ephemeral port of 127.0.0.1; sets URL.
start_verifier() {
	"$VERIFY" serve --listen 127.0.0.1:0 --tls-cert "$S/tls.pem" --tls-key "$S/tls.key" \
		--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" --results "$T/results" \
		"$@" >"$T/verify.out" 2>"$T/verify.err" &
	VPID=$!
	wait_for grep -q '^listening on ' "$T/verify.out"
	URL=https://localhost:$(sed -n 's/^listening on 127.0.0.1://p' "$T/verify.out")
}
