#!/usr/bin/env bats
# make check-long (tests/check-long.sh): a rollout of two VM nodes by the pipeline script
# (tests/pipeline-rollout.sh; docs/upgrades.md, "A rollout"), about 4 minutes under TCG.
# Two qemu at once, each UEFI + Secure Boot + swtpm with its own disk, TPM and OVMF variables, each
# in pull mode on its own channel (a folder on the host, python's http.server) and both on one
# FleetLock stand-in with one slot (tests/fleetlock-standin.py), reached at 10.0.2.100 through
# qemu's user network. The node configuration turns on the read-only status endpoint
# (update.status-port, the kcc-update-status service), forwarded to the host: the pipeline reads
# each node's `kcc-update status` there, with no shell and no socket on the node.
#   (a) the second test release (v2) rolled out: node 1 applies it, reboots, is blessed; only then
#       is it published to node 2, which does the same;
#   (b) a broken v3 (built with kcc_test.unready=kcc-kubelet kcc.bless_timeout=30: its kubelet
#       never gets healthy) rolled out: node 1 boots it, PID 1 marks it bad after 30 s, the loader
#       brings v2 back, kcc-update reports rolled_back; the pipeline halts (exit 1) and node 2 never
#       sees v3.
# The boots: node 1 v1, v2, v3, v2 (4); node 2 v1, v2 (2). Every wait is on an event (a status, a
# serial line); the pipeline's own poll is once a second.
load ../helper
. "$TOP/tests/free-port.sh"

IMAGE_V2=${KCC_TEST_IMAGE_V2:-$TOP/build/test-v2}
IMAGE_V3=${KCC_TEST_IMAGE_V3:-$TOP/build/test-v3}
STEP_TIMEOUT=1200 # per node and release, seconds: two TCG guests share the host's cores

# wait_log NAME REGEX S: waits until the serial log of NAME matches (1 after S seconds).
wait_log() {
	local end=$(($(date +%s) + $3))
	until tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | grep -qaE -- "$2"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

# node K: node K's files, its channel server and its qemu.
node() {
	local d=$BATS_FILE_TMPDIR k=$1 http sp
	mkdir -p "$d/n$k/channel" "$d/n$k.tpm"
	http=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$d/n$k/channel" "$http" >"$d/n$k.http.log" 2>&1 3>&- &
	echo $! >>"$d/pids"
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$http/" && break; sleep 0.1; done
	sp=$(free_port)
	echo "$sp" >"$d/n$k.status-port"
	jq -n --arg h "rollout-node-$k" '{version: 1, hostname: $h,
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		update: {url: "http://10.0.2.100:8081/", "fleetlock-url": "http://10.0.2.100:8082",
			"fleetlock-group": "workers", "status-port": 8090, "poll-seconds": 10}}' >"$d/n$k.json"
	disk_copy "$d/n$k.raw"
	: >"$d/n$k.log"
	"$RUN_VM" --image "$IMAGE" --log "$d/n$k.log" --mode uefi --vars "$VARS" --timeout 3600 \
		--reboots 5 --disk "$d/n$k.raw" --tpm-state "$d/n$k.tpm" --fw-cfg "$d/n$k.json" \
		--guest-forward "8081:$http" --guest-forward "8082:$LOCK_PORT" --forward "$sp:8090" \
		--smbios-11 io.kcc-node.test.shutdown=none >"$d/n$k.run.log" 2>&1 3>&- &
	echo $! >"$d/n$k.vm.pid"
}

status_url() { echo "http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/n$1.status-port")/status"; }

# rollout BUNDLE NAME: the pipeline over both nodes, its output (each line after the seconds since
# the start) in NAME.out and its exit code in NAME.rc
rollout() {
	local d=$BATS_FILE_TMPDIR t0
	t0=$(date +%s)
	set +e
	KCC_UPDATE=$TOP/build/bin/kcc-update "$TOP/tests/pipeline-rollout.sh" --timeout $STEP_TIMEOUT "$1" \
		"$d/n1/channel:$(status_url 1)" "$d/n2/channel:$(status_url 2)" 2>&1 |
		while IFS= read -r l; do echo "$(($(date +%s) - t0)) $l"; done >"$d/$2.out"
	echo "${PIPESTATUS[0]}" >"$d/$2.rc"
	set -e
}

# A sampler of both status endpoints, once a second: "EPOCH K VERSION BLESSED" or "EPOCH K down"
# (the figures: each node's downtime).
sampler() {
	while :; do
		for k in 1 2; do
			s=$(curl -fsS --max-time 2 "$(status_url $k)" 2>/dev/null | jq -r '"\(.running.version) \(.running.blessed)"' 2>/dev/null)
			echo "$(date +%s) $k ${s:-down}"
		done
		sleep 1
	done >"$BATS_FILE_TMPDIR/samples"
}

setup_file() {
	local d=$BATS_FILE_TMPDIR
	[ -f "$IMAGE_V2/disk.raw" ] && [ -f "$IMAGE_V3/disk.raw" ]
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	mkdir -p "$d/lock"
	LOCK_PORT=$(free_port)
	"$TOP/tests/fleetlock-standin.py" "$LOCK_PORT" 1 "$d/lock" >"$d/lock.log" 2>&1 3>&- &
	echo $! >>"$d/pids"
	for _ in $(seq 100); do [ -e "$d/lock/ready" ] && break; sleep 0.1; done
	# node 2 starts once node 1's first boot is blessed: two first boots at once under TCG would
	# both run against their 120 s bless deadline
	node 1
	wait_log n1 'kcc-init: boot blessed|boot marked bad|boot stopped' 900
	node 2
	sampler 3>&- &
	echo $! >>"$d/pids"
	t0=$(date +%s)
	rollout "$IMAGE_V2/$(jq -r .bundle "$IMAGE_V2/manifest.json")" v2
	rollout "$IMAGE_V3/$(jq -r .bundle "$IMAGE_V3/manifest.json")" v3
	echo $(($(date +%s) - t0)) >"$d/total-seconds"
	# node 1's service has seen v3 published again after the rollback and left it alone
	wait_log n1 "pull: $(regex "$(jq -r .version "$IMAGE_V3/manifest.json")") rolled back on this node" 300 || true
	curl -fsS "$(status_url 2)" >"$d/n2.final" || true
	curl -fsS "$(status_url 1)" >"$d/n1.final" || true
	cleanup
	for k in 1 2; do esp_entries "$d/n$k.raw" >"$d/n$k.entries"; done
}

cleanup() {
	local d=$BATS_FILE_TMPDIR
	# run-vm.sh ends with its qemu: stopped through the timeout that runs it (which passes the
	# signal on; it runs qemu in a process group of its own)
	for k in 1 2; do
		[ -f "$d/n$k.vm.pid" ] && kill $(pgrep -P "$(cat "$d/n$k.vm.pid")" -x timeout) 2>/dev/null || true
	done
	[ -f "$d/pids" ] && kill $(cat "$d/pids") 2>/dev/null || true
	for k in 1 2; do
		[ -f "$d/n$k.vm.pid" ] && while kill -0 "$(cat "$d/n$k.vm.pid")" 2>/dev/null; do sleep 0.2; done
	done
	return 0
}

teardown_file() {
	cleanup
}

# the node's boot N (qemu run nK)
in_node_boot() { in_boot "n$1" "$2" "$3"; }

# pipeline_said NAME RC: the pipeline run NAME exited with RC and printed standard input's lines
pipeline_said() {
	cat "$BATS_FILE_TMPDIR/$1.out"
	[ "$(cat "$BATS_FILE_TMPDIR/$1.rc")" -eq "$2" ]
	diff -u - <(cut -d' ' -f2- "$BATS_FILE_TMPDIR/$1.out")
}

# regex VERSION: the version with its dots escaped
regex() { sed 's/\./\\./g' <<<"$1"; }

@test "rollout (VM): v2 goes to node 1, which applies it, reboots and is blessed; only then to node 2" {
	V2=$(jq -r .version "$IMAGE_V2/manifest.json")
	E2=$(regex "$V2")
	pipeline_said v2 0 <<-EOF
	pipeline: rolling out $V2 to 2 node(s), one at a time
	pipeline: node 1: $V2 published
	pipeline: node 1: $V2 running, blessed
	pipeline: node 2: $V2 published
	pipeline: node 2: $V2 running, blessed
	pipeline: $V2 on all 2 node(s)
	EOF
	for k in 1 2; do
		in_node_boot $k 1 "pull: $E2 is published \(running .*\): applying"
		in_node_boot $k 1 "pull: reboot lock taken from http://10.0.2.100:8082 \(id rollout-node-$k, group workers\)"
		in_node_boot $k 2 "Kernel command line: .* kcc.roothash=$(jq -r .roothash "$IMAGE_V2/manifest.json")"
		in_node_boot $k 2 "kcc-init: boot blessed: .EFI.Linux.kcc-node_$E2\+2-1\.efi -> kcc-node_$E2\.efi"
		in_node_boot $k 2 "pull: steady: $E2 blessed, reboot lock released \(id rollout-node-$k, group workers\)"
	done
}

@test "rollout (VM): the FleetLock stand-in's one slot was never held by both nodes, and node 2 took it after node 1 gave it back" {
	run cat "$BATS_FILE_TMPDIR/lock/requests.log"
	echo "$output"
	# replay: at most one holder at any time, and every request of the two nodes granted
	awk '$4 == 200 && $1 == "pre-reboot" { h[$2] = 1 } $4 == 200 && $1 == "steady-state" { delete h[$2] }
		{ n = 0; for (i in h) n++; if (n > 1) { print "both hold the slot at line " NR; exit 1 } }' \
		"$BATS_FILE_TMPDIR/lock/requests.log"
	! grep -q ' 409$' "$BATS_FILE_TMPDIR/lock/requests.log"
	# the pre-reboot of node 2 (v2) comes after node 1's release in its v2 boot
	n1_released=$(grep -n '^steady-state rollout-node-1 ' "$BATS_FILE_TMPDIR/lock/requests.log" | sed -n 2p | cut -d: -f1)
	n2_taken=$(grep -n '^pre-reboot rollout-node-2 ' "$BATS_FILE_TMPDIR/lock/requests.log" | head -n1 | cut -d: -f1)
	[ -n "$n1_released" ] && [ -n "$n2_taken" ]
	[ "$n1_released" -lt "$n2_taken" ]
	[ ! -s "$BATS_FILE_TMPDIR/lock/holders" ]
}

@test "rollout (VM): a v3 whose kubelet never gets healthy is rolled back on node 1; the pipeline halts and node 2 keeps v2" {
	V2=$(jq -r .version "$IMAGE_V2/manifest.json") V3=$(jq -r .version "$IMAGE_V3/manifest.json")
	E3=$(regex "$V3")
	pipeline_said v3 1 <<-EOF
	pipeline: rolling out $V3 to 2 node(s), one at a time
	pipeline: node 1: $V3 published
	pipeline: node 1: $V3 rolled back (running $V2): halted, 1 node(s) left untouched
	EOF
	# node 1: v3 applied in its v2 boot, booted, marked bad by PID 1, v2 back by itself
	in_node_boot 1 2 "pull: $E3 is published \(running .*\): applying"
	in_node_boot 1 3 "Kernel command line: .* kcc_test.unready=kcc-kubelet kcc.bless_timeout=30"
	in_node_boot 1 3 "kcc-init: boot marked bad \(not healthy 30s after PID 1 started\): .EFI.Linux.kcc-node_$E3\+2-1\.efi -> kcc-node_$E3\+0-1\.efi"
	! boot_log n1 3 | grep -qa 'boot blessed'
	in_node_boot 1 4 'kcc-init: boot not counted'
	in_node_boot 1 4 "kcc-update: ROLLED BACK: $E3 was rolled back"
	jq -e --arg v2 "$V2" --arg v3 "$V3" '.running.version == $v2 and .running.blessed and .rolled_back and
		.other.version == $v3 and .other.state == "bad"' "$BATS_FILE_TMPDIR/n1.final"
	grep -qx "kcc-node_$V3+0-1.efi" "$BATS_FILE_TMPDIR/n1.entries"
	grep -qx "kcc-node_$V2.efi" "$BATS_FILE_TMPDIR/n1.entries"
	# node 2: its channel still holds v2, it never heard of v3 and still runs v2, blessed
	cmp "$BATS_FILE_TMPDIR/n2/channel/kcc-node.bundle" "$IMAGE_V2/$(jq -r .bundle "$IMAGE_V2/manifest.json")"
	! grep -qaF "$V3" "$BATS_FILE_TMPDIR/n2.log"
	jq -e --arg v2 "$V2" '.running.version == $v2 and .running.blessed and (.rolled_back | not)' "$BATS_FILE_TMPDIR/n2.final"
	[ "$(boot_log n2 3 | wc -l)" -eq 0 ]
}

@test "rollout (VM): figures: each node's downtime per upgrade, the whole rollout's time" {
	# downtime: from the last answer of the old boot to the first answer of the new boot saying
	# blessed, from the sampler (1 s resolution)
	awk '{ k = $2; st = $3 " " $4 }
		st != last[k] { if (last[k] != "" && $3 == "down" && !(k in down)) down[k] = prev[k];
			if ($3 != "down" && $4 == "true" && (k in down)) { printf "node %s: down %d s (%s)\n", k, $1 - down[k], $3; delete down[k] } }
		{ last[k] = st; prev[k] = $1 }' "$BATS_FILE_TMPDIR/samples" | tee "$BATS_FILE_TMPDIR/figures"
	echo "rollout of v2 and v3 (halted): $(cat "$BATS_FILE_TMPDIR/total-seconds") s" | tee -a "$BATS_FILE_TMPDIR/figures"
	sed 's/^/# /' "$BATS_FILE_TMPDIR/figures" >&3
	[ "$(grep -c '^node 1: down' "$BATS_FILE_TMPDIR/figures")" -eq 2 ]
	[ "$(grep -c '^node 2: down' "$BATS_FILE_TMPDIR/figures")" -eq 1 ]
}
