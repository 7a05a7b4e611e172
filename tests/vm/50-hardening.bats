#!/usr/bin/env bats
# The system stage's hardening (sysctls, modules_disabled, lockdown=confidentiality): the agent's
# checks on every happy boot assert each refusal with its exact errno (10-direct-boot.bats); here,
# a kernel that cannot do a step makes the node refuse to go on, with one line saying which.
load helper

@test "hardening: every step is logged and the agent finds each refusal with its errno" {
	vm_boot happy --timeout 150
	assert_log happy 'kcc-init: hardening: 30 sysctls set and read back'
	assert_log happy 'kcc-init: hardening: module loading disabled'
	assert_log happy 'kcc-init: hardening: kernel lockdown is confidentiality'
	for c in lockdown refused-devmem refused-kcore refused-devport refused-lockdown-none \
		refused-init-module refused-kexec-load refused-kexec-file-load sysctls; do
		assert_log happy "kcc-test: PASS $c:"
	done
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
	assert_log nolockdown 'kcc-test: PASS refused-devmem: devmem EPERM'
}
