#!/usr/bin/env bats
# A two-node rollout by a small pipeline (tests/pipeline-rollout.sh, docs/upgrades.md "A
# rollout"), on the host: each node is a copy of the built test disk served by `kcc-update serve
# --pull` under a node stand-in (tests/bats/node-standin.sh) that plays its PID 1, its reboot and
# its next boot; the nodes poll their channels over HTTP and take their reboot slot from the
# FleetLock stand-in (one slot). Node 2 is published only once node 1 runs the new version blessed;
# when node 1 rolls back instead, the pipeline halts and node 2 is left untouched.
# Not a VM test: the reboots and boots are the stand-in's (see the docs for what that leaves out).
load helper
load update-node

setup_file() {
	update_node_setup_file
	mkdir "$BATS_FILE_TMPDIR/lock"
	LOCK_PORT=$((20000 + RANDOM % 20000))
	"$TOP/tests/fleetlock-standin.py" "$LOCK_PORT" 1 "$BATS_FILE_TMPDIR/lock" >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/lock.pid"
	for _ in $(seq 100); do [ -e "$BATS_FILE_TMPDIR/lock/ready" ] && break; sleep 0.1; done
	export LOCK_PORT
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/lock.pid")" 2>/dev/null || true
}

setup() {
	local t=$BATS_TEST_TMPDIR
	HTTP_PORT=$((LOCK_PORT + 1 + RANDOM % 1000))
	python3 -m http.server --bind 127.0.0.1 --directory "$t" "$HTTP_PORT" >/dev/null 2>&1 3>&- &
	HTTP=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && break; sleep 0.1; done
	PIDS=()
}

teardown() {
	kill "${PIDS[@]}" "$HTTP" 2>/dev/null || true
}

# node K MODE: node K's files and its stand-in (good: v2 gets blessed; rollback: it never gets healthy)
node() {
	local d=$BATS_TEST_TMPDIR/n$1
	mkdir -p "$d/esp" "$d/run" "$d/channel"
	cp --sparse=always "$I/disk.raw" "$d/disk.raw"
	MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$d/disk.raw@@1M" ::/EFI ::/loader "$d/esp/"
	mv "$d/esp/EFI/Linux/kcc-node_$V1+3.efi" "$d/esp/EFI/Linux/kcc-node_$V1.efi"
	cp "$BATS_FILE_TMPDIR/cmdline" "$d/cmdline"
	cp "$BATS_FILE_TMPDIR/root/usr/lib/os-release" "$d/os-release"
	jq -n --arg u "http://127.0.0.1:$HTTP_PORT/n$1/channel/" --arg f "http://127.0.0.1:$LOCK_PORT" \
		'{version: 1, update: {url: $u, "fleetlock-url": $f, "fleetlock-group": "pipeline"}}' >"$d/node.json"
	"$TOP/tests/bats/node-standin.sh" "$d" "$2" "$UPD" "$KEY" >/dev/null 2>&1 3>&- &
	PIDS+=($!)
	for _ in $(seq 100); do [ -S "$d/update.sock" ] && return 0; sleep 0.05; done
	return 1
}

rollout() {
	KCC_UPDATE=$UPD "$TOP/tests/pipeline-rollout.sh" --timeout 120 "$BATS_FILE_TMPDIR/v2.bundle" \
		"$BATS_TEST_TMPDIR/n1/channel:$BATS_TEST_TMPDIR/n1/update.sock" \
		"$BATS_TEST_TMPDIR/n2/channel:$BATS_TEST_TMPDIR/n2/update.sock"
}

@test "pipeline: node 1 is upgraded and blessed, then node 2; each took and released the FleetLock slot" {
	node 1 good
	node 2 good
	run rollout
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "pipeline: node 1: $V2 published" ]
	[ "${lines[2]}" = "pipeline: node 1: $V2 running, blessed" ]
	[ "${lines[3]}" = "pipeline: node 2: $V2 published" ]
	[ "${lines[4]}" = "pipeline: node 2: $V2 running, blessed" ]
	[ "${lines[5]}" = "pipeline: $V2 on all 2 node(s)" ]
	# one reboot each, in order; node 2 rebooted only after node 1 was blessed
	[ "$(cat "$BATS_TEST_TMPDIR/n1/reboots")" = "reboot into $V2 (good)" ]
	[ "$(cat "$BATS_TEST_TMPDIR/n2/reboots")" = "reboot into $V2 (good)" ]
	[ "$(grep -c 'pre-reboot .* 200$' "$BATS_FILE_TMPDIR/lock/requests.log")" -ge 2 ]
}

@test "pipeline: node 1 rolls back: the pipeline halts, node 2 is untouched, the rollback is reported" {
	node 1 rollback
	node 2 good
	before=$(sha256sum <"$BATS_TEST_TMPDIR/n2/disk.raw")
	run rollout
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[2]}" = "pipeline: node 1: $V2 rolled back (running $V1): halted, 1 node(s) left untouched" ]
	[ ! -e "$BATS_TEST_TMPDIR/n2/channel/kcc-node.bundle" ]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/n2/disk.raw")" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/n2/reboots" ]
	jq -e '.status == "True"' "$BATS_TEST_TMPDIR/n1/run/kcc/update-condition.json"
	# node 1 does not try the rolled-back version again
	for _ in $(seq 100); do grep -q "rolled back on this node" "$BATS_TEST_TMPDIR/n1/serve.log" && break; sleep 0.05; done
	grep -q "pull: $V2 rolled back on this node" "$BATS_TEST_TMPDIR/n1/serve.log"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/n1/reboots")" -eq 1 ]
}
