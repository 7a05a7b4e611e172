#!/usr/bin/env bats
# The attestation-gated join from inside the VM (docs/attestation.md): the test image booted with a
# TPM whose EK certificate comes from a per-test CA (swtpm_setup), a node configuration (fw_cfg)
# naming the verifier and its CA; kcc-verify runs on the host, which the guest reaches through
# qemu's user-mode network (10.0.2.100:8443, --guest-forward). The in-guest agent runs kcc-attest
# join after the boot; the verifier appraises the real boot's quote, CEL-JSON log and the
# firmware's TCG log against the image's signed reference values. A UEFI boot (OVMF with Secure
# Boot and the test keys, systemd-boot, the signed UKI; swtpm): the node sends the firmware's log
# (/sys/kernel/security/tpm0/binary_bios_measurements), which must replay to the quoted PCRs 0-7,
# and PCR 11 is the UKI's (pcr11). The direct-boot join (pcr11_direct) is 85-events.bats's.
load helper

VERIFY=$TOP/build/bin/kcc-verify
PCR=$TOP/build/bin/kcc-pcr
. "$TOP/tests/attest-env.sh"

setup_file() {
	S=$BATS_FILE_TMPDIR
	T=$S/verifier
	mkdir -p "$T" "$S/tpm"
	attest_env_setup
	swtpm_setup --tpm2 --tpmstate "$S/tpm" --create-ek-cert --create-platform-cert \
		--config "$S/setup.conf" --overwrite >"$S/swtpm_setup.log" 2>&1
	start_verifier --ek-roots "$S/ekca.pem" --reference "$IMAGE/reference-values.json" \
		--reference-key "$TOP/build/keys/reference-values-test-public-key.pem" --policy test
	jq -n --rawfile ca "$S/tlsca.pem" '{version: 1, hostname: "attest-node-1",
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		verifier: {url: "https://10.0.2.100:8443", ca: $ca}}' >"$S/node.json"
	vm_boot join --mode uefi --timeout 420 --fw-cfg "$S/node.json" --tpm-state "$S/tpm" \
		--guest-forward "8443:${URL##*:}" --until 'kcc-test: agent done'
	kill "$VPID" 2>/dev/null || true
}

@test "attest (VM): the UEFI-booted node joins through the host's verifier with the firmware's event log and gets its certificate" {
	tr -d '\r' <"$BATS_FILE_TMPDIR/join.log" | grep -aE 'attest|node-config|network|eth0' || true
	cat "$BATS_FILE_TMPDIR/verifier/verify.err" || true
	assert_log join 'kcc-test: PASS attest-join: .*joined as system:node:attest-node-1'
	r=$BATS_FILE_TMPDIR/verifier/results
	cat "$r"
	[ "$(jq -r .verdict "$r")" = affirming ]
	[ "$(jq -r .policy "$r")" = test ]
	[ "$(jq -r .claims.ek "$r")" = "certificate issued by /CN=test EK root" ]
	[ "$(jq -r .claims.direct_boot "$r")" = false ]
	[ "$(jq -r .claims.state_unlocked "$r")" = true ]
	# PCR 11 is the image's UKI reference value at "ready".
	[ "$(jq -r .claims.pcr11 "$r")" = "$(jq -r '.pcr11[0]' "$IMAGE/reference-values.json")" ]
	# The firmware's log was sent and replayed to the quoted PCRs 0-7 (OVMF logs dozens of
	# events: the CRTM, the Secure Boot variables, the boot loader, the separators, ...).
	[ "$(jq -r .claims.firmware_log "$r")" = replayed ]
	[ "$(jq -r .claims.firmware_events "$r")" -ge 10 ]
	[ "$(jq -r '.reasons | length' "$r")" = 0 ]
}
