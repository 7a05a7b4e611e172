# The network services the node configuration asked for (docs/node-config.md,
# tests/vm/16-net-time.bats): dhcpcd's lease and chronyd's synchronisation, each waited for, and
# their profiles. Sourced by agent.sh when kcc-init wrote their configurations.

# profile NAME: uid, effective capabilities, no_new_privs and seccomp of a service's main process
profile() {
	p=$(head -n1 /sys/fs/cgroup/services/$1/cgroup.procs 2>/dev/null)
	[ -n "$p" ] && awk '/^(Uid|CapEff|NoNewPrivs|Seccomp):/ {printf "%s %s ", $1, $2}' /proc/$p/status
}

if [ -e /run/kcc/dhcpcd.conf ]; then
	# A leased address has a lifetime; a static one (the image's network.conf) is "forever".
	lease() { ip -4 addr show dev eth0 | grep -A1 'inet 10\.0\.2\.15/24' | grep -q 'valid_lft [0-9]*sec'; }
	addr=$(ip -4 addr show dev eth0 | tr -s ' \n' ' ')
	if wait_for lease 900; then
		pass dhcp-lease "$(ip -4 addr show dev eth0 | tr -s ' \n' ' ')"
	else
		fail dhcp-lease "$addr"
	fi
	if wait_for 'ip -4 route | grep -q "^default via 10\.0\.2\.2 dev eth0"' 300; then
		pass dhcp-route "$(ip -4 route | tr -s ' \n' ' ')"
	else
		fail dhcp-route "$(ip -4 route | tr -s ' \n' ' ')"
	fi
	prof=$(profile dhcpcd)
	case "$prof" in
	"Uid: 6"*" CapEff: 0000000000003400 NoNewPrivs: 1 Seccomp: 2 ") pass dhcp-profile "$prof" ;;
	*) fail dhcp-profile "'$prof'" ;;
	esac
fi

if [ -e /run/kcc/chrony.conf ]; then
	# The kernel's view: chronyd clears STA_UNSYNC once it is synchronised (adjtimex returns
	# TIME_OK, 0, instead of TIME_ERROR, 5).
	if wait_for 'adjtimex | grep -q "return value: 0"' 1800; then
		pass time-sync "$(adjtimex | grep -E 'status|return value' | tr -s ' \n' ' ')"
	else
		fail time-sync "$(adjtimex | grep -E 'status|return value' | tr -s ' \n' ' ')"
	fi
	prof=$(profile chronyd)
	case "$prof" in
	"Uid: 6"*" CapEff: 0000000002000000 NoNewPrivs: 1 Seccomp: 2 ") pass time-profile "$prof" ;;
	*) fail time-profile "'$prof'" ;;
	esac
fi
