#!/usr/bin/env bats
# Attestation-gated join on the host (docs/attestation.md): swtpms with EK certificates from a
# per-test CA, kcc-verify serve on 127.0.0.1 (TLS 1.3), kcc-attest join with a quote of a TPM
# whose PCR 11, 12 and 15 were extended like a boot, with the CEL-JSON log kcc-init writes.
# A good node joins and gets a certificate that only the issuing CA accepts; every refusal is
# provoked and named. The second TPM that cannot activate another's credential, and a quote
# from another TPM, are in tests/unit/test-attest-tpm.c (they need the library, not the CLI).
load helper
load attest

setup_file() {
	S=$BATS_FILE_TMPDIR
	attest_env_setup
	# A: a good UKI-like boot; B: a direct boot; C: no EK certificate; D: /var never unlocked.
	make_tpm a cert
	make_tpm b cert
	make_tpm c nocert
	make_tpm d cert
	firmware a
	boot a
	boot b direct
	boot c
	boot d novolume
	jq -n --arg a "$(cat "$S/tpm-a/pcr11")" --arg b "$(cat "$S/tpm-b/pcr11")" \
		--arg c "$(cat "$S/tpm-c/pcr11")" --arg d "$(cat "$S/tpm-d/pcr11")" \
		'{version: 1, pcr11: [$a, $c, $d], pcr11_direct: [$b]}' >"$S/reference.json"
	jq -n '{version: 1, pcr11: ["'"$(printf '%064d' 0)"'"]}' >"$S/reference-other.json"
	KCC_TPM2_TCTI=$(tcti c) "$ATTEST" ek | jq -r .ek_sha256 >"$S/allow"
	# B's EK certificate, to present with A's TPM.
	KCC_TPM2_TCTI=$(tcti b) "$ATTEST" ek --cert "$S/ek-b.der" >/dev/null
}

# le32 N: N as 4 little-endian bytes (printf's escapes).
le32() {
	printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# fw_event TPM PCR TYPE DATA: a firmware measurement: extends the PCR's SHA-256 bank and appends
# its TCG_PCR_EVENT2 (one bank, SHA-256 = 0x000b) to the TPM's firmware log.
fw_event() {
	local d
	d=$(printf %s "$4" | sha256sum | cut -d' ' -f1)
	KCC_TPM2_TCTI=$(tcti "$1") "$PCR" extend "$2" --sha256 "$d"
	{
		printf "$(le32 "$2")$(le32 "$3")$(le32 1)\x0b\x00"
		printf %s "$d" | xxd -r -p
		printf "$(le32 ${#4})"
		printf %s "$4"
	} >>"$S/tpm-$1/firmware.log"
}

# firmware TPM: what UEFI firmware measures before the boot loader, as the crypto-agile TCG log
# (/sys/kernel/security/tpm0/binary_bios_measurements): the Spec ID Event03 header (SHA-256 only),
# then events for PCRs 0, 1, 4 and 7 (EV_S_CRTM_VERSION, EV_EFI_VARIABLE_DRIVER_CONFIG,
# EV_EFI_BOOT_SERVICES_APPLICATION, EV_SEPARATOR on 0-7, whose data stands for its 4 zero bytes).
firmware() {
	{
		printf "$(le32 0)$(le32 3)"
		head -c 20 /dev/zero
		printf "$(le32 33)Spec ID Event03\x00$(le32 0)\x00\x02\x00\x02$(le32 1)\x0b\x00\x20\x00\x00"
	} >"$S/tpm-$1/firmware.log"
	fw_event "$1" 0 8 "kcc-test firmware 1.0"
	fw_event "$1" 7 $((0x80000001)) "SecureBoot=1"
	fw_event "$1" 1 $((0x80000001)) "BootOrder=0001"
	fw_event "$1" 4 $((0x80000003)) "systemd-boot"
	for p in 0 1 2 3 4 5 6 7; do fw_event "$1" $p 4 "0000"; done
}

# join TPM [ARGS...]: kcc-attest join as node-TPM; the result in $T/result.json.
join() {
	local t=$1
	shift
	attest_join "$t" "$T/result.json" "$@"
}

# refused TPM REASON [ARGS...]: the join is refused (exit 1) with a "refused: REASON..." line.
refused() {
	local t=$1 why=$2
	shift 2
	join "$t" "$@"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: $why"* ]]
}

standard() {
	start_verifier --ek-roots "$S/ekca.pem" --ek-allow "$S/allow" --reference "$S/reference.json" "$@"
}

@test "a good node joins: its certificate (CN system:node:NAME, O system:nodes, <= 24 h) is accepted by a TLS server trusting only the issuing CA" {
	standard
	join a
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict "$T/result.json")" = affirming ]
	[ "$(jq -r '.reasons | length' "$T/result.json")" = 0 ]
	[[ "$(jq -r .claims.ek "$T/result.json")" == "certificate issued by /CN=test EK root" ]]
	[ "$(jq -r .claims.state_unlocked "$T/result.json")" = true ]
	[ "$(jq -r .claims.direct_boot "$T/result.json")" = false ]
	openssl verify -CAfile "$S/issuer.pem" "$T/node.pem"
	! openssl verify -CAfile "$S/tlsca.pem" "$T/node.pem"
	subject=$(openssl x509 -in "$T/node.pem" -noout -subject -nameopt RFC2253)
	[[ "$subject" == *"CN=system:node:node-a"* && "$subject" == *"O=system:nodes"* ]]
	start=$(date -d "$(openssl x509 -in "$T/node.pem" -noout -startdate | cut -d= -f2)" +%s)
	end=$(date -d "$(openssl x509 -in "$T/node.pem" -noout -enddate | cut -d= -f2)" +%s)
	[ $((end - start)) -le $((24 * 3600 + 60)) ]
	# The key never left the node: the certificate is for the key kcc-attest wrote.
	[ "$(openssl x509 -in "$T/node.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/node.key" -pubout)" ]
	# A TLS server that trusts only the issuing CA accepts the node's client certificate.
	openssl s_server -accept 127.0.0.1:0 -cert "$S/tls.pem" -key "$S/tls.key" \
		-CAfile "$S/issuer.pem" -Verify 1 -verify_return_error -naccept 1 -www \
		>"$T/s_server.out" 2>&1 &
	spid=$!
	wait_for grep -q '^ACCEPT' "$T/s_server.out"
	port=$(ss -ltnp | awk -v p="pid=$spid," '$0 ~ p {split($4, a, ":"); print a[2]}')
	echo "GET / HTTP/1.0" | openssl s_client -connect 127.0.0.1:"$port" -cert "$T/node.pem" \
		-key "$T/node.key" -CAfile "$S/tlsca.pem" -quiet >"$T/s_client.out" 2>&1 || true
	kill $spid 2>/dev/null || true
	cat "$T/s_client.out"
	grep -q 'Client certificate' "$T/s_client.out"
	# The result went to the verifier's log, without the certificate.
	[ "$(jq -r .verdict "$T/results")" = affirming ]
	[ "$(jq -r 'has("certificate")' "$T/results")" = false ]
}

@test "kcc-attest join --node-config: the verifier's URL and CA and the node's name from the node configuration" {
	standard
	jq -n --arg url "$URL/" --rawfile ca "$S/tlsca.pem" \
		'{version: 1, hostname: "node-from-config", verifier: {url: $url, ca: $ca}}' >"$T/node-config.json"
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" join --node-config "$T/node-config.json" \
		--key-out "$T/node.key" --cert-out "$T/node.pem" --cel-log "$S/tpm-a/cel.log" \
		--firmware-log "$T/none" --result "$T/result.json"
	echo "$output"
	[ "$status" -eq 0 ]
	openssl x509 -in "$T/node.pem" -noout -subject -nameopt RFC2253 | grep -q 'CN=system:node:node-from-config'
	# The verifier by IP address: its certificate's iPAddress SAN is checked.
	jq '.verifier.url = "https://127.0.0.1:'"${URL##*:}"'"' "$T/node-config.json" >"$T/ip.json"
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" join --node-config "$T/ip.json" \
		--key-out "$T/k3" --cert-out "$T/c3" --cel-log "$S/tpm-a/cel.log"
	[ "$status" -eq 0 ]
	# The same address by a name the certificate does not carry: refused.
	jq '.verifier.url = "https://127.1:'"${URL##*:}"'"' "$T/node-config.json" >"$T/ip2.json"
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" join --node-config "$T/ip2.json" \
		--key-out "$T/k4" --cert-out "$T/c4" --cel-log "$S/tpm-a/cel.log"
	[ "$status" -eq 111 ]
	[[ "$output" == *"TLS with 127.1 failed"* ]]
	# Another CA in the configuration: the verifier's certificate is refused.
	jq --rawfile ca "$S/issuer.pem" '.verifier.ca = $ca' "$T/node-config.json" >"$T/other.json"
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" join --node-config "$T/other.json" \
		--key-out "$T/k2" --cert-out "$T/c2" --cel-log "$S/tpm-a/cel.log"
	[ "$status" -eq 111 ]
	[[ "$output" == *"TLS with localhost failed"* ]]
	[ ! -e "$T/c2" ]
	# A configuration the schema refuses: usage error, one line per problem.
	echo '{"version": 1, "verifier": {"url": "http://x"}}' >"$T/bad.json"
	run "$ATTEST" join --node-config "$T/bad.json" --key-out "$T/k2" --cert-out "$T/c2"
	[ "$status" -eq 100 ]
	[[ "$output" == *"config: .verifier.url"* ]]
}

@test "refused: unknown EK root (the EK certificate chains to no configured root)" {
	start_verifier --ek-roots "$S/otherca.pem" --reference "$S/reference.json"
	join a
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: unknown EK root"* ]]
	[ ! -e "$T/node.pem" ]
}

@test "refused: EK public key not matching its certificate (another TPM's certificate)" {
	standard
	join a --ek-cert "$S/ek-b.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: EK public key does not match its certificate"* ]]
}

@test "EK without certificate: joins when on the allow-list (named in the result), refused when not" {
	standard
	join c
	[ "$status" -eq 0 ]
	[ "$(jq -r .claims.ek "$T/result.json")" = "allow-list sha256:$(cat "$S/allow")" ]
	kill "$VPID"
	start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference.json"
	join c
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: unknown EK: no certificate and sha256:$(cat "$S/allow") is not on the allow-list"* ]]
}

@test "refused: replayed nonce (the same finish sent again)" {
	standard
	join a --save-finish "$T/finish.json"
	[ "$status" -eq 0 ]
	run curl -sS --cacert "$S/tlsca.pem" -o "$T/replay.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary @"$T/finish.json" "$URL/v1/finish"
	[ "$output" = 403 ]
	jq -r '.reasons[]' "$T/replay.json" | grep -q '^replayed nonce: session .* was used already$'
	[ "$(jq -r 'has("certificate")' "$T/replay.json")" = false ]
}

@test "refused: expired nonce" {
	standard --nonce-ttl 1
	KCC_TPM2_TCTI=$(tcti a) "$ATTEST" join --verifier "$URL" --ca "$S/tlsca.pem" --node node-a \
		--key-out "$T/k" --cert-out "$T/c" --cel-log "$S/tpm-a/cel.log" --save-finish "$T/f.json" \
		--result "$T/r.json" || true
	sed 's/"session":"[0-9a-f]*"/"session":"00000000000000000000000000000000"/' "$T/f.json" >"$T/f2.json"
	run curl -sS --cacert "$S/tlsca.pem" --data-binary @"$T/f2.json" "$URL/v1/finish"
	[[ "$output" == *"replayed nonce: no open session 00000000000000000000000000000000"* ]]
}

@test "refused: an edited event log and a truncated one" {
	standard
	sed '0,/"enter-initrd"/s/"digest":"[0-9a-f]\{8\}/"digest":"00000000/' "$S/tpm-a/cel.log" >"$T/edited.log"
	! cmp -s "$T/edited.log" "$S/tpm-a/cel.log"
	refused a "event log edited or truncated: PCR 11 does not replay to the quoted value" --cel-log "$T/edited.log"
	head -n -1 "$S/tpm-a/cel.log" >"$T/truncated.log"
	refused a "event log edited or truncated: PCR 11" --cel-log "$T/truncated.log"
	head -c -5 "$S/tpm-a/cel.log" >"$T/cut.log"
	refused a "event log edited or truncated: line 9: the last record has no newline" --cel-log "$T/cut.log"
}

@test "the firmware's TCG log replays to the quoted PCRs 0-7; an edited, a truncated or a foreign one is refused" {
	standard
	f=$S/tpm-a/firmware.log
	join a --firmware-log "$f"
	[ "$status" -eq 0 ]
	[ "$(jq -r .claims.firmware_log "$T/result.json")" = replayed ]
	[ "$(jq -r .claims.firmware_events "$T/result.json")" = 12 ]
	# one digest byte of the EV_EFI_BOOT_SERVICES_APPLICATION record (PCR 4) changed
	cp "$f" "$T/edited.log"
	off=$(grep -obUaP 'systemd-boot' "$f" | head -1 | cut -d: -f1)
	printf '\xff' | dd of="$T/edited.log" bs=1 seek=$((off - 4 - 32)) conv=notrunc status=none
	! cmp -s "$T/edited.log" "$f"
	refused a "firmware event log edited or truncated: PCR 4 does not replay to the quoted value" --firmware-log "$T/edited.log"
	# the last record (PCR 7's separator) dropped: a whole record less still parses
	head -c -$((4 * 3 + 2 + 32 + 4 + 4)) "$f" >"$T/truncated.log"
	refused a "firmware event log edited or truncated: PCR 7 does not replay to the quoted value" --firmware-log "$T/truncated.log"
	# cut inside a record
	head -c -3 "$f" >"$T/cut.log"
	refused a "firmware event log malformed: record 13: a record's event data is truncated" --firmware-log "$T/cut.log"
	# another TPM's boot: B had no firmware measurements
	refused b "firmware event log edited or truncated: PCR 0 does not replay" --firmware-log "$f"
}

@test "refused: PCR 11 of an image not on the reference list" {
	start_verifier --ek-roots "$S/ekca.pem" --reference "$S/reference-other.json"
	join a
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: PCR 11 not on the reference list: $(cat "$S/tpm-a/pcr11")"* ]]
}

@test "refused by the production policy: a direct boot's PCR 11 and its events; accepted by the test policy" {
	standard
	join b
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: PCR 11 not on the reference list: $(cat "$S/tpm-b/pcr11")"* ]]
	[[ "$output" == *"refused: direct-boot events"* ]]
	[ "$(jq -r '.reasons | length' "$T/result.json")" = 2 ]
	# A log that hides the direct boot behind an initial value still has the direct boot's PCR 11.
	printf '\036{"pcr":11,"digests":[{"hashAlg":"sha256","digest":"%s"}],"content_type":"kcc","content":{"eventType":"initial-value"}}\n' \
		"$(cat "$S/tpm-b/pcr11")" >"$T/hidden.log"
	grep -v '"pcr":11' "$S/tpm-b/cel.log" >>"$T/hidden.log"
	join b --cel-log "$T/hidden.log"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reasons[]' "$T/result.json")" = "PCR 11 not on the reference list: $(cat "$S/tpm-b/pcr11")" ]
	kill "$VPID"
	standard --policy test
	join b
	[ "$status" -eq 0 ]
	[ "$(jq -r .policy "$T/result.json")" = test ]
	[ "$(jq -r .claims.direct_boot "$T/result.json")" = true ]
}

@test "refused: the state volume was never unlocked (no volume-key event in PCR 15)" {
	standard
	join d
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: state volume not unlocked"* ]]
	[ "$(jq -r .claims.state_unlocked "$T/result.json")" = false ]
}

@test "bad requests: 400 with one reason, a wrong path 404, an oversized body 413, no TLS below 1.3" {
	standard
	run curl -sS --cacert "$S/tlsca.pem" -o "$T/o" -w '%{http_code}' --data-binary '{"ek_pub":1}' "$URL/v1/start"
	[ "$output" = 400 ]
	grep -q 'is not base64' "$T/o"
	run curl -sS --cacert "$S/tlsca.pem" -o /dev/null -w '%{http_code}' --data-binary '{}' "$URL/v1/nothing"
	[ "$output" = 404 ]
	head -c 2000000 /dev/zero | tr '\0' a >"$T/big"
	run curl -sS --cacert "$S/tlsca.pem" -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$URL/v1/start"
	[ "$output" = 413 ]
	run curl -sS --cacert "$S/tlsca.pem" --tls-max 1.2 "$URL/v1/start"
	[ "$status" -ne 0 ]
}

# connected PORT: a TCP connection to 127.0.0.1:PORT is established.
connected() {
	ss -tn state established "( dport = :$1 )" | grep -q 127.0.0.1
}

@test "an idle client holds the one-connection service only until its timeout; the next node then joins" {
	standard
	# TLS established, then nothing: the verifier waits for a request at most 10 s.
	(sleep 30 | openssl s_client -connect 127.0.0.1:"${URL##*:}" -CAfile "$S/tlsca.pem" -quiet \
		>/dev/null 2>&1) &
	idle=$!
	wait_for connected "${URL##*:}"
	start=$(date +%s)
	join a
	kill $idle 2>/dev/null || true
	[ "$status" -eq 0 ]
	[ $(($(date +%s) - start)) -le 25 ]
}

@test "kcc-attest: usage 100, no TPM 111, no verifier 111" {
	run "$ATTEST" join --node x
	[ "$status" -eq 100 ]
	KCC_TPM2_TCTI=swtpm:path=$S/nothing run "$ATTEST" join --verifier https://localhost:1 --ca "$S/tlsca.pem" \
		--node n --key-out "$T/k" --cert-out "$T/c"
	[ "$status" -eq 111 ]
	KCC_TPM2_TCTI=$(tcti a) run "$ATTEST" join --verifier https://localhost:1 --ca "$S/tlsca.pem" \
		--node n --key-out "$T/k" --cert-out "$T/c" --cel-log "$S/tpm-a/cel.log"
	[ "$status" -eq 111 ]
	[[ "$output" == *"cannot connect to localhost:1"* ]]
}

@test "kcc-verify --reference-key: a signed reference-values file loads, an edited one is refused (exit 100)" {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/ref.key" 2>/dev/null
	openssl pkey -in "$T/ref.key" -pubout -out "$T/ref.pub"
	cp "$S/reference.json" "$T/ref.json"
	openssl dgst -sha256 -sign "$T/ref.key" -out "$T/ref.json.sig" "$T/ref.json"
	start_verifier --ek-roots "$S/ekca.pem" --reference "$T/ref.json" --reference-key "$T/ref.pub"
	join a
	[ "$status" -eq 0 ]
	kill "$VPID"
	VPID=
	sed -i 's/"version": 1/"version":1 /' "$T/ref.json"
	run timeout 10 "$VERIFY" serve --listen 127.0.0.1:0 --tls-cert "$S/tls.pem" --tls-key "$S/tls.key" \
		--issuer-cert "$S/issuer.pem" --issuer-key "$S/issuer.key" --ek-roots "$S/ekca.pem" \
		--reference "$T/ref.json" --reference-key "$T/ref.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"the signature $T/ref.json.sig does not verify"* ]]
}
