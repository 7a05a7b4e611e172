# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/vm/long/67-pull.bats and tests/bench-upgrade.sh: the host side of pull mode
# (docs/upgrades.md, "Pull mode"). Needs TOP and free_port (tests/free-port.sh).

# pull_standins DIR: python's http.server publishing DIR/channel and the FleetLock stand-in (one
# slot, its state in DIR/lock), each on a free port of 127.0.0.1 (HTTP_PORT, LOCK_PORT; their pids
# in DIR/http.pid and DIR/lock.pid); returns once both answer.
pull_standins() {
	local d=$1
	mkdir -p "$d/channel" "$d/lock"
	HTTP_PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 --directory "$d/channel" "$HTTP_PORT" >"$d/http.log" 2>&1 &
	echo $! >"$d/http.pid"
	LOCK_PORT=$(free_port)
	"$TOP/tests/fleetlock-standin.py" "$LOCK_PORT" 1 "$d/lock" >"$d/lock.log" 2>&1 &
	echo $! >"$d/lock.pid"
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/" && [ -e "$d/lock/ready" ] && break
		sleep 0.1
	done
}

# pull_standins_stop DIR: both stand-ins ended.
pull_standins_stop() { kill "$(cat "$1/http.pid")" "$(cat "$1/lock.pid")" 2>/dev/null || true; }

# pull_node_config HOSTNAME GROUP: a node configuration that polls the channel and takes the lock
# through qemu's user network (run-vm.sh --guest-forward 8081:HTTP_PORT --guest-forward 8082:LOCK_PORT).
pull_node_config() {
	jq -n --arg host "$1" --arg group "$2" '{version: 1, hostname: $host,
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		update: {url: "http://10.0.2.100:8081/", "fleetlock-url": "http://10.0.2.100:8082",
			"fleetlock-group": $group}}'
}
