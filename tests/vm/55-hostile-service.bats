#!/usr/bin/env bats
# A hostile service (tests/vm/hostile.c, overlays/test/usr/lib/kcc-test/hostile-services/) tries to
# stop or take over the node: kill(1, SIGTERM), kill(-1, SIGKILL), poweroff on the control socket,
# writes to another service's cgroup. Once as its own default uid, once as uid 0 without
# capabilities. Each attempt is reported by name and result; the node must stay up and still obey
# the test agent's poweroff (it holds CAP_SYS_BOOT). The same boot carries "exitrd poweroff" on the
# kernel command line (PID 1 must not read its argv), a service that never becomes ready (start
# timeout), one whose forked helper must get SIGTERM at stop, and the confined test's script with
# Landlock off (the control of the Landlock assertion in 50-hardening.bats).
load helper

setup_file() {
	local o=$BATS_FILE_TMPDIR/overlays
	cp -R "$TOP/overlays" "$o"
	cp "$o"/test/usr/lib/kcc-test/hostile-services/*.conf "$o/test/etc/kcc/services/"
	# the agent runs once both hostile services reported everything
	printf 'after = hostile\nafter = hostile-root\n' >>"$o/test/etc/kcc/services/test-agent.conf"
	KCC_OVERLAYS=$o "$TOP/image/build.sh" --variant test --out "$BATS_FILE_TMPDIR/img" \
		>"$BATS_FILE_TMPDIR/build.log" 2>&1
	IMAGE=$BATS_FILE_TMPDIR/img vm_boot hostile --timeout 240 \
		--cmdline "$(cat "$BATS_FILE_TMPDIR/img/cmdline") exitrd poweroff"
}

@test "hostile service: as its own uid every attempt is refused, by name" {
	assert_log hostile 'kcc-init\[hostile\]: hostile: uid (6[1-5][0-9]{3}) gid \1$'
	assert_log hostile 'kcc-init\[hostile\]: hostile: kill-pid1-term EPERM '
	assert_log hostile 'kcc-init\[hostile\]: hostile: ctl-poweroff EACCES connect /run/kcc/control'
	assert_log hostile 'kcc-init\[hostile\]: hostile: kcc-ctl-poweroff exit-112 '
	assert_log hostile 'kcc-init\[hostile\]: hostile: cgroup-write EACCES '
	assert_log hostile 'kcc-init\[hostile\]: hostile: cgroup-move EACCES '
	assert_log hostile 'kcc-init\[hostile\]: hostile: kill-all survived kill\(-1, SIGKILL\)'
	assert_log hostile 'kcc-init\[hostile\]: hostile: done'
}

@test "hostile service: as uid 0 without capabilities PID 1 refuses its reboot signal and its poweroff" {
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: uid 0 gid 0$'
	# Delivered (same uid) but ignored by PID 1, or refused by the kernel (a BPF task_kill hook).
	if tr -d '\r' <"$BATS_FILE_TMPDIR/hostile.log" | grep -qa 'hostile-root\]: hostile: kill-pid1-term ok'; then
		assert_log hostile 'kcc-init: ignoring Terminated from pid [0-9]+ \(uid 0\): no CAP_SYS_BOOT in its effective set'
	else
		assert_log hostile 'kcc-init\[hostile-root\]: hostile: kill-pid1-term EPERM '
	fi
	assert_log hostile "kcc-init\\[hostile-root\\]: hostile: ctl-poweroff refused reply 'error: permission denied: poweroff needs CAP_SYS_BOOT'"
	assert_log hostile 'kcc-init: control: refused poweroff from pid [0-9]+ \(uid 0\): no CAP_SYS_BOOT in its effective set'
	# kcc-ctl says so with its exit code for a refusal
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: kcc-ctl-poweroff exit-112 '
	assert_log hostile 'kcc-init\[hostile-root\]: kcc-ctl: error: permission denied: poweroff needs CAP_SYS_BOOT'
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: cgroup-write EROFS '
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: cgroup-move EROFS '
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: kill-all survived '
	assert_log hostile 'kcc-init\[hostile-root\]: hostile: done'
}

@test "hostile service: the node stays up and obeys the agent's poweroff (CAP_SYS_BOOT)" {
	[ "$(vm_rc hostile)" -eq 0 ]
	assert_log hostile 'kcc-test: agent done'
	refute_log hostile 'kcc-test: FAIL'
	refute_log hostile 'requested by SIGTERM'
	assert_log hostile 'kcc-init: poweroff requested by kcc-ctl'
	assert_log hostile 'kcc-init: shutdown complete \(0 mounts left\)'
	assert_log hostile 'reboot: Power down'
}

@test "PID 1 ignores kernel command-line words in its argv: 'exitrd poweroff' boots normally" {
	assert_log hostile 'kcc-init: system stage started on the verity root'
	assert_log hostile 'kcc-init: services started'
	# and the real exitrd, handed over by the sealed memfd, still runs at the end
	assert_log hostile 'kcc-init: closed verity device root'
}

@test "supervisor: a service that never signals readiness is killed after its start timeout and the boot goes on" {
	assert_log hostile 'kcc-init\[never-ready\]: never-ready up'
	assert_log hostile 'kcc-init: never-ready did not signal readiness within 3000 ms: killing it, it counts as failed and the boot goes on'
	assert_log hostile 'kcc-init: services started \([0-9]+ running, 1 failed\)'
	assert_log hostile 'kcc-init: restarting never-ready in 1000 ms'
}

@test "supervisor: services start inside their cgroups and stop with SIGTERM to every process" {
	refute_log hostile 'lacks clone3'
	assert_log hostile 'kcc-init: stopping term-all \(pid [0-9]+, SIGTERM to [2-9] processes\)'
	assert_log hostile 'kcc-init\[term-all\]: helper got SIGTERM'
	assert_log hostile 'kcc-init: term-all did not stop within 3000 ms, killing its cgroup'
}

@test "confined test without Landlock: the write to /dev/full reaches the device (ENOSPC)" {
	assert_log hostile 'kcc-init\[confined-open\]: confined: write /dev/full: .*No space left on device'
	assert_log hostile 'kcc-init\[confined\]: confined: write /dev/full: .*Permission denied'
}
