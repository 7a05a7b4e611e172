# The SIEM harness of the VM event tests (long/86-failed-boot.bats, long/87-lifecycle-events.bats;
# 85-events.bats has its own copy, with a node configuration of its own): kcc-verify (tests/attest-env.sh) and the real
# collector (tests/bats/collector.sh: Debian's rsyslog, gtls, client certificates from the
# verifier's issuing CA), reached by the guest at 10.0.2.100:8443 and :6514 (--guest-forward).
# Sourced after helper.bash; NODE is the node's host name (the collector's permitted peer).
VERIFY=$TOP/build/bin/kcc-verify
PCR=$TOP/build/bin/kcc-pcr
COLLECTOR=$TOP/tests/bats/collector.sh
. "$TOP/tests/attest-env.sh"
. "$TOP/tests/free-port.sh"

# events_harness_start EXTRA: starts the verifier (this image's reference values, policy test)
# and the collector in $S/collector (CPORT); writes $S/node.json naming both, with the jq object
# EXTRA merged in (e.g. '{update: {...}}'). Needs $S and attest_env_setup done.
events_harness_start() {
	start_verifier --ek-roots "$S/ekca.pem" --reference "$IMAGE/reference-values.json" \
		--reference-key "$TOP/build/keys/reference-values-test-public-key.pem" --policy test
	CPORT=$(free_port)
	COLLECTOR_CLIENT_CA=$S/issuer.pem COLLECTOR_PEER=system:node:$NODE "$COLLECTOR" "$S/collector" start "$CPORT"
	jq -n --rawfile vca "$S/tlsca.pem" --rawfile sca "$S/collector/pki/ca.pem" --arg node "$NODE" '{version: 1,
		hostname: $node,
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		verifier: {url: "https://10.0.2.100:8443", ca: $vca},
		siem: {destination: "10.0.2.100:6514", ca: $sca}} + '"$1" >"$S/node.json"
}
