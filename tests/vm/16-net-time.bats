#!/usr/bin/env bats
# The network services of the node configuration (docs/node-config.md): one boot whose
# configuration asks for DHCP and names an NTS time server. qemu's user network answers DHCP itself
# (and names 10.0.2.3 as its name server); the time server is a stand-in NTS server (chronyd on the
# host with a key and certificate from this test's CA, its NTS-KE on a high TCP port and NTP on a
# high UDP port of 127.0.0.1), which the guest reaches as 10.0.2.2 because run-vm.sh --host-udp
# lifts restrict=on (qemu's guestfwd forwards TCP only). The test agent (net.sh) waits for the
# lease, the resolver's settings, the default route and the kernel's synchronised status, and reads
# both services' profiles.
load helper

setup_file() {
	command -v chronyd >/dev/null || skip "chronyd (Debian's chrony) is not installed on the host"
	local port
	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 20000))
		ss -Huln "sport = :$port" | grep -q . || break
	done
	echo "$port" >"$BATS_FILE_TMPDIR/ntp-port"
	ke_port=$((port + 1))
	ss -Htln "sport = :$ke_port" | grep -q . && ke_port=$((port + 2))
	echo "$ke_port" >"$BATS_FILE_TMPDIR/nts-ke-port"
	# The NTS-KE server's certificate, for the address the guest knows it by, from this test's CA
	# (the node trusts only the CA of its configuration: the image has no system trust store).
	local d=$BATS_FILE_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/nts-ca.key" \
		-out "$d/nts-ca.pem" -days 2 -subj /CN=kcc-test-nts-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/nts.key" \
		-out "$d/nts.csr" -subj /CN=nts-standin 2>/dev/null
	printf 'subjectAltName=IP:10.0.2.2\n' >"$d/nts.ext"
	openssl x509 -req -in "$d/nts.csr" -CA "$d/nts-ca.pem" -CAkey "$d/nts-ca.key" \
		-CAcreateserial -out "$d/nts.pem" -days 1 -extfile "$d/nts.ext" 2>/dev/null
	# The stand-in NTS server: serves its own clock as stratum 3, controls nothing (-x); its
	# NTS-KE tells the client the NTP port.
	cat >"$BATS_FILE_TMPDIR/standin-ntp.conf" <<-EOF2
	port $port
	ntsport $ke_port
	ntsserverkey $d/nts.key
	ntsservercert $d/nts.pem
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
	# With NTS, a server's port is its NTS-KE port.
	jq -n --rawfile ca "$d/nts-ca.pem" --arg srv "10.0.2.2:$ke_port" '{version: 1,
		hostname: "net-node-1", network: {mode: "dhcp", interface: "eth0"},
		time: {servers: [$srv], nts: true, ca: $ca}}' >"$cfg"
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
	refute_log net 'kcc-init: dhcpcd .* (killed by signal|exited with status [1-9])'
}

@test "net: dhcpcd's hook gives the lease's name server to the resolver" {
	# kcc-dhcp-hook (dhcpcd's hook, in its sandbox) wrote /run/dns/resolv.conf, which the image's
	# /etc/resolv.conf links to: qemu's DHCP server names 10.0.2.3.
	assert_log net 'kcc-init\[dhcpcd\]: kcc-dhcp-hook: eth0: /run/dns/resolv.conf written \(BOUND\): 10\.0\.2\.3$'
	assert_log net 'kcc-test: PASS dhcp-dns: /etc/resolv.conf -> /run/dns/resolv.conf owner 6[0-9]+ mode 644 nameserver 10\.0\.2\.3$'
	refute_log net 'kcc-dhcp-hook: .*(cannot|do not fit)'
}

@test "net: chronyd, sandboxed, synchronises the clock to the configured NTS server" {
	local port
	port=$(cat "$BATS_FILE_TMPDIR/ntp-port")
	assert_log net 'kcc-init: node config: time from 1 server with NTS \(the chronyd service\)'
	# chronyd starts once dhcpcd is ready, which its hook signals with the lease.
	local ready started
	ready=$(grep -anE 'kcc-init: dhcpcd is ready' "$BATS_FILE_TMPDIR/net.log" | head -1 | cut -d: -f1)
	started=$(grep -anE 'kcc-init: started chronyd' "$BATS_FILE_TMPDIR/net.log" | head -1 | cut -d: -f1)
	[ -n "$ready" ] && [ -n "$started" ] && [ "$ready" -lt "$started" ]
	assert_log net 'kcc-init\[dhcpcd\]: eth0: leased 10\.0\.2\.15'
	# Only the NTS key exchange (TLS, the server's certificate checked against the configured
	# CA) tells chronyd the NTP port: the configuration names the NTS-KE port.
	assert_log net "kcc-init\\[chronyd\\]: .*Source 10\\.0\\.2\\.2 .*changed port to $port"
	assert_log net 'kcc-init\[chronyd\]: .*Selected source 10\.0\.2\.2'
	refute_log net 'kcc-init\[chronyd\]: .*TLS handshake .* failed'
	# The kernel's view: STA_UNSYNC cleared, adjtimex returns TIME_OK.
	assert_log net 'kcc-test: PASS time-sync: .*return value: 0'
	# its own uid, SYS_TIME only, no_new_privs, the seccomp policy (plus the clock calls)
	assert_log net 'kcc-test: PASS time-profile: Uid: 6[0-9]+ CapEff: 0000000002000000 NoNewPrivs: 1 Seccomp: 2'
	refute_log net 'kcc-init: chronyd .* (killed by signal|exited with status [1-9])'
	refute_log net 'kcc-test: FAIL'
}
