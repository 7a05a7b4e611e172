# Sourced by tests/bats/helper.bash and tests/vm/85-events.bats.
# free_port: a TCP port of 127.0.0.1 nothing listens on (for a test's own server).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || break
	done
	echo "$p"
}
