# The network services the node configuration asked for (docs/node-config.md,
# tests/vm/16-net-time.bats): dhcpcd's lease and chronyd's synchronisation, each waited for, and
# their profiles. Sourced by agent.sh when kcc-init wrote their configurations.

# wait_check NAME TENTHS CONDITION DETAIL: PASS once CONDITION holds, FAIL when the time is up;
# DETAIL (a command) says what the node shows either way.
wait_check() {
	if wait_for "$3" "$2"; then pass "$1" "$(eval "$4" | tr -s ' \n' ' ')"; else fail "$1" "$(eval "$4" | tr -s ' \n' ' ')"; fi
}

# check_profile NAME SERVICE CAPEFF: its main process runs as its own uid (the per-service range)
# with exactly CAPEFF, no_new_privs and the seccomp policy.
check_profile() {
	p=$(head -n1 /sys/fs/cgroup/services/$2/cgroup.procs 2>/dev/null)
	prof=$([ -n "$p" ] && awk '/^(Uid|CapEff|NoNewPrivs|Seccomp):/ {printf "%s %s ", $1, $2}' /proc/$p/status)
	case "$prof" in
	"Uid: 6"*" CapEff: $3 NoNewPrivs: 1 Seccomp: 2 ") pass "$1" "$prof" ;;
	*) fail "$1" "'$prof'" ;;
	esac
}

if [ -e /run/kcc/dhcpcd.conf ]; then
	# A leased address has a lifetime; a static one (the image's network.conf) is "forever".
	lease() { ip -4 addr show dev eth0 | grep -A1 'inet 10\.0\.2\.15/24' | grep -q 'valid_lft [0-9]*sec'; }
	wait_check dhcp-lease 900 lease 'ip -4 addr show dev eth0'
	# The lease's name servers, written by dhcpcd's hook (kcc-dhcp-hook, as dhcpcd's uid) where
	# the image's /etc/resolv.conf points.
	dns() { printf '%s -> %s owner %s mode %s nameserver %s' /etc/resolv.conf "$(readlink -f /etc/resolv.conf)" \
		"$(stat -c %u /run/dns/resolv.conf 2>/dev/null)" "$(stat -c %a /run/dns/resolv.conf 2>/dev/null)" \
		"$(awk '$1 == "nameserver" {print $2}' /etc/resolv.conf 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"; }
	wait_check dhcp-dns 300 'grep -q "^nameserver " /etc/resolv.conf' dns
	wait_check dhcp-route 300 'ip -4 route | grep -q "^default via 10\.0\.2\.2 dev eth0"' 'ip -4 route'
	# NET_BIND_SERVICE, NET_ADMIN, NET_RAW
	check_profile dhcp-profile dhcpcd 0000000000003400
fi

if [ -e /run/kcc/chrony.conf ]; then
	# The kernel's view: chronyd clears STA_UNSYNC once it is synchronised (adjtimex returns
	# TIME_OK, 0, instead of TIME_ERROR, 5).
	wait_check time-sync 1800 'adjtimex | grep -q "return value: 0"' 'adjtimex | grep -E "status|return value"'
	# SYS_TIME
	check_profile time-profile chronyd 0000000002000000
fi
