# The update path on a running node (tests/vm/65-update.bats), sourced by agent.sh: on every boot
# what runs, from which slot, and kcc-update's status; with kcc_test.update=apply on the command
# line, also apply the bundle the host handed over as a second disk, then reboot with kured's signal.
# kcc-update is used only as an upgrade container would: through the node-local socket. The bundle
# is the second disk (run-vm.sh --test-bundle), kcc_test.bundle_size=N bytes of it.
# With UEFI boots the command line is the signed UKI's: the host asks with the SMBIOS OEM string
# io.kcc-node.test.update=apply-once:SIZE instead (measured into no bound PCR): one apply, once
# the running boot is blessed, and nothing else (tests/vm/long/66-apply-power-cut.bats; the host
# may cut the power during it, run-vm.sh --test-pause apply-STEP).
size=$(sed -n 's/.* kcc_test.bundle_size=\([0-9]*\).*/\1/p' /proc/cmdline)
sock=/run/kcc/update.sock
once=$(smbios_test update | sed -n 's/^apply-once:\([0-9]*\)$/\1/p')

echo "kcc-test: INFO version=$(. /etc/os-release; echo "$IMAGE_VERSION")"
echo "kcc-test: INFO root-dev=$(awk '$2 == "/" {print $1}' /proc/mounts | tail -n1) dm-deps=$(ls /sys/block/dm-0/slaves 2>/dev/null | tr '\n' ' ')"
wait_for "[ -S $sock ]" 100 || fail update-socket "no $sock"
st=$(kcc-update status --socket 2>&1) && pass update-status "$st" || fail update-status "$st"

if [ -n "$once" ]; then
	# kcc-update apply refuses an unblessed boot: wait for PID 1's bless (a counted boot)
	wait_for 'kcc-update status --socket 2>/dev/null | grep -q "\"running\":{[^}]*\"blessed\":true"' 3000 ||
		fail update-blessed "the running boot was not blessed in 300 s"
	out=$(head -c "$once" /dev/vdb | kcc-update apply --socket - 2>&1) && pass update-apply-once "$out" ||
		fail update-apply-once "$out"
	st=$(kcc-update status --socket 2>&1)
	echo "kcc-test: INFO update-status-running=$(echo "$st" | grep -o '"running":{"slot":"[ab]","version":"[^"]*"')"
fi
case " $(cat /proc/cmdline) " in
*" kcc_test.update=apply "*)
	# kured's signal before an update waits: PID 1 refuses it (one log line) and stays up
	if kill -39 1 2>/dev/null; then pass update-early-signal "sent"; else fail update-early-signal "kill -39 1 refused"; fi
	# wait for PID 1's answer (its refusal line), not for a time
	wait_for "dmesg | grep -q 'ignoring SIGRTMIN+5'" 100 || fail update-early-refusal "no refusal line from PID 1"
	[ -e /run/reboot-required ] && fail update-sentinel-early "present before apply" || pass update-sentinel-early "absent"
	[ -b /dev/vdb ] && [ -n "$size" ] || fail update-bundle-disk "no /dev/vdb or no kcc_test.bundle_size"
	t0=$(cut -d' ' -f1 /proc/uptime)
	out=$(head -c "$size" /dev/vdb | kcc-update apply --socket - 2>&1) && pass update-apply "$out" || fail update-apply "$out"
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "kcc-test: INFO update-apply-s=$(echo "$t1 - $t0" | bc)"
	out=$(head -c "$size" /dev/vdb | kcc-update apply --socket - 2>&1) && pass update-apply-again "$out" || fail update-apply-again "$out"
	[ -e /run/reboot-required ] && pass update-sentinel "/run/reboot-required present" || fail update-sentinel "absent"
	st=$(kcc-update status --socket 2>&1) && pass update-status-staged "$st" || fail update-status-staged "$st"
	# kcc-init cuts a service's output line at 512 bytes (the status above runs past it with long
	# versions): the fields the test needs on lines of their own
	echo "kcc-test: INFO update-status-staged-update=$(echo "$st" | grep -o '"staged_update":[^,]*')"
	echo "kcc-test: INFO update-status-reboot-required=$(echo "$st" | grep -o '"reboot_required":[a-z]*')"
	echo "kcc-test: INFO update: sending kured's signal"
	kill -39 1
	# PID 1 stops the node; the agent is stopped with the other services
	sleep 600
	;;
esac
