# The node's pod security policy and the kubelet's own confinement (busybox sh), sourced by
# pods.sh: hostile manifests, each refused with the rule it broke; an admitted container-root pod
# that is not host root; the kubelet's /proc/sys and capabilities.

# A symbolic link to /proc inside the folder the test policy allows to the hostile namespace.
mkdir -p /var/lib/pod-data && ln -sfn /proc /var/lib/pod-data/proc-link
cp /usr/lib/kcc-test/hostile-pods/* /var/lib/kcc-kubelet/manifests/

# hostile NAME REGEX: pod kcc-hostile/NAME is refused with a message matching REGEX
hostile() {
	if wait_for "pod_line kcc-hostile/$1 | grep -q 'Failed'" 300; then
		l=$(pod_line "kcc-hostile/$1")
		echo "$l" | grep -qE "$2" && pass "hostile-$1" "$l" || fail "hostile-$1" "$l"
	else
		fail "hostile-$1" "$(pod_line "kcc-hostile/$1")"
	fi
}
hostile proc-rw 'hostPathForbidden: spec.volumes\[0\].hostPath.path: ./proc. is never mountable'
hostile host-root 'hostPathForbidden: spec.volumes\[0\].hostPath.path: ./. is never mountable'
hostile host-etc 'hostPathForbidden: spec.volumes\[0\].hostPath.path: ./etc. is never mountable'
hostile proc-spelled 'hostPathForbidden: .* \(it is, lies below or contains /proc\)'
hostile proc-symlink 'hostPathSymlink: ./var/lib/pod-data/proc-link. goes through a symbolic link'
hostile kcc-parent 'hostPathForbidden: spec.volumes\[0\].hostPath.path: ./var/lib. is never mountable \(it is, lies below or contains /var/lib/kcc\)'
hostile run-as-root 'runAsRoot: spec.containers\[0\].securityContext.runAsUser: 0 \(root\) is not allowed in namespace kcc-hostile'
hostile net-admin 'capabilities: .*CAP_NET_ADMIN is not allowed in namespace kcc-hostile'
hostile sys-admin 'capabilities: .*CAP_SYS_ADMIN is never allowed'
hostile uid-max 'runAsUser: must be a whole number up to 2147483647, not .4294967295.'
hostile host-network 'hostNetwork: spec.hostNetwork: true is not allowed in namespace kcc-hostile'
# refused when the container starts (the image's user is root), and never started
if wait_for 'kjson | grep -q "runAsNonRoot: spec.containers\[0\]: the image.s user (unset: root) is root"' 300 &&
	pod_line kcc-hostile/non-root-image | grep -q " c=waiting,0"; then
	pass hostile-non-root-image "$(pod_line kcc-hostile/non-root-image)"
else
	fail hostile-non-root-image "$(kjson | tr ',' '\n' | grep -A2 non-root-image)"
fi

# An admitted pod as container root: a host uid of its own (its uid_map), /proc/sys read-only.
# The container can log before the kubelet reads its pid (from crun's pid file, on its next tick):
# wait for both.
if wait_for 'grep -q "stdout F core_pattern=" /var/log/pods/kcc-test_userns_*/c/0.log 2>/dev/null' 300 &&
	wait_for '[ -n "$(ctr_pid userns)" ]' 300; then
	up=$(ctr_pid userns)
	map=$(cat "/proc/$up/uid_map" 2>&1 | tr -s ' ' | sed 's/^ //')
	hu=$(status_field "$up" Uid)
	log=$(cat /var/log/pods/kcc-test_userns_*/c/0.log | sed 's/^[^ ]* [a-z]* F //' | tr '\n' '|')
	echo "$map" | grep -qE '^0 [1-9][0-9]{9} 65536$' && [ "${hu%% *}" -ge 1073741824 ] &&
		echo "$log" | grep -q 'uid=0|' &&
		pass pod-userns "uid_map: $map; host Uid: $hu; $log" || fail pod-userns "uid_map: $map; host Uid: $hu; $log"
	echo "$log" | grep -q "can't create /proc/sys/kernel/core_pattern: Read-only file system|" &&
		echo "$log" | grep -q "core_pattern=[1-9]|" &&
		pass pod-proc-sys-read-only "$log" || fail pod-proc-sys-read-only "$log"
else
	# why: the pod's status as the kubelet reports it (kcc-init cuts a line at 512 bytes: folded),
	# the container's log and its processes' state and wait channel (every container named c)
	kjson | sed 's/},{"namespace"/\n/g' | grep '"name":"userns"' | fold -w 300 | sed 's/^/kcc-test: INFO userns-status: /'
	echo "kcc-test: INFO userns-log: $(cat /var/log/pods/kcc-test_userns_*/c/0.log 2>&1 | tr '\n' '|' | cut -c1-400)"
	for q in $(cat /sys/fs/cgroup/kubepods/pod*/c/cgroup.procs 2>/dev/null); do
		echo "kcc-test: INFO userns-proc: $q $(tr '\0' ' ' <"/proc/$q/cmdline" 2>/dev/null | cut -c1-60) $(status_field "$q" State) wchan=$(cat "/proc/$q/wchan" 2>/dev/null)"
	done
	fail pod-userns "$(pod_line kcc-test/userns)"
	fail pod-proc-sys-read-only "no log"
fi

# The kubelet itself: /proc/sys read-only in its mount namespace, only the capabilities it keeps.
kp=$(kcc-ctl status 2>/dev/null | sed -n 's/^kcc-kubelet running pid=\([0-9]*\).*/\1/p')
if [ -n "$kp" ]; then
	w=$(nsenter -t "$kp" -m sh -c 'cat /proc/sys/kernel/hostname >/proc/sys/kernel/hostname' 2>&1)
	echo "$w" | grep -q 'Read-only file system' && pass kubelet-proc-sys "$w" || fail kubelet-proc-sys "$w"
	# no hostile pod's volume (all are named host) was ever staged, none is left mounted
	! grep -q '/_hostpaths/host ' "/proc/$kp/mountinfo" &&
		pass hostile-nothing-mounted "$(grep -c _hostpaths "/proc/$kp/mountinfo") staged hostPath(s)" ||
		fail hostile-nothing-mounted "$(grep _hostpaths "/proc/$kp/mountinfo")"
	c="CapBnd:$(status_field "$kp" CapBnd) CapEff:$(status_field "$kp" CapEff) CapAmb:$(status_field "$kp" CapAmb)"
	echo "$c" | grep -q '^CapBnd:00000000812c11eb CapEff:00000000812c11eb CapAmb:0000000000000000$' &&
		pass kubelet-caps "$c" || fail kubelet-caps "$c"
else
	fail kubelet-proc-sys "no kubelet pid: $(kcc-ctl status 2>&1)"
	fail kubelet-caps "no kubelet pid"
fi
