#!/usr/bin/env bats
# Security events from the real image to a real collector (docs/events.md), in one boot. The host
# runs the collector (tests/bats/collector.sh: Debian's rsyslog, gtls, client certificates
# required, trusting the verifier's issuing CA for them) and kcc-verify (tests/attest-env.sh); the
# guest boots the test image with a node configuration (fw_cfg) naming both, reached through qemu's
# user-mode network (10.0.2.100:6514 and :8443, --guest-forward). The kcc-attest service joins;
# kcc-forward sends with the certificate it got. The host stops its collector after the first
# events and starts it again once the agent has provoked its events (a crash, a denial, a flood):
# the sequence numbers that arrive have no gap. A stand-in control channel (an HTTP file server on
# the host, 10.0.2.100:8080) tells the agent when the host is done, so the node stays up meanwhile.
# The verifier releases a secret with the join (--secret); a static pod reads it from a secret
# volume, and a pod naming a secret that was not released waits.
load helper

VERIFY=$TOP/build/bin/kcc-verify
PCR=$TOP/build/bin/kcc-pcr
COLLECTOR=$TOP/tests/bats/collector.sh
NODE=events-node-1
. "$TOP/tests/attest-env.sh"
. "$TOP/tests/free-port.sh"

setup_file() {
	S=$BATS_FILE_TMPDIR
	T=$S/verifier
	C=$S/collector
	mkdir -p "$T" "$S/tpm" "$C" "$S/www"
	attest_env_setup
	swtpm_setup --tpm2 --tpmstate "$S/tpm" --create-ek-cert --create-platform-cert \
		--config "$S/setup.conf" --overwrite >"$S/swtpm_setup.log" 2>&1
	printf 'kcc-released-secret-%s' "$$" >"$S/db-password"
	start_verifier --ek-roots "$S/ekca.pem" --reference "$IMAGE/reference-values.json" \
		--reference-key "$TOP/build/keys/reference-values-test-public-key.pem" --policy test \
		--secret db-password="$S/db-password"
	CPORT=$(free_port)
	COLLECTOR_CLIENT_CA=$S/issuer.pem COLLECTOR_PEER=system:node:$NODE "$COLLECTOR" "$C" start "$CPORT"
	HPORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$S/www" "$HPORT" >/dev/null 2>&1 &
	HPID=$!
	jq -n --rawfile vca "$S/tlsca.pem" --rawfile sca "$C/pki/ca.pem" --arg node "$NODE" '{version: 1,
		hostname: $node,
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		verifier: {url: "https://10.0.2.100:8443", ca: $vca},
		siem: {destination: "10.0.2.100:6514", ca: $sca}}' >"$S/node.json"
	setsid "$RUN_VM" --image "$IMAGE" --log "$S/events.log" --mode direct --timeout 600 \
		--fw-cfg "$S/node.json" --tpm-state "$S/tpm" --guest-forward "8443:${URL##*:}" \
		--guest-forward "6514:$CPORT" --guest-forward "8080:$HPORT" \
		--until 'kcc-test: agent done' >"$S/run-vm.out" 2>&1 &
	VM=$!
	# Mid-stream: the collector goes away after the first event it takes...
	until_in "$C/parsed.log" . 400 && echo first >"$S/steps"
	"$COLLECTOR" "$C" stop
	wc -l <"$C/parsed.log" >"$S/before-restart"
	# ...and comes back once the agent's events were made, some of them while it was away.
	until_in "$S/events.log" 'kcc-test: (PASS|FAIL) events-provoked' 300 && echo provoked >>"$S/steps"
	COLLECTOR_CLIENT_CA=$S/issuer.pem COLLECTOR_PEER=system:node:$NODE "$COLLECTOR" "$C" start "$CPORT"
	until_in "$C/parsed.log" 'KCC-EVENTS-SUPPRESSED.*suppressed_id="KCC-LSM-DENIAL"' 120 &&
		until_in "$C/parsed.log" 'KCC-SERVICE-CRASH.*service="sleeper"' 60 &&
		until_in "$C/parsed.log" 'KCC-SECCOMP-DENIED.*uid="4242"' 60 &&
		echo delivered >>"$S/steps"
	touch "$S/www/done"
	wait "$VM" || true
	"$COLLECTOR" "$C" stop
	kill "$VPID" "$HPID" 2>/dev/null || true
}

@test "events (VM): the kcc-attest service joins at boot; its key is for the forwarder's group only; both services' profiles" {
	S=$BATS_FILE_TMPDIR
	tr -d '\r' <"$S/events.log" | grep -aE 'kcc-attest|kcc-forward|kcc-test: (PASS|FAIL) (events|attest)' || true
	assert_log events "kcc-init\[kcc-attest\]: kcc-attest: joined as system:node:$NODE"
	assert_log events 'kcc-test: PASS attest-join: joined as system:node:'"$NODE"
	# the key 0640 root:61183 (kcc-forward's group), the certificate 0644
	assert_log events 'kcc-test: PASS events-joined: .*-rw-r----- 1 (0|root) 61183 .* node.key'
	# Their profiles: the join as uid 0 without a capability, the forwarder as 61183 with SYSLOG
	# only (bit 34); both with no_new_privs and the seccomp filter.
	assert_log events 'kcc-test: INFO profile-kcc-attest: Uid: 0 Gid: 61183 CapEff: 0000000000000000 NoNewPrivs: 1 Seccomp: 2 '
	assert_log events 'kcc-test: INFO profile-kcc-forward: Uid: 61183 Gid: 61183 CapEff: 0000002400000000 NoNewPrivs: 1 Seccomp: 2 '
	r=$S/verifier/results
	[ "$(wc -l <"$r")" -eq 1 ]
	[ "$(jq -r .verdict "$r")" = affirming ]
}

@test "events (VM): the released secret reaches a pod as a read-only secret volume; an unreleased one keeps its pod waiting" {
	S=$BATS_FILE_TMPDIR
	tr -d '\r' <"$S/events.log" | grep -aE 'kcc-test: (PASS|FAIL) secret' || true
	# 0400 root in a folder only root reads (the kubelet), on /run's tmpfs
	assert_log events 'kcc-test: PASS secret-released: .*-r-------- 1 0 61183 .* db-password'
	assert_log events "kcc-test: PASS secret-volume: .*secret=$(cat "$S/db-password") .*Read-only file system"
	assert_log events 'kcc-test: PASS secret-missing'
	# wrapped in the answer only: the verifier's log has no secrets, its console not the value
	! grep -q "$(cat "$S/db-password")" "$S/verifier/results" "$S/verifier/verify.out" "$S/verifier/verify.err"
	! tr -d '\r' <"$S/events.log" | grep -v 'PASS secret-volume' | grep -q "$(cat "$S/db-password")"
}

@test "events (VM): catalogue events arrive with boot, sequence and id: boot measured, the verdict, a crash, OOM, a denial, a flood's summary" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	cat "$S/steps"
	# in the order of their sequence numbers, once each
	sed 's/.* seq="\([0-9]*\)".*/\1 &/' "$p" | sort -n -u | cut -d' ' -f2-
	grep -qx delivered "$S/steps"
	boot=$(grep -o 'boot="[^"]*"' "$p" | sort -u)
	[ "$(echo "$boot" | wc -l)" -eq 1 ]
	for id in KCC-BOOT-MEASURED KCC-ATTESTATION-VERDICT KCC-SERVICE-CRASH KCC-SERVICE-OOM \
		KCC-LSM-DENIAL KCC-EVENTS-SUPPRESSED; do
		grep -q "|$id|\[kcc@32473 id=\"$id\" $boot seq=\"[0-9]*\"\]" "$p"
	done
	# PCR values in the boot's event, the verifier's verdict, the crashed service, the summary
	grep '|KCC-BOOT-MEASURED|' "$p" | grep -qE 'pcr11="[0-9a-f]{64}" pcr12="[0-9a-f]{64}" pcr15="[0-9a-f]{64}"'
	# the values the verifier appraised in the same boot's quote
	for n in 11 12 15; do
		grep '|KCC-BOOT-MEASURED|' "$p" | grep -q "pcr$n=\"$(jq -r .claims.pcr$n "$S/verifier/results")\""
	done
	grep '|KCC-ATTESTATION-VERDICT|' "$p" | grep -q "verdict=\"affirming\" policy=\"test\" node=\"$NODE\""
	grep '|KCC-SERVICE-CRASH|' "$p" | grep -q 'service="sleeper" status="137"'
	grep '|KCC-EVENTS-SUPPRESSED|' "$p" | grep -qE 'suppressed_id="KCC-LSM-DENIAL" count="[0-9]+"'
}

@test "events (VM): a sandboxed process's refused unshare arrives from the kernel's audit stream with its syscall and exe" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	tr -d '\r' <"$S/events.log" | grep -aE 'kcc-test: (PASS|FAIL) events-seccomp|audit' || true
	grep '|KCC-SECCOMP-DENIED|' "$p" || true
	assert_log events 'kcc-test: PASS events-seccomp: unshare refused in the sandbox: .*Operation not permitted'
	boot=$(grep -o 'boot="[^"]*"' "$p" | sort -u)
	# the agent's probe (uid 4242): the kernel's AUDIT_SECCOMP record, read by the forwarder
	grep "|KCC-SECCOMP-DENIED|\[kcc@32473 id=\"KCC-SECCOMP-DENIED\" $boot seq=\"[0-9]*\"\]" "$p" |
		grep -q 'syscall="272" syscall_name="unshare" action="errno" exe="/usr/bin/busybox" comm="busybox" pid="[0-9]*" uid="4242"'
	# the ECS body (the raw message) carries the same fields
	grep -a 'KCC-SECCOMP-DENIED' "$S/collector/out.log" | grep -a 'uid="4242"' |
		grep -aqE '"code": ?"KCC-SECCOMP-DENIED".*"syscall_name": ?"unshare"'
	# libc's probes (clone3, ENOSYS) are not logged: every record is a refusal the policy names
	! grep '|KCC-SECCOMP-DENIED|' "$p" | grep -q 'syscall_name="clone3"'
}

@test "events (VM): the collector stopped and started again mid-stream leaves no gap in sequence numbers" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	grep -qx first "$S/steps" && grep -qx provoked "$S/steps"
	# Some events came before the stop, more after the restart.
	[ "$(cat "$S/before-restart")" -ge 1 ]
	[ "$(wc -l <"$p")" -gt "$(cat "$S/before-restart")" ]
	seqs=$(grep -o ' seq="[0-9]*"' "$p" | tr -dc '0-9\n' | sort -n | uniq)
	max=$(echo "$seqs" | tail -1)
	echo "$(echo "$seqs" | wc -l) distinct of $max"
	[ "$(echo "$seqs" | wc -l)" -eq "$max" ]
	[ "$(echo "$seqs" | head -1)" -eq 1 ]
	# and the forwarder never crashed on the way (SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS;
	# it would restart and lose its rate-limit state)
	! tr -d '\r' <"$S/events.log" | grep -aE 'kcc-forward \(pid [0-9]+\) killed by signal (4|6|7|8|11|31) '
}
