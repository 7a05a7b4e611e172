#!/usr/bin/env bats
# The system stage's hardening (sysctls, modules_disabled, lockdown=confidentiality): the agent's
# checks on every happy boot assert each refusal with its exact errno (10-direct-boot.bats); here,
# a kernel that cannot do a step makes the node refuse to go on, with one line saying which.
load helper

@test "hardening: every step is logged and the agent finds each refusal with its errno" {
	vm_boot happy --timeout 150
	assert_log happy 'kcc-init: hardening: 27 sysctls set and read back, 3 not needed \(the kernel lacks what they guard\)'
	assert_log happy 'kcc-init: hardening: kernel.kexec_load_disabled not needed: the kernel has no kexec_load \(ENOSYS\)'
	assert_log happy 'kcc-init: hardening: vm.unprivileged_userfaultfd not needed: the kernel has no userfaultfd \(ENOSYS\)'
	assert_log happy 'kcc-init: hardening: kernel.sysrq not needed: the kernel has no SysRq \(no /proc/sysrq-trigger\)'
	assert_log happy 'kcc-init: hardening: BPF LSM attached'
	assert_log happy 'kcc-init: hardening: module loading disabled'
	assert_log happy 'kcc-init: hardening: kernel lockdown is confidentiality'
	assert_log happy 'kcc-init: hardening: BPF program loading locked'
	for c in lockdown refused-devmem refused-kcore refused-devport refused-lockdown-none \
		refused-init-module refused-kexec-load refused-kexec-file-load sysctls exec-root exec-tmp \
		exec-var exec-run mmap-root mmap-tmp mprotect-tmp ptrace-pid1 ptrace-service bpf-load \
		profile-root profile-user profile-seccomp profile-mountns profile-cgroup \
		profile-default-pids oom-restart; do
		assert_log happy "kcc-test: PASS $c:"
	done
	# The BPF LSM against a root service with every capability and no seccomp (the agent), each
	# with its errno: signals to PID 1 and to another service, user namespaces, BPF objects by id
	# and pinned (and the lock still set after trying), W^X (copy-on-write pages made executable
	# too), writes through /proc/self/mem, a sysctl opened for writing.
	for c in "kill-pid1: .*kill EPERM" "kill-pid1-root: .*kill EPERM" "kill-service: .*kill EPERM" \
		"unshare-newuser: unshare-newuser EPERM" "clone-newuser: clone-newuser EPERM" \
		"map-by-id: map-by-id EPERM" "prog-by-id: prog-by-id EPERM" \
		"link-by-id: link-by-id EPERM" "obj-get: obj-get EPERM" \
		"bpf-load-after: bpf-load-after EPERM" "anon-exec: anon-exec EPERM" \
		"mprotect-rw-rx: mprotect-rw-rx EPERM" "file-wx: file-wx EPERM" \
		"proc-self-mem: proc-self-mem EPERM" "cow-exec: cow-exec EPERM" \
		"mprotect-root-rx: mprotect-root-rx ok" "proc-sys-write: proc-sys-write EPERM" \
		"proc-sys-read: proc-sys-read ok"; do
		assert_log happy "kcc-test: PASS lsm-$c\$"
	done
	# A service in the default profile (the node's seccomp policy, no capabilities): namespaces
	# by clone flags, unshare and setns refused, clone3 ENOSYS while plain clone works, and the
	# BPF LSM refuses its signal to PID 1 (root: only the LSM can).
	for c in "clone-newuser EPERM" "clone-newnet EPERM" "unshare-newuser EPERM" \
		"unshare-newnet EPERM" "setns-net EPERM" "clone3 ENOSYS" "clone-plain ok" "kill EPERM"; do
		assert_log happy "kcc-init\[confined\]: confined: probe $c\$"
	done
	assert_log happy 'kcc-init: bpf-lsm: denied a signal to pid 1 from pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied a signal to pid [0-9]+ from pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-test: PASS lsm-sigio-pid1:'
	assert_log happy 'kcc-init: bpf-lsm: denied an I/O signal \(F_SETOWN\) to pid 1, raised by pid [0-9]+ \(probe\)'
	refute_log happy 'requested by SIGTERM'
	assert_log happy 'kcc-init: bpf-lsm: denied user namespace creation to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied BPF object access to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied anonymous executable memory to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied a writable and executable mapping of inode [0-9]+ to pid'
	assert_log happy 'kcc-init: bpf-lsm: denied write to /proc/PID/mem to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied making copy-on-write pages of inode [0-9]+ executable to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied a write to /proc/sys \(inode [0-9]+\) to pid [0-9]+ \(probe\)'
	# Nothing else on the node (kcc-init, kcc-kubelet, crun, busybox, the agent) needs either.
	[ "$(vm_log happy | grep -ac 'bpf-lsm: denied a write to /proc/sys')" -eq 1 ]
	[ "$(vm_log happy | grep -ac 'bpf-lsm: denied making copy-on-write pages')" -eq 1 ]
	refute_log happy 'kcc-test: FAIL'
	# A service in the default profile, as its own uid: the read-only view refuses the write to
	# /var; Landlock refuses the listing of /var and the write to /dev/full (a device node, which
	# the read-only view does not protect: without Landlock that write fails with ENOSPC, as
	# 55-hostile-service.bats shows); seccomp refuses unshare (needs no capability); /tmp is its own.
	assert_log happy 'kcc-init\[confined\]: confined: uid 6[1-5][0-9]{3}$'
	assert_log happy 'kcc-init\[confined\]: confined: write /var: touch: /var/confined-probe: Read-only file system'
	assert_log happy 'kcc-init\[confined\]: confined: write /dev/full: .*Permission denied'
	assert_log happy 'kcc-init\[confined\]: confined: list /var: ls: can.t open ./var.: Permission denied'
	assert_log happy 'kcc-init\[confined\]: confined: read /etc: allowed'
	assert_log happy 'kcc-init\[confined\]: confined: unshare: unshare: unshare\(0x10000000\): Operation not permitted'
	assert_log happy 'kcc-init\[confined\]: confined: own /tmp: mine$'
	assert_log happy 'kcc-init\[confined\]: confined: /var view: ro$'
	# Each denial reaches PID 1's log through the ring buffer.
	assert_log happy 'kcc-init: bpf-lsm: denied exec of inode [0-9]+ on device [0-9]+:[0-9]+ \(not the verity root\) to pid [0-9]+ \(probe\)'
	assert_log happy 'kcc-init: bpf-lsm: denied executable mapping of inode'
	assert_log happy 'kcc-init: bpf-lsm: denied ptrace of pid 1 to pid'
	assert_log happy 'kcc-init: bpf-lsm: denied BPF program load to pid'
	# The OOM-killed service was restarted while PID 1 carried on; shutdown still completes.
	assert_log happy 'kcc-init: hog \(pid [0-9]+\) killed by signal 9'
	assert_log happy 'kcc-init: restarting hog in 500 ms'
	assert_log happy 'kcc-init: BPF LSM detached'
	assert_log happy 'kcc-init: shutdown complete \(0 mounts left\)'
	# Order: hardening comes after the mounts and before the ready phase and the first service.
	vm_log happy | tr -d '\r' | grep -aoE 'hardening: kernel lockdown|PCR 11 extended: ready|started sleeper' |
		tr '\n' '|' | grep -q '^hardening: kernel lockdown|PCR 11 extended: ready|started sleeper|'
}

@test "hardening: without the BPF LSM among the active LSMs the node refuses to go on" {
	vm_boot nobpf --timeout 150 --cmdline "$(cat "$IMAGE/cmdline") lsm=lockdown,capability,landlock,yama"
	[ "$(vm_rc nobpf)" -eq 0 ]
	assert_log nobpf 'kcc-init: hardening: the BPF LSM is not active \(bpf missing from /sys/kernel/security/lsm\); refusing to go on \(allow_weaker = bpf-lsm in /etc/kcc/hardening.conf would accept it\)'
	assert_log nobpf "kcc-init: boot stopped: stage 'hardening' failed"
	refute_log nobpf 'services started'
}

@test "hardening: lsm= cannot remove lockdown (early LSM); the node still raises it" {
	vm_boot nolockdown --timeout 150 --cmdline "$(cat "$IMAGE/cmdline") lsm=capability,landlock,yama,bpf"
	assert_log nolockdown 'kcc-init: hardening: kernel lockdown is confidentiality'
	assert_log nolockdown 'kcc-test: PASS refused-lockdown-none: lockdown-none EPERM'
}

@test "hardening: hardening.conf may name a service allowed to load BPF, and allow a weaker mode, and the log says so" {
	o=$BATS_FILE_TMPDIR/overlays
	cp -R "$TOP/overlays" "$o"
	printf 'allow_weaker = bpf-lsm\nbpf_allow_service = test-agent\nruntime_service = kcc-kubelet\n' >"$o/test/etc/kcc/hardening.conf"
	KCC_OVERLAYS=$o "$TOP/image/build.sh" --variant test --out "$BATS_FILE_TMPDIR/img" >/dev/null
	IMAGE=$BATS_FILE_TMPDIR/img
	vm_boot allowbpf --timeout 150
	assert_log allowbpf 'kcc-init: hardening: the image allows weaker modes for: bpf-lsm'
	assert_log allowbpf 'kcc-init: hardening: the image lets /sys/fs/cgroup/services/test-agent load BPF programs after boot'
	assert_log allowbpf 'kcc-test: PASS bpf-load: .*bpf-load ok'
	assert_log allowbpf 'kcc-test: PASS exec-tmp: .*exec EPERM'
	# The same image on a kernel without the BPF LSM: the weaker mode it allows, said in the log.
	vm_boot weaker --timeout 150 --cmdline "$(cat "$IMAGE/cmdline") lsm=lockdown,capability,landlock,yama"
	assert_log weaker 'kcc-init: hardening: the BPF LSM is not active \(bpf missing from /sys/kernel/security/lsm\) \(bpf-lsm\); continuing in the weaker mode /etc/kcc/hardening.conf allows'
	assert_log weaker 'kcc-init: services started'
	refute_log weaker 'boot stopped'
}
