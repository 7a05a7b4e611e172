#!/usr/bin/env bats
# A two-node rollout by a small pipeline (tests/pipeline-rollout.sh, docs/upgrades.md "A
# rollout"), on the host: each node is a copy of the built test disk served by `kcc-update serve
# --pull` under a node stand-in (tests/bats/node-standin.sh) that plays its PID 1, its reboot and
# its next boot; the nodes poll their channels over HTTP and take their reboot slot from the
# FleetLock stand-in (one slot). Node 2 is published only once node 1 runs the new version blessed;
# when node 1 rolls back instead, the pipeline halts and node 2 is left untouched. The pipeline
# reads one node through its update socket and the other through its read-only status endpoint
# (kcc-update status-server), the two NODE forms of the script.
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
	mkdir -p "$d/esp" "$d/run/kcc/update-status" "$d/channel"
	cp --sparse=always "$I/disk.raw" "$d/disk.raw"
	MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$d/disk.raw@@1M" ::/EFI ::/loader "$d/esp/"
	mv "$d/esp/EFI/Linux/kcc-node_$V1+3.efi" "$d/esp/EFI/Linux/kcc-node_$V1.efi"
	cp "$BATS_FILE_TMPDIR/cmdline" "$d/cmdline"
	cp "$BATS_FILE_TMPDIR/root/usr/lib/os-release" "$d/os-release"
	jq -n --arg u "http://127.0.0.1:$HTTP_PORT/n$1/channel/" --arg f "http://127.0.0.1:$LOCK_PORT" \
		'{version: 1, update: {url: $u, "fleetlock-url": $f, "fleetlock-group": "pipeline"}}' >"$d/node.json"
	"$TOP/tests/bats/node-standin.sh" "$d" "$2" "$UPD" "$KEY" >/dev/null 2>&1 3>&- &
	PIDS+=($!)
	# the status endpoint, as the kcc-update-status service runs it (on 127.0.0.1 here)
	free_port >"$d/status-port"
	"$UPD" status-server --port-file "$d/status-port" --file "$d/run/kcc/update-status/status.json" \
		--address 127.0.0.1 >"$d/status-server.log" 2>&1 3>&- &
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -S "$d/update.sock" ] && curl -s -o /dev/null "http://127.0.0.1:$(cat "$d/status-port")/status" && return 0
		sleep 0.05
	done
	return 1
}

# status_url K: node K's status endpoint
status_url() { echo "http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/n$1/status-port")/status"; }

# rollout STATUS1 STATUS2: the pipeline, reading node K's status from STATUSK
rollout() {
	KCC_UPDATE=$UPD "$TOP/tests/pipeline-rollout.sh" --timeout 120 "$BATS_FILE_TMPDIR/v2.bundle" \
		"$BATS_TEST_TMPDIR/n1/channel:$1" "$BATS_TEST_TMPDIR/n2/channel:$2"
}

@test "pipeline: node 1 is upgraded and blessed, then node 2; each took and released the FleetLock slot" {
	node 1 good
	node 2 good
	run rollout "$BATS_TEST_TMPDIR/n1/update.sock" "$(status_url 2)"
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
	run rollout "$(status_url 1)" "$BATS_TEST_TMPDIR/n2/update.sock"
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
