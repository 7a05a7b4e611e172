#!/usr/bin/env bats
# Direct kernel boot of the test image: kcc-init from the initramfs to the services and back down.
load helper

setup_file() {
	vm_boot happy --mode direct --timeout 120
	# The BPF LSM refuses signals from user space to PID 1: the agent tries each, then the
	# host presses ctrl-alt-del, which the kernel turns into SIGINT to PID 1 (kcc-init disabled
	# CAD).
	vm_boot signals --mode direct --timeout 150 --cad-on 'kcc-test: INFO waiting for ctrl-alt-del' \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.shutdown=signals"
}

@test "direct: boots to 'services started' with the initramfs and verity stages" {
	assert_log happy 'kcc-init: initrd stage started'
	assert_log happy 'kcc-init: no kernel modules to load: /etc/kcc/modules.conf is empty, the kernel has its drivers built in'
	assert_log happy 'kcc-init: root /dev/vda2 \(root-a\) verified by /dev/vda3'
	assert_log happy 'kcc-init: verity root mounted read-only'
	assert_log happy 'kcc-init: system stage started on the verity root'
	assert_log happy 'kcc-init: services started \(7 running, 0 failed\)'
	# No node configuration given: said so, nothing measured into PCR 12 for it.
	assert_log happy 'kcc-init: node config: none \(the image.s network settings, no time service, not joined\)'
	assert_log happy 'kcc-test: INFO node-config=none hostname=kcc-node$'
	assert_log happy 'kcc-test: INFO node-config-event=none$'
	assert_log happy 'kcc-init: boot timeline \(ms since kernel start\): initrd [0-9]+-[0-9]+, .*services started at [0-9]+ ms'
	# No loader, so no boot counting (docs/upgrades.md): said once, nothing blessed; no watchdog
	# device, nothing armed.
	assert_log happy 'kcc-init: boot not counted \(no LoaderBootCountPath: direct kernel or blessed entry\), nothing to bless'
	refute_log happy 'kcc-init: boot (blessed|marked bad)'
	refute_log happy 'hardware watchdog'
}

@test "direct: every in-guest check passes" {
	for c in $agent_checks; do
		assert_log happy "kcc-test: PASS $c:"
	done
	refute_log happy 'kcc-test: FAIL'
	assert_log happy 'kcc-test: INFO secureboot=none'
}

@test "direct: a killed service restarts with a growing backoff" {
	assert_log happy 'kcc-init: sleeper \(pid [0-9]+\) killed by signal 9 \(status 137\)'
	assert_log happy 'restarting sleeper in 200 ms \(restart 1\)'
	assert_log happy 'restarting sleeper in 400 ms \(restart 2\)'
}

@test "direct: service output reaches the log with its name" {
	assert_log happy 'kcc-init\[sleeper\]: sleeper up'
}

@test "direct: poweroff stops services in reverse order and reports every unmount" {
	[ "$(vm_rc happy)" -eq 0 ]
	assert_log happy 'poweroff requested by kcc-ctl'
	# A service that ignores SIGTERM has its cgroup killed after its stop_timeout_ms.
	assert_log happy 'kcc-init: stubborn did not stop within 500 ms, killing its cgroup'
	assert_log happy 'kcc-init: stopped stubborn'
	# test-agent started after sleeper, so it stops first.
	vm_log happy | grep -aoE 'stopping (test-agent|sleeper)' | tr '\n' ' ' | grep -q 'stopping test-agent stopping sleeper'
	for m in /tmp /var /sys/fs/cgroup /run /dev /proc /sys /; do
		assert_log happy "kcc-init: unmounted $m\$"
	done
	# The LUKS2 state volume on /var closes before the verity root it is mounted under.
	vm_log happy | grep -aoE 'closed (LUKS2 device state|verity device root)' | tr '\n' ' ' |
		grep -q 'closed LUKS2 device state closed verity device root'
	assert_log happy 'kcc-init: shutdown complete \(0 mounts left\)'
	assert_log happy 'kcc-init: powering off now'
	assert_log happy 'reboot: Power down'
}

@test "direct: signals from a service to PID 1 are refused; ctrl-alt-del (SIGINT) powers off after an orderly stop" {
	for s in TERM USR2 INT; do
		assert_log signals "kcc-test: PASS signal-pid1-$s: kill -$s 1: .*(Operation not permitted|EPERM)"
	done
	assert_log signals 'kcc-init: bpf-lsm: denied a signal to pid 1 from pid [0-9]+'
	refute_log signals 'requested by SIG(TERM|USR2)'
	[ "$(vm_rc signals)" -eq 0 ]
	assert_log signals 'poweroff requested by ctrl-alt-del'
	assert_log signals 'kcc-init: closed verity device root'
	assert_log signals 'kcc-init: powering off now'
	assert_log signals 'reboot: Power down'
}
