#!/usr/bin/env bats
# The network services of the node configuration (docs/node-config.md): one boot whose
# configuration asks for DHCP and names a time server. qemu's user network answers DHCP itself; the
# time server is a stand-in NTP server (chronyd on the host, serving its clock on a high UDP port of
# 127.0.0.1), which the guest reaches as 10.0.2.2:PORT because run-vm.sh --host-udp lifts
# restrict=on (qemu's guestfwd forwards TCP only). The test agent (net.sh) waits for the lease, the
# default route and the kernel's synchronised status, and reads both services' profiles.
load helper

setup_file() {
	command -v chronyd >/dev/null || skip "chronyd (Debian's chrony) is not installed on the host"
	local port
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 20000))
		ss -Huln "sport = :$port" | grep -q . || break
	done
	echo "$port" >"$BATS_FILE_TMPDIR/ntp-port"
	# The stand-in NTP server: serves its own clock as stratum 3, controls nothing (-x).
	cat >"$BATS_FILE_TMPDIR/standin-ntp.conf" <<-EOF2
	port $port
	bindaddress 127.0.0.1
	allow 127.0.0.1
	local stratum 3
	cmdport 0
	bindcmdaddress /
	user root
	pidfile $BATS_FILE_TMPDIR/standin-ntp.pid
	EOF2
	chronyd -x -d -f "$BATS_FILE_TMPDIR/standin-ntp.conf" >"$BATS_FILE_TMPDIR/standin-ntp.log" 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/standin-ntp.chronyd"
	cfg=$BATS_FILE_TMPDIR/node.json
	cat >"$cfg" <<-JSON
	{
	  "version": 1,
	  "hostname": "net-node-1",
	  "network": {"mode": "dhcp", "interface": "eth0"},
	  "time": {"servers": ["10.0.2.2:$port"]}
	}
	JSON
	vm_boot net --mode direct --timeout 300 --host-udp --fw-cfg "$cfg" --until 'kcc-test: agent done'
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/standin-ntp.chronyd" ] && kill "$(cat "$BATS_FILE_TMPDIR/standin-ntp.chronyd")" 2>/dev/null
	true
}

@test "net: dhcpcd, sandboxed, leases the address and the default route from qemu's DHCP server" {
	assert_log net 'kcc-init: node config: network by DHCP \(the dhcpcd service\)'
	# The image's static address is not applied: the link comes up empty, DHCP fills it.
	assert_log net 'kcc-init: network: eth0 up, its address comes from the dhcpcd service'
	assert_log net 'kcc-init\[dhcpcd\]: eth0: leased 10\.0\.2\.15 for [0-9]+ seconds'
	assert_log net 'kcc-test: PASS dhcp-lease: .*inet 10\.0\.2\.15/24 .* dynamic .*valid_lft [0-9]+sec'
	assert_log net 'kcc-test: PASS dhcp-route: default via 10\.0\.2\.2 dev eth0'
	# its own uid, NET_BIND_SERVICE + NET_ADMIN + NET_RAW only, no_new_privs, the seccomp policy
	assert_log net 'kcc-test: PASS dhcp-profile: Uid: 6[0-9]+ CapEff: 0000000000003400 NoNewPrivs: 1 Seccomp: 2'
	refute_log net 'kcc-init: dhcpcd .* (killed by signal|exited with status)'
}

@test "net: chronyd, sandboxed, synchronises the clock to the configured server" {
	assert_log net 'kcc-init: node config: time from 1 server \(the chronyd service\)'
	assert_log net 'kcc-init\[chronyd\]: .*Selected source 10\.0\.2\.2'
	# The kernel's view: STA_UNSYNC cleared, adjtimex returns TIME_OK.
	assert_log net 'kcc-test: PASS time-sync: .*return value: 0'
	# its own uid, SYS_TIME only, no_new_privs, the seccomp policy (plus the clock calls)
	assert_log net 'kcc-test: PASS time-profile: Uid: 6[0-9]+ CapEff: 0000000002000000 NoNewPrivs: 1 Seccomp: 2'
	refute_log net 'kcc-init: chronyd .* (killed by signal|exited with status)'
	refute_log net 'kcc-test: FAIL'
}
