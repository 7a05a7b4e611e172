#!/usr/bin/env bats
# make check-long (tests/check-long.sh): the lifecycle events of docs/events.md at the real
# collector (85-events' harness: Debian's rsyslog with gtls and client certificates required,
# tests/bats/collector.sh; kcc-verify, tests/attest-env.sh), one disk, one TPM (an EK certificate
# from the per-test CA), UEFI + Secure Boot: the loader's boot counting is what rolls back.
#   fresh: the test image's first boot, counted, blessed (no node configuration).
#   Then, on the host, the state token says its key was sealed in 1970 (its JSON is not sealed).
#   One qemu run (--reboots) with a node configuration naming the verifier, the SIEM, a channel
#   (update.url, a folder on the host holding the third test release, v3: its kubelet never
#   gets healthy) and state.rotate-days 1:
#     boot 1: the initrd rotates the state keyslot (KCC-KEY-ROTATED, component state-partition);
#             pull mode applies v3 (KCC-UPDATE-APPLIED) and reboots
#     boot 2: v3; PID 1 marks it bad after 30 s and reboots
#     boot 3: v1 again; kcc-update reports the rollback (KCC-UPDATE-ROLLED-BACK), and the
#             forwarder sends what the spool kept of boot 1.
# The host waits for the three events at the collector (a bounded poll of its file), then stops
# the node. About 6 minutes under TCG.
load ../helper

IMAGE_V3=${KCC_TEST_IMAGE_V3:-$TOP/build/test-v3}
NODE=lifecycle-node-1
. "$TOP/tests/vm/events-harness.bash"

setup_file() {
	S=$BATS_FILE_TMPDIR T=$S/verifier C=$S/collector
	[ -f "$IMAGE_V3/manifest.json" ]
	mkdir -p "$T" "$S/tpm" "$C" "$S/channel"
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	disk_copy "$S/node.raw"
	attest_env_setup
	swtpm_setup --tpm2 --tpmstate "$S/tpm" --create-ek-cert --create-platform-cert \
		--config "$S/setup.conf" --overwrite >"$S/swtpm_setup.log" 2>&1
	vm_boot fresh --mode uefi --vars "$VARS" --timeout 300 --disk "$S/node.raw" --tpm-state "$S/tpm" \
		--until 'kcc-init: security epoch|kcc-init: boot marked bad|boot stopped'
	# the key's age, as 42-rotate does it: the token's JSON is not sealed, only its blob
	state_header_get "$S/node.raw" "$S/fresh.hdr"
	cryptsetup token export --token-id 0 "$S/fresh.hdr" | jq -c '."kcc-rotated" = 0' |
		cryptsetup token import --token-replace --token-id 0 "$S/fresh.hdr"
	state_header_put "$S/node.raw" "$S/fresh.hdr"
	cp "$IMAGE_V3/$(jq -r .bundle "$IMAGE_V3/manifest.json")" "$S/channel/kcc-node.bundle"
	events_harness_start '{update: {url: "http://10.0.2.100:8081/", "poll-seconds": 10}, state: {"rotate-days": 1}}'
	HPORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$S/channel" "$HPORT" >"$S/channel.log" 2>&1 &
	HPID=$!
	setsid "$RUN_VM" --image "$IMAGE" --log "$S/life.log" --mode uefi --vars "$VARS" --disk "$S/node.raw" \
		--tpm-state "$S/tpm" --timeout 1200 --reboots 3 --fw-cfg "$S/node.json" \
		--guest-forward "8443:${URL##*:}" --guest-forward "6514:$CPORT" --guest-forward "8081:$HPORT" \
		--smbios-11 io.kcc-node.test.shutdown=none >"$S/run-vm.out" 2>&1 &
	VM=$!
	: >"$S/steps"
	# the third boot's kcc-update found the rollback (the node stays up: bounded waits after it)
	until_in "$S/life.log" 'pull: [^ ]+ rolled back on this node' 900 && echo boot-3 >>"$S/steps"
	until_in "$C/parsed.log" '\|KCC-KEY-ROTATED\|' 120 && echo rotated >>"$S/steps"
	until_in "$C/parsed.log" '\|KCC-UPDATE-APPLIED\|' 120 && echo applied >>"$S/steps"
	until_in "$C/parsed.log" '\|KCC-UPDATE-ROLLED-BACK\|' 120 && echo rolled-back >>"$S/steps"
	# two poll rounds of kcc-update after the rollback (poll-seconds 10): none says it again
	until_count "$S/life.log" 'pull: [^ ]+ rolled back on this node' 2 120 || true
	# the node stays up (shutdown=none): run-vm.sh's timeout runs qemu in a process group of its
	# own; the signal goes to it (it passes it on to qemu), then run-vm.sh cleans up swtpm
	pkill -TERM -P "$VM" -x timeout 2>/dev/null || true
	wait "$VM" || true
	"$COLLECTOR" "$C" stop
	kill "$VPID" "$HPID" 2>/dev/null || true
}

# until_count FILE REGEX N SECONDS: waits until N lines of FILE match (until_in's bounded poll).
until_count() {
	for _ in $(seq $(($4 * 5))); do
		[ "$(tr -d '\r' <"$1" | grep -caE "$2")" -ge "$3" ] && return 0
		kill -0 "$VM" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# sd ID: the collector's lines of event ID (PROTOCOL|PRI|HOST|APP|MSGID|STRUCTURED-DATA)
sd() { grep "|$1|" "$BATS_FILE_TMPDIR/collector/parsed.log"; }
# body ID: the JSON bodies (the raw message after the BOM) of event ID
body() { grep -a " $1 \[kcc@" "$BATS_FILE_TMPDIR/collector/out.log" | sed 's/^[^{]*//'; }

@test "lifecycle events (VM): a keyslot rotation in the initrd arrives as KCC-KEY-ROTATED with component state-partition" {
	S=$BATS_FILE_TMPDIR
	cat "$S/steps"
	sd KCC-KEY-ROTATED || true
	boot_log life 1 | grep -aE 'key rotated|kcc-forward|rotate' || true
	in_boot life 1 'kcc-init: state: key rotated \(state.rotate-days is 1 and the key is [0-9]{5} days old\)'
	grep -qx rotated "$S/steps"
	# once; notice (13 x 8 + 5), its id, a boot, a sequence number, the component
	[ "$(sd KCC-KEY-ROTATED | wc -l)" -eq 1 ]
	sd KCC-KEY-ROTATED | grep -qE "^1\|109\|$NODE\|kcc-init\|KCC-KEY-ROTATED\|\[kcc@32473 id=\"KCC-KEY-ROTATED\" boot=\"[0-9a-f-]{36}\" seq=\"[0-9]+\"\]\[kcc-fields@32473 component=\"state-partition\"\]$"
	# the ECS body: action, category and the line kcc-init logged
	body KCC-KEY-ROTATED | grep -qE '"action": ?"key-rotated"'
	body KCC-KEY-ROTATED | grep -q '"configuration"'
	body KCC-KEY-ROTATED | grep -q 'state: key rotated (state.rotate-days is 1 and the key is [0-9]* days old): keyslot 0 -> 1'
}

@test "lifecycle events (VM): pull mode's apply arrives as KCC-UPDATE-APPLIED with the version, from the rotation's boot" {
	S=$BATS_FILE_TMPDIR
	V3=$(jq -r .version "$IMAGE_V3/manifest.json")
	sd KCC-UPDATE-APPLIED || true
	in_boot life 1 "pull: $(sed 's/\./\\./g' <<<"$V3") is published \(running .*\): applying"
	grep -qx applied "$S/steps"
	[ "$(sd KCC-UPDATE-APPLIED | wc -l)" -eq 1 ]
	sd KCC-UPDATE-APPLIED | grep -qE "^1\|109\|$NODE\|kcc-update\|KCC-UPDATE-APPLIED\|\[kcc@32473 id=\"KCC-UPDATE-APPLIED\" boot=\"[0-9a-f-]{36}\" seq=\"[0-9]+\"\]\[kcc-fields@32473 version=\"$(sed 's/\./\\./g' <<<"$V3")\"\]$"
	body KCC-UPDATE-APPLIED | grep -q "apply: $V3 staged in slot [ab] (root hash $(jq -r .roothash "$IMAGE_V3/manifest.json"))"
	# the same boot as the rotation (boot 1; its forwarder or the next one's spool sent it)
	[ "$(sd KCC-UPDATE-APPLIED | grep -o 'boot="[^"]*"')" = "$(sd KCC-KEY-ROTATED | grep -o 'boot="[^"]*"')" ]
}

@test "lifecycle events (VM): the loader's rollback of a release whose kubelet never got healthy arrives once as KCC-UPDATE-ROLLED-BACK" {
	S=$BATS_FILE_TMPDIR
	V=$(jq -r .version "$IMAGE/manifest.json") V3=$(jq -r .version "$IMAGE_V3/manifest.json")
	sd KCC-UPDATE-ROLLED-BACK || true
	in_boot life 2 "kcc-init: boot marked bad \(not healthy 30s after PID 1 started\)"
	in_boot life 3 'kcc-init: boot not counted'
	in_boot life 3 "kcc-update: ROLLED BACK: $(sed 's/\./\\./g' <<<"$V3") was rolled back"
	grep -qx rolled-back "$S/steps"
	# error (13 x 8 + 3), kcc-update's line as PID 1 relays it (APP-NAME the service), component kcc-update
	sd KCC-UPDATE-ROLLED-BACK | grep -qE "^1\|107\|$NODE\|kcc-update\|KCC-UPDATE-ROLLED-BACK\|\[kcc@32473 id=\"KCC-UPDATE-ROLLED-BACK\" boot=\"[0-9a-f-]{36}\" seq=\"[0-9]+\"\]\[kcc-fields@32473 component=\"kcc-update\"\]$"
	body KCC-UPDATE-ROLLED-BACK | grep -qF "ROLLED BACK: $V3 was rolled back: its boot entry is marked bad, the node runs $V again"
	# another boot than the rotation's
	[ "$(sd KCC-UPDATE-ROLLED-BACK | grep -o 'boot="[^"]*"' | sort -u)" != "$(sd KCC-KEY-ROTATED | grep -o 'boot="[^"]*"')" ]
	# once a rollback, not once a poll: the node polled the channel again after it (v3 still
	# published, left alone) and the line, the event, came once
	[ "$(boot_log life 3 | grep -caE 'pull: [^ ]+ rolled back on this node')" -ge 2 ]
	[ "$(boot_log life 3 | grep -caE 'kcc-update: ROLLED BACK')" -eq 1 ]
	[ "$(sd KCC-UPDATE-ROLLED-BACK | wc -l)" -eq 1 ]
}

@test "lifecycle events (VM): every event once per boot and sequence number, and the forwarder never crashed" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	cut -d'|' -f5,6 "$p" | sed 's/\]\[kcc-fields.*//'
	[ "$(grep -o 'boot="[^"]*" seq="[0-9]*"' "$p" | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(tr -d '\r' <"$S/life.log" | grep -caE 'kcc-forward \(pid [0-9]+\) killed by signal (4|6|7|8|11|31) ')" -eq 0 ]
}
