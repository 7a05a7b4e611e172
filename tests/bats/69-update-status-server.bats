#!/usr/bin/env bats
# kcc-update status-server (docs/upgrades.md, "A rollout"): the update status a rollout pipeline
# reads without a shell, read-only over HTTP: GET /status answers the file kcc-update serve
# writes, nothing else is served.
load helper

UPD=$TOP/build/bin/kcc-update

setup() {
	d=$BATS_TEST_TMPDIR
	free_port >"$d/port"
	PORT=$(cat "$d/port")
	"$UPD" status-server --port-file "$d/port" --file "$d/status.json" --address 127.0.0.1 >"$d/server.log" 2>&1 3>&- &
	SERVER=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0; sleep 0.05; done
	return 1
}

teardown() {
	kill "$SERVER" 2>/dev/null || true
}

@test "status-server: GET /status answers the status file as JSON, 503 until there is one" {
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/status"
	[ "$output" = 503 ]
	echo '{"running":{"version":"2","blessed":true},"rolled_back":false}' >"$d/status.json"
	run curl -fsS -D "$d/head" "http://127.0.0.1:$PORT/status"
	[ "$status" -eq 0 ]
	[ "$(jq -r .running.version <<<"$output")" = 2 ]
	grep -qi '^content-type: application/json' "$d/head"
	grep -q 'GET /status on 127.0.0.1:' "$d/server.log"
}

@test "status-server: read-only, one path: other methods 405, other paths 404, garbage 400" {
	echo '{}' >"$d/status.json"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "http://127.0.0.1:$PORT/status")" = 405 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data x "http://127.0.0.1:$PORT/status")" = 405 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/status.json")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$PORT/../status.json")" = 404 ]
	run timeout 10 python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"NOT HTTP\r\n\r\n")
print(s.recv(4096).decode().splitlines()[0])' "$PORT"
	[[ "$output" == "HTTP/1.1 400 "* ]]
	# the file is unchanged and the server still answers
	[ "$(cat "$d/status.json")" = '{}' ]
	[ "$(curl -s "http://127.0.0.1:$PORT/status")" = '{}' ]
}

@test "status-server: a port outside 1024..65535 or a missing port file is refused with one line (100)" {
	echo 80 >"$d/low"
	run "$UPD" status-server --port-file "$d/low" --file "$d/status.json"
	[ "$status" -eq 100 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"not a port of 1024 to 65535"* ]]
	run "$UPD" status-server --port-file "$d/missing"
	[ "$status" -eq 100 ]
	[[ "$output" == *"cannot read the port from"* ]]
	run "$UPD" status-server --bogus
	[ "$status" -eq 100 ]
}
