#!/usr/bin/env bats
# kcc-forward against a real collector: rsyslog with its gtls driver, client certificates required
# (tests/bats/collector.sh). The forwarder runs on the host here, fed a kernel log file; the events
# it makes, the TLS contract, the spool and the rate limit are what is tested.
load helper

FWD=$TOP/build/bin/kcc-forward
BOOT=0b0e5a34-5d6c-4b55-8d7e-3c2e9b1f4a10

setup_file() {
	export D=$BATS_FILE_TMPDIR/c
	mkdir -p "$D"
	"$TOP/tests/bats/collector.sh" "$D" pki
}

setup() {
	# A free port for this test's collector.
	PORT=$(free_port)
	C=$BATS_TEST_TMPDIR/c
	mkdir -p "$C"
	cp -R "$D/pki" "$C/pki"
}

teardown() {
	"$TOP/tests/bats/collector.sh" "$C" stop
}

kmsg_sample() { # FILE
	cat >"$1" <<-'EOF2'
	4,100,5000000,-;Lockdown: cat: /dev/mem,kmem,port is restricted; see man kernel_lockdown.7
	6,101,5000100,-;kcc-init: services started (6 running, 0 failed)
	4,102,5000200,-;kcc-init: bpf-lsm: denied a signal to pid 1 from pid 300 (sh)
	3,103,5000300,-;Out of memory: Killed process 412 (hog) total-vm:1kB
	3,104,5000400,-;kcc-init: node config: refused (smbios, sha256 00): the node stays unjoined
	6,105,5000500,-;kcc-init[web]: kcc-init: bpf-lsm: denied a forged line
	EOF2
}

forward() { # CERT-NAME [options...]: runs kcc-forward --once against the test's collector
	local cert=$1
	shift
	run "$FWD" run --destination "localhost:$PORT" --ca "$C/pki/ca.pem" --cert "$C/pki/$cert.pem" \
		--key "$C/pki/$cert.key" --spool "$C/spool" --host node-1 --boot-id "$BOOT" --once "$@"
}

@test "forward: the catalogue's events reach the collector over TLS 1.3, as RFC 5424 its parser reads" {
	kmsg_sample "$C/kmsg"
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node --kmsg "$C/kmsg" --timeout 20
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "connected to localhost:$PORT (TLS 1.3)"
	# Four events, numbered 1 to 4; the service's forged line and the plain line are not events.
	[ "$(wc -l <"$C/parsed.log")" -eq 4 ]
	grep -qx "1|108|node-1|kernel|KCC-LOCKDOWN-REFUSAL|\[kcc@32473 id=\"KCC-LOCKDOWN-REFUSAL\" boot=\"$BOOT\" seq=\"1\"\]\[kcc-fields@32473 comm=\"cat\" what=\"/dev/mem,kmem,port\"\]" "$C/parsed.log"
	grep -q '^1|108|node-1|kcc-init|KCC-LSM-DENIAL|.*seq="2"' "$C/parsed.log"
	grep -q '^1|107|node-1|kernel|KCC-SERVICE-OOM|.*seq="3".*pid="412" comm="hog"' "$C/parsed.log"
	grep -q '^1|107|node-1|kcc-init|KCC-CONFIG-REJECTED|.*seq="4"' "$C/parsed.log"
	# The body: JSON with the ECS names.
	grep 'KCC-SERVICE-OOM' "$C/out.log" | sed 's/^[^{]*//' | jq -e '.event.code == "KCC-SERVICE-OOM" and .event.sequence == 3 and .host.boot.id == "'"$BOOT"'" and .kcc.comm == "hog"'
}

@test "forward: a client certificate from another CA or for another name is refused; nothing is lost" {
	kmsg_sample "$C/kmsg"
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node-other-ca --kmsg "$C/kmsg" --timeout 4
	[ "$status" -eq 1 ]
	echo "$output" | grep -q 'did not take everything within 4 s'
	forward node-wrong-name --kmsg /dev/null --timeout 4
	[ "$status" -eq 1 ]
	[ ! -s "$C/parsed.log" ]
	# The same spool with the right certificate: all four, once each, from seq 1.
	forward node --kmsg /dev/null --timeout 20
	[ "$status" -eq 0 ]
	[ "$(grep -c . "$C/parsed.log")" -eq 4 ]
	grep -q 'seq="1"' "$C/parsed.log"
}

@test "forward: a collector whose certificate is for another name is refused by the node" {
	kmsg_sample "$C/kmsg"
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT" collector-elsewhere
	forward node --kmsg "$C/kmsg" --timeout 4
	[ "$status" -eq 1 ]
	echo "$output" | grep -q 'TLS handshake'
	[ ! -s "$C/parsed.log" ]
}

@test "forward: with the collector down and back, and the forwarder restarted, no sequence number is missing" {
	kmsg_sample "$C/kmsg"
	# Down: the events wait in the spool, the forwarder gives up after its time.
	forward node --kmsg "$C/kmsg" --timeout 2
	[ "$status" -eq 1 ]
	echo "$output" | grep -q "collector localhost:$PORT: connect to localhost:$PORT"
	# More events in the same boot: a restarted forwarder reads the kernel log from its start
	# again and must neither repeat nor skip.
	printf '4,106,5000600,-;kcc-init: bpf-lsm: denied ptrace of pid 1 to pid 7 (x)\n' >>"$C/kmsg"
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node --kmsg "$C/kmsg" --timeout 20
	[ "$status" -eq 0 ]
	seqs=$(grep -o 'seq="[0-9]*"' "$C/parsed.log" | tr -dc '0-9\n' | sort -n | uniq | tr '\n' ' ')
	[ "$seqs" = "1 2 3 4 5 " ]
}

@test "forward: the kernel's audit records become KCC-SECCOMP-DENIED once each; its loss count a loss record; a forged one is ignored" {
	a='auid=4294967295 uid=4242 gid=4242 ses=4294967295 pid=312 comm="busybox" exe="/usr/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 ip=0x7f1c2b3d4e5f code=0x50000'
	cat >"$C/kmsg" <<-EOF2
	5,200,5000000,-;audit: type=1326 audit(1765134000.123:417): $a
	5,201,5000001,-;audit: type=1326 audit(1765134000.123:417): $a
	13,202,5000002,-;audit: type=1326 audit(1765134000.124:418): ${a/syscall=272/syscall=165}
	5,203,5000003,-;audit: type=1326 audit(1765134000.125:419): ${a/code=0x50000/code=0x7ffc0000}
	5,204,5000004,-;audit: type=2000 audit(0.000:1): state=initialized audit_enabled=0 res=1
	4,205,5000005,-;audit: audit_lost=3 audit_rate_limit=0 audit_backlog_limit=64
	4,206,5000006,-;audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64
	EOF2
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node --kmsg "$C/kmsg" --timeout 20
	echo "$output"
	cat "$C/parsed.log"
	[ "$status" -eq 0 ]
	# the record once (the kernel log and the netlink socket both carry it: one serial), the
	# line a process wrote (facility 1) and the allowed-and-logged call are not events
	[ "$(wc -l <"$C/parsed.log")" -eq 3 ]
	grep -q '^1|108|node-1|kernel|KCC-SECCOMP-DENIED|.*seq="1"\]\[kcc-fields@32473 syscall="272" syscall_name="unshare" action="errno" exe="/usr/bin/busybox" comm="busybox" pid="312" uid="4242" arch="c000003e"\]' "$C/parsed.log"
	grep -q '|KCC-EVENTS-LOST|.*seq="2".*source="audit" count="3" kernel_total="3"' "$C/parsed.log"
	grep -q '|KCC-EVENTS-LOST|.*seq="3".*source="audit" count="2" kernel_total="5"' "$C/parsed.log"
	grep 'KCC-SECCOMP-DENIED' "$C/out.log" | sed 's/^[^{]*//' | jq -e '.event.code == "KCC-SECCOMP-DENIED" and .event.category == "intrusion_detection" and .kcc.syscall_name == "unshare" and .kcc.exe == "/usr/bin/busybox"'
}

@test "forward: a flood of one event is cut to its rate with a suppression summary" {
	for i in $(seq 200); do
		printf '4,%d,%d,-;kcc-init: bpf-lsm: denied a signal to pid 1 from pid %d (sh)\n' $((1000 + i)) $((6000000 + i)) $i
	done >"$C/kmsg"
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node --kmsg "$C/kmsg" --timeout 20
	[ "$status" -eq 0 ]
	sent=$(grep -c '|KCC-LSM-DENIAL|' "$C/parsed.log")
	[ "$sent" -ge 20 ] && [ "$sent" -lt 40 ]
	grep 'KCC-EVENTS-SUPPRESSED' "$C/parsed.log" | grep -q "suppressed_id=\"KCC-LSM-DENIAL\" count=\"$((200 - sent))\""
}

@test "forward: a spool over its quota drops what it must and says how much" {
	# Collector down: 80 events (4 types, each under its rate limit) into a 16 KiB spool.
	for i in $(seq 20); do
		printf '4,%d,1,-;kcc-init: bpf-lsm: denied a signal to pid 1 from pid %d (%0300d)\n' $((4 * i)) $i 0
		printf '4,%d,1,-;Lockdown: p%d: /dev/mem,kmem,port is restricted; see man kernel_lockdown.7 %0300d\n' $((4 * i + 1)) $i 0
		printf '3,%d,1,-;Out of memory: Killed process %d (hog) %0300d\n' $((4 * i + 2)) $i 0
		printf '3,%d,1,-;kcc-init: node config: refused (smbios, sha256 %0300d)\n' $((4 * i + 3)) 0
	done >"$C/kmsg"
	forward node --kmsg "$C/kmsg" --quota 16384 --timeout 2
	[ "$status" -eq 1 ]
	"$TOP/tests/bats/collector.sh" "$C" start "$PORT"
	forward node --kmsg /dev/null --quota 16384 --timeout 20
	[ "$status" -eq 0 ]
	lost=$(grep 'KCC-EVENTS-LOST' "$C/parsed.log" | grep -o 'count="[0-9]*"' | tr -dc '0-9')
	got=$(grep -c -e KCC-LSM-DENIAL -e KCC-LOCKDOWN-REFUSAL -e KCC-SERVICE-OOM -e KCC-CONFIG-REJECTED "$C/parsed.log")
	# What arrived and what the loss record counts add up to all 80.
	[ -n "$lost" ] && [ $((lost + got)) -eq 80 ]
}
