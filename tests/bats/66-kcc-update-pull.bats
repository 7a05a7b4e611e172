#!/usr/bin/env bats
# kcc-update pull (docs/upgrades.md, "Pull mode") on a copy of the built test disk: the node
# configuration's update.url names the published bundle (served by python's http.server), the
# reboot lock comes from the FleetLock stand-in (tests/fleetlock-standin.py, one slot), and PID 1
# is played by a stand-in process that records kured's signal (SIGRTMIN+5) through --init-pid.
load helper
load update-node

setup_file() {
	update_node_setup_file
	local d=$BATS_FILE_TMPDIR
	# a bundle signed with another key: refused
	openssl genpkey -algorithm ed25519 -out "$d/other.pem" 2>/dev/null
	"$MKB" --key "$d/other.pem" --version "$V2" --epoch "$EPOCH" --variant test \
		--roothash "$RH2" --out "$d/wrongkey.bundle" \
		"$I/root.erofs" "$I/root.verity" "$I/kcc-node.efi" "$I/tpm2-pcr-signature.json"
	mkdir "$d/www"
	HTTP_PORT=$((20000 + RANDOM % 20000))
	python3 -m http.server --bind 127.0.0.1 --directory "$d/www" "$HTTP_PORT" >/dev/null 2>&1 &
	echo $! >"$d/http.pid"
	mkdir "$d/lock"
	LOCK_PORT=$((HTTP_PORT + 1))
	"$TOP/tests/fleetlock-standin.py" "$LOCK_PORT" 1 "$d/lock" &
	echo $! >"$d/lock.pid"
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && [ -e "$d/lock/ready" ] && break
		sleep 0.1
	done
	export HTTP_PORT LOCK_PORT ID=$(hostname)
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/http.pid")" "$(cat "$BATS_FILE_TMPDIR/lock.pid")" 2>/dev/null || true
}

setup() {
	update_node_setup
	init_standin
	config "http://127.0.0.1:$HTTP_PORT/channel.bundle"
	# the published bundle: v2 unless a test says otherwise
	ln -sf ../v2.bundle "$BATS_FILE_TMPDIR/www/channel.bundle"
	# no holder left over from another test
	fl steady-state other >/dev/null
	fl steady-state "$ID" >/dev/null
}

teardown() {
	kill "$INIT" 2>/dev/null || true
}

# config URL [FLEETLOCK [CA_FILE]]: the node configuration
config() {
	jq -n --arg u "$1" --arg f "${2-http://127.0.0.1:$LOCK_PORT}" --arg ca "$(cat "${3:-/dev/null}")" \
		'{version: 1, update: ({url: $u, "fleetlock-group": "workers"} + (if $f == "" then {} else {"fleetlock-url": $f} end)
			+ (if $ca == "" then {} else {ca: $ca} end))}' >"$BATS_TEST_TMPDIR/node.json"
}

# tls_certs: a test CA ($BATS_TEST_TMPDIR/ca.pem), a server certificate for localhost issued by
# it (srv.pem, srv.key), and another CA (other-ca.pem)
tls_certs() {
	local t=$BATS_TEST_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=stand-in-ca -days 1 \
		-keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-keyout "$t/srv.key" -out "$t/srv.csr" 2>/dev/null
	openssl x509 -req -in "$t/srv.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -days 1 \
		-extfile <(echo subjectAltName=DNS:localhost) -out "$t/srv.pem" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -days 1 \
		-keyout "$t/other.key" -out "$t/other-ca.pem" 2>/dev/null
}

# tls_server DIR: an https server of DIR's files (openssl s_server -WWW) for localhost, its
# certificate from tls_certs; TLS_PORT, TLS_PID
tls_server() {
	local t=$BATS_TEST_TMPDIR
	tls_certs
	TLS_PORT=$((LOCK_PORT + 1))
	(cd "$1" && exec openssl s_server -quiet -accept "$TLS_PORT" -cert "$t/srv.pem" -key "$t/srv.key" -WWW) \
		>/dev/null 2>&1 &
	TLS_PID=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null --cacert "$t/ca.pem" "https://localhost:$TLS_PORT/kcc-node.bundle" && return 0
		sleep 0.1
	done
	return 1
}

# fl OP ID: a FleetLock request as another node would send it
fl() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'fleet-lock-protocol: true' \
		-d "{\"client_params\":{\"id\":\"$2\",\"group\":\"workers\"}}" "http://127.0.0.1:$LOCK_PORT/v1/$1"
}

pull() {
	upd pull --key "$KEY" --config "$BATS_TEST_TMPDIR/node.json" --init-pid "$INIT" "$@"
}

@test "pull: no update.url, no configuration: nothing to poll, exit 0" {
	echo '{"version":1}' >"$BATS_TEST_TMPDIR/node.json"
	run pull
	[ "$status" -eq 0 ]
	[ "$output" = "pull: no update.url in the node configuration: nothing to poll" ]
	run upd pull --key "$KEY" --config "$BATS_TEST_TMPDIR/none.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "pull: no node configuration ("*"): nothing to poll" ]]
}

@test "pull: a newer bundle is applied; the reboot waits for the FleetLock slot; released once the new boot is blessed" {
	# another node holds the group's only slot
	[ "$(fl pre-reboot other)" = 200 ]
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pull: steady: $V1 blessed, reboot lock released (id $ID, group workers)" ]
	[ "${lines[1]}" = "pull: $V2 is published (running $V1): applying" ]
	[ "${lines[2]}" = "pull: apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[[ "${lines[3]}" == "pull: reboot lock not granted (HTTP 409: failed_lock: all 1 slot(s) of group workers held: other): waiting" ]]
	[ ! -e "$BATS_TEST_TMPDIR/rebooted" ]
	upd status | jq -e '.staged_update == "'"$V2"'"'
	# the next round: still staged, nothing written again, still no slot
	run pull
	[ "$status" -eq 0 ]
	[[ "$output" == "pull: reboot lock not granted (HTTP 409: "* ]]
	# the other node is done: the slot is free, this node takes it and asks PID 1 to reboot
	[ "$(fl steady-state other)" = 200 ]
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pull: reboot lock taken from http://127.0.0.1:$LOCK_PORT (id $ID, group workers)" ]
	[ "${lines[1]}" = "pull: asked pid $INIT for an orderly reboot (SIGRTMIN+5)" ]
	wait_rebooted 1
	grep -qx "workers $ID" "$BATS_FILE_TMPDIR/lock/holders"
	# the new boot: not blessed yet, the slot stays held
	booted_v2
	mv "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2.efi" "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+2-1.efi"
	run pull
	[ "$output" = "pull: waiting: the running boot ($V2) is not blessed yet" ]
	grep -qx "workers $ID" "$BATS_FILE_TMPDIR/lock/holders"
	# blessed: the slot is released, and v2 is up to date
	mv "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+2-1.efi" "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2.efi"
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pull: steady: $V2 blessed, reboot lock released (id $ID, group workers)" ]
	[ "${lines[1]}" = "pull: up to date ($V2)" ]
	! grep -q "$ID" "$BATS_FILE_TMPDIR/lock/holders"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/rebooted")" -eq 1 ]
}

@test "pull: a version rolled back on this node is not applied again" {
	run pull
	[ "$status" -eq 0 ]
	wait_rebooted 1
	fl steady-state "$ID" >/dev/null
	# v2 never became healthy: its entry marked bad, the node back on v1
	mv "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+3.efi" "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+0-3.efi"
	rm "$BATS_TEST_TMPDIR/run/reboot-required"
	upd status | jq -e '.rolled_back == true'
	before=$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	# reported, never silent: a line on stderr and the condition node-problem-detector reads
	[ "${lines[0]}" = "kcc-update: ROLLED BACK: $V2 was rolled back: its boot entry is marked bad, the node runs $V1 again" ]
	[ "${lines[2]}" = "pull: $V2 rolled back on this node (its boot entry is marked bad): not applied again; publish a newer version" ]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")" = "$before" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/rebooted")" -eq 1 ]
	cond=$BATS_TEST_TMPDIR/run/kcc/update-condition.json
	jq -e --arg v "$V2" '.type == "KccUpdateRolledBack" and .status == "True" and .rolled_back == $v' "$cond"
	run "$UPD" condition --file "$cond"
	[ "$status" -eq 1 ] # node-problem-detector's NonOK
	[ "$output" = "$V2 was rolled back: its boot entry is marked bad, the node runs $V1 again" ]
	# the next poll of the same boot says it no more (one KCC-UPDATE-ROLLED-BACK a rollback, not
	# one a poll); the condition still does
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'ROLLED BACK' <<<"$output")" -eq 0 ]
	grep -qxF "pull: $V2 rolled back on this node (its boot entry is marked bad): not applied again; publish a newer version" <<<"$output"
	jq -e --arg v "$V2" '.status == "True" and .rolled_back == $v' "$cond"
}

@test "condition: no rollback is OK (0), no file is Unknown (2)" {
	run pull
	[ "$status" -eq 0 ]
	run "$UPD" condition --file "$BATS_TEST_TMPDIR/run/kcc/update-condition.json"
	[ "$status" -eq 0 ]
	[ "$output" = "running $V1, no rollback" ]
	run "$UPD" condition --file "$BATS_TEST_TMPDIR/nothing.json"
	[ "$status" -eq 2 ]
}

@test "pull: an older bundle is ignored, a bundle of another key refused with one line; nothing written" {
	before=$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")
	ln -sf ../0.9.0.bundle "$BATS_FILE_TMPDIR/www/channel.bundle"
	run pull
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "pull: the published 0.9.0 is older than the running $V1: ignored" ]
	ln -sf ../wrongkey.bundle "$BATS_FILE_TMPDIR/www/channel.bundle"
	run pull
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ] # the lock released, then the refusal (on stderr)
	[[ "$output" == *"kcc-update: pull: http://127.0.0.1:$HTTP_PORT/channel.bundle: bad signature: the manifest is not signed by this update key"* ]]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/disk.raw")" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/rebooted" ]
}

@test "pull over https: a channel directory (update.url ending in /) with update.ca; another CA is refused" {
	mkdir "$BATS_TEST_TMPDIR/channel"
	cp "$BATS_FILE_TMPDIR/v2.bundle" "$BATS_TEST_TMPDIR/channel/kcc-node.bundle"
	tls_server "$BATS_TEST_TMPDIR/channel"
	config "https://localhost:$TLS_PORT/" "" "$BATS_TEST_TMPDIR/other-ca.pem"
	run pull
	s1=$status o1=$output
	config "https://localhost:$TLS_PORT/" "" "$BATS_TEST_TMPDIR/ca.pem"
	run pull
	kill "$TLS_PID"
	echo "$o1"
	echo "$output"
	[ "$s1" -eq 111 ]
	[ "$o1" = "kcc-update: pull: https://localhost:$TLS_PORT/kcc-node.bundle: TLS handshake failed: unable to get local issuer certificate" ]
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "pull: apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	wait_rebooted 1
}

@test "pull: the FleetLock server over https (update.ca); one whose certificate chains to another CA is refused" {
	local t=$BATS_TEST_TMPDIR
	tls_certs
	mkdir "$t/tlslock"
	FL_PORT=$((LOCK_PORT + 2))
	"$TOP/tests/fleetlock-standin.py" "$FL_PORT" 1 "$t/tlslock" "$t/srv.pem" "$t/srv.key" &
	FL_PID=$!
	for _ in $(seq 100); do [ -e "$t/tlslock/ready" ] && break; sleep 0.1; done
	config "http://127.0.0.1:$HTTP_PORT/channel.bundle" "https://localhost:$FL_PORT" "$t/other-ca.pem"
	run pull
	s1=$status o1=$output
	config "http://127.0.0.1:$HTTP_PORT/channel.bundle" "https://localhost:$FL_PORT" "$t/ca.pem"
	run pull
	kill "$FL_PID"
	echo "$o1"
	echo "$output"
	[ "$s1" -eq 111 ]
	# the round's first request (the release of a slot held from before) fails, nothing else runs
	[ "$o1" = "kcc-update: pull: releasing the reboot lock: https://localhost:$FL_PORT: TLS handshake failed: unable to get local issuer certificate" ]
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pull: steady: $V1 blessed, reboot lock released (id $ID, group workers)" ]
	[ "${lines[3]}" = "pull: reboot lock taken from https://localhost:$FL_PORT (id $ID, group workers)" ]
	[ "$(cat "$t/tlslock/requests.log")" = "steady-state $ID workers 200
pre-reboot $ID workers 200" ]
	wait_rebooted 1
}

@test "pull without update.fleetlock-url: reboots at once after the apply" {
	config "http://127.0.0.1:$HTTP_PORT/channel.bundle" ""
	run pull
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = "pull: no update.fleetlock-url: rebooting without a lock" ]
	wait_rebooted 1
}

@test "serve --pull: the service polls on its own, applies and takes the lock" {
	local sock=$BATS_TEST_TMPDIR/update.sock
	"$UPD" serve --pull --interval 1 --key "$KEY" --socket="$sock" --config "$BATS_TEST_TMPDIR/node.json" \
		--init-pid "$INIT" "${NODE[@]}" >"$BATS_TEST_TMPDIR/serve.out" 2>&1 &
	pid=$!
	wait_rebooted 1 1200 # the apply runs in the service: up to a minute
	# the socket still answers between rounds
	run "$UPD" status --socket="$sock"
	kill "$pid"
	cat "$BATS_TEST_TMPDIR/serve.out"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.staged_update == "'"$V2"'"'
	grep -qx "pull: asked pid $INIT for an orderly reboot (SIGRTMIN+5)" "$BATS_TEST_TMPDIR/serve.out"
}
