#!/usr/bin/env bats
# The system-upgrade-controller contract (docs/upgrades.md, "system-upgrade-controller"): the
# builder's Plan and upgrade OCI image (image/suc.sh), and its command, kcc-suc, driven as the
# controller's prepare and upgrade containers would run it, against `kcc-update serve` on a copy of
# the built test disk; PID 1 is a stand-in that records kured's signal (--init-pid).
load helper
load update-node

KUBELET=$TOP/build/bin/kcc-kubelet
SUC=$TOP/build/bin/kcc-suc

setup_file() {
	update_node_setup_file
	"$TOP/image/suc.sh" "$SUC" "$BATS_FILE_TMPDIR/v2.bundle" "$V2" "$BATS_FILE_TMPDIR/suc" >/dev/null
}

setup() {
	update_node_setup
	init_standin
	SOCK=$BATS_TEST_TMPDIR/update.sock
	serve
}

teardown() {
	kill "$INIT" "$SERVE" 2>/dev/null || true
}

# serve: kcc-update serve on the node as NODE describes it now (SERVE: its pid)
serve() {
	[ -z "${SERVE:-}" ] || { kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; }
	rm -f "$SOCK"
	"$UPD" serve --key "$KEY" --socket="$SOCK" --init-pid "$INIT" "${NODE[@]}" 2>>"$BATS_TEST_TMPDIR/serve.log" &
	SERVE=$!
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
	return 1
}

suc() {
	"$SUC" --socket "$SOCK" --bundle "$BATS_FILE_TMPDIR/v2.bundle" "$@"
}

@test "suc.sh: the upgrade image is an OCI archive kcc-kubelet imports with every blob verified; it holds kcc-suc and the bundle" {
	local oci=$BATS_FILE_TMPDIR/suc/kcc-node-upgrade_$V2.oci.tar st=$BATS_TEST_TMPDIR/state
	run "$KUBELET" import --state "$st" --name up "$oci"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"1 image manifest(s), every blob verified"* ]]
	jq -e --arg v "$V2" '.manifests[0].annotations["org.opencontainers.image.ref.name"] == $v' "$st/images/up/index.json"
	m=$(jq -r '.manifests[0].digest' "$st/images/up/index.json" | cut -d: -f2)
	layer=$(jq -r '.layers[0].digest' "$st/images/up/blobs/sha256/$m" | cut -d: -f2)
	mkdir "$BATS_TEST_TMPDIR/l"
	tar -xzf "$st/images/up/blobs/sha256/$layer" -C "$BATS_TEST_TMPDIR/l"
	cmp "$BATS_TEST_TMPDIR/l/kcc-node.bundle" "$BATS_FILE_TMPDIR/v2.bundle"
	cmp "$BATS_TEST_TMPDIR/l/kcc-suc" "$SUC"
	# the Plan runs it: prepare stages, upgrade reboots
	grep -qx '  version: "'"$V2"'"' "$BATS_FILE_TMPDIR/suc/plan.yaml"
	grep -A3 '^  prepare:' "$BATS_FILE_TMPDIR/suc/plan.yaml" | grep -qx '    args: \["prepare"\]'
	grep -A3 '^  upgrade:' "$BATS_FILE_TMPDIR/suc/plan.yaml" | grep -qx '    args: \["upgrade"\]'
	# reproducible
	"$TOP/image/suc.sh" "$SUC" "$BATS_FILE_TMPDIR/v2.bundle" "$V2" "$BATS_TEST_TMPDIR/again" >/dev/null
	cmp "$oci" "$BATS_TEST_TMPDIR/again/kcc-node-upgrade_$V2.oci.tar"
}

@test "kcc-suc: prepare stages (twice is safe), upgrade asks PID 1 to reboot, re-run after the reboot reports success" {
	run suc prepare
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "kcc-suc: prepare: apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	run suc prepare
	[ "$status" -eq 0 ]
	[[ "$output" == "kcc-suc: prepare: apply: $V2 already staged in slot b"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/rebooted" ]
	# upgrade: the reboot is asked for; the container waits for it (here: 1 s, then it fails)
	run suc --wait 1 upgrade
	echo "$output"
	[ "$status" -eq 111 ]
	[ "${lines[0]}" = "kcc-suc: upgrade: apply: $V2 already staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[ "${lines[1]}" = "kcc-suc: upgrade: reboot: asked PID 1 for an orderly reboot; waiting for it" ]
	wait_rebooted 1
	# after the reboot, the controller runs the job again: success, nothing written
	booted_v2
	serve
	before=$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")
	run suc upgrade
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "kcc-suc: upgrade: done: apply: $V2 is the running version: nothing to do" ]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")" = "$before" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/rebooted")" -eq 1 ]
}

@test "kcc-suc: a refused bundle fails the job with kcc-update's line and code, and no reboot is asked for" {
	run "$SUC" --socket "$SOCK" --bundle "$BATS_FILE_TMPDIR/0.9.0.bundle" upgrade
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "kcc-suc: upgrade: apply: "*"refused (downgrade)"* ]]
	# the socket's reboot alone: refused while no update waits
	run python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"kcc-update/1 reboot\n"); print(s.recv(200).decode().strip())' "$SOCK"
	[ "$output" = "1 reboot: refused: no update waits for a reboot" ]
	[ ! -e "$BATS_TEST_TMPDIR/rebooted" ]
}
