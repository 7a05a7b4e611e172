#!/usr/bin/env bats
# kcc-forward as the image runs it (docs/events.md, "The local event socket" and "The service"):
# a long-running forwarder with the local event socket, its destination from a file, and no client
# certificate until the join writes one. The collector is the real one (collector.sh: rsyslog,
# gtls, client certificates required).
load helper

FWD=$TOP/build/bin/kcc-forward
BOOT=0b0e5a34-5d6c-4b55-8d7e-3c2e9b1f4a10

setup() {
	PORT=$(free_port)
	C=$BATS_TEST_TMPDIR/c
	mkdir -p "$C/id"
	"$TOP/tests/bats/collector.sh" "$C" pki
	# The socket's folder, reachable by another uid (the test's own folders are not).
	SOCKDIR=$(mktemp -d)
	chmod 755 "$SOCKDIR"
	FPID=
}

teardown() {
	[ -z "$FPID" ] || kill "$FPID" 2>/dev/null || true
	"$TOP/tests/bats/collector.sh" "$C" stop
	rm -rf "$SOCKDIR"
}

# send [setpriv options] -- DATAGRAM: one datagram to the socket, as root or as another user.
send() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	# the system python: a per-user one may not be readable by the other uid
	${opts[0]:+setpriv "${opts[@]}"} /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])' "$SOCKDIR/events.sock" "$1"
}

wait_for() { # CMD...: polls (0.1 s steps, 20 s at most) until the command succeeds
	for _ in $(seq 200); do "$@" && return 0; sleep 0.1; done
	return 1
}

@test "forward socket: root's datagrams become events, another uid's and malformed ones are dropped; spooled until the join's certificate exists" {
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	echo "localhost:$PORT" >"$C/destination"
	"$FWD" run --destination-file "$C/destination" --ca "$C/pki/ca.pem" --cert "$C/id/node.crt" \
		--key "$C/id/node.key" --spool "$C/spool" --kmsg /dev/null --host node-1 \
		--boot-id "$BOOT" --socket "$SOCKDIR/events.sock" --ready-fd 3 \
		3>"$C/ready" >"$C/fwd.log" 2>&1 &
	FPID=$!
	wait_for test -s "$C/ready" || { cat "$C/fwd.log"; false; }
	[ "$(stat -c %a "$SOCKDIR/events.sock")" = 666 ]
	wait_for grep -q "no client certificate $C/id/node.crt yet" "$C/fwd.log"
	send -- $'id=KCC-SERVICE-CRASH\napp=kcc-init\nmessage=dhcpcd killed by signal 9\nfield.service=dhcpcd\n'
	send --reuid=65534 --regid=65534 --clear-groups -- $'id=KCC-POD-FAILURE\napp=forger\n'
	send -- $'id=KCC-EVENTS-LOST\napp=forger\n'
	send -- $'id=KCC-POD-FAILURE\napp=kcc-kubelet\nfield.pod=a\nfield.pod=b\n'
	wait_for grep -q 'refused a datagram from uid 65534' "$C/fwd.log"
	wait_for grep -q 'a forbidden datagram from pid' "$C/fwd.log"
	# The certificate arrives (the join): the spooled event goes out.
	cp "$C/pki/node.key" "$C/id/node.key"
	cp "$C/pki/node.pem" "$C/id/node.crt"
	wait_for grep -q 'KCC-SERVICE-CRASH' "$C/parsed.log"
	send -- $'id=KCC-UPDATE-APPLIED\napp=kcc-update\nfield.version=2\n'
	wait_for grep -q 'KCC-UPDATE-APPLIED' "$C/parsed.log"
	cat "$C/fwd.log" "$C/parsed.log"
	[ "$(grep -c . "$C/parsed.log")" -eq 2 ]
	grep -q "^1|107|node-1|kcc-init|KCC-SERVICE-CRASH|.*seq=\"1\".*service=\"dhcpcd\"" "$C/parsed.log"
	grep -q "^1|109|node-1|kcc-update|KCC-UPDATE-APPLIED|.*seq=\"2\".*version=\"2\"" "$C/parsed.log"
	# the sender's pid, from the kernel's credentials, is the event's PROCID
	grep 'KCC-SERVICE-CRASH' "$C/out.log" | sed 's/^[^{]*//' | jq -e '.process.pid > 1 and .message == "dhcpcd killed by signal 9"'
}

# The inbox (forward/inbox.h): records of boots that failed before /var was open, which PID 1
# left in the spool folder as datagrams; spooled first, then deleted; anything else deleted.
@test "forward inbox: a failed boot's record in the spool folder is spooled and sent once, then deleted; a forged one is dropped" {
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	cp "$C/pki/node.key" "$C/id/node.key"
	cp "$C/pki/node.pem" "$C/id/node.crt"
	mkdir -p "$C/spool"
	failed=11111111-2222-4333-8444-555555555555
	printf '%s\n' id=KCC-BOOT-FAILED-EARLIER app=kcc-init 'message=an earlier boot failed' \
		field.source=efi-variable-unauthenticated "field.failed_boot=$failed" \
		'field.stage=state partition' 'field.reason=The TPM did not release the state key' \
		>"$C/spool/failed-boot-$failed.event"
	printf '%s\n' id=KCC-UPDATE-APPLIED app=forger >"$C/spool/failed-boot-forged.event"
	printf 'not a datagram' >"$C/spool/failed-boot-garbage.event"
	for run in 1 2; do
		"$FWD" run --destination "localhost:$PORT" --ca "$C/pki/ca.pem" --cert "$C/id/node.crt" \
			--key "$C/id/node.key" --spool "$C/spool" --kmsg /dev/null --host node-1 \
			--boot-id "$BOOT" --once --timeout 20 >>"$C/fwd.log" 2>&1
	done
	cat "$C/fwd.log" "$C/parsed.log"
	grep -q 'inbox: 1 earlier failed boot spooled' "$C/fwd.log"
	grep -q 'inbox: failed-boot-forged.event is not a failed boot' "$C/fwd.log"
	grep -q 'inbox: failed-boot-garbage.event is not a failed boot' "$C/fwd.log"
	[ -z "$(ls "$C/spool" | grep -E '^failed-boot-')" ]
	# once (the second run found nothing), PID 1 as its PROCID, the fields as written
	[ "$(grep -c . "$C/parsed.log")" -eq 1 ]
	grep -q "^1|106|node-1|kcc-init|KCC-BOOT-FAILED-EARLIER|.*seq=\"1\".*failed_boot=\"$failed\" stage=\"state partition\"" "$C/parsed.log"
	grep 'KCC-BOOT-FAILED-EARLIER' "$C/out.log" | sed 's/^[^{]*//' | jq -e '.process.pid == 1'
}
