#!/usr/bin/env bats
# kcc-kubelet in the guest: the default image's static pod serves HTTP to the host through qemu's
# port forward; a killed container restarts; a pod over its memory limit is OOM-killed and
# restarted; a malformed manifest rejects that pod only; probes, profiles and CRI logs.
load helper

setup_file() {
	local port=$((20000 + RANDOM % 20000)) i
	echo "$port" >"$BATS_FILE_TMPDIR/port"
	vm_boot pods --mode direct --timeout 240 --forward "$port:8080" \
		--cmdline "$(cat "$IMAGE/cmdline") kcc_test.pods=1" &
	# The host's side: fetch the page as soon as the pod serves it.
	: >"$BATS_FILE_TMPDIR/page"
	for i in $(seq 400); do
		if curl -sf -m 2 "http://127.0.0.1:$port/" -o "$BATS_FILE_TMPDIR/page"; then
			echo "$i" >"$BATS_FILE_TMPDIR/tries"
			break
		fi
		sleep 0.5
	done
	wait
}

@test "kubelet: the boot is ready once the kubelet's /healthz answers" {
	assert_log pods 'kcc-init: kcc-kubelet is ready'
	assert_log pods 'kcc-init: services started \(7 running, 0 failed\)'
	assert_log pods 'kcc-test: PASS kubelet-healthz: ok$'
	assert_log pods 'kcc-test: PASS kubelet-read-only:'
}

@test "kubelet: the default static pod serves HTTP to the host through the port forward" {
	grep -q 'kcc-node static pod: busybox httpd' "$BATS_FILE_TMPDIR/page"
	assert_log pods 'kcc-kubelet: pod kcc-web/web is ready'
	assert_log pods 'kcc-test: PASS pod-web-ready:'
	assert_log pods 'kcc-test: PASS pod-web-http:'
	assert_log pods 'kcc-test: PASS pod-host-request: .*\[::ffff:10\.0\.2\.2\]:[0-9]+: (url:/|response:200)'
}

@test "kubelet: the container runs with its hardened profile and its cgroup limits" {
	assert_log pods 'kcc-test: PASS pod-web-profile:'
	assert_log pods 'kcc-test: PASS pod-web-cgroup: /kubepods/pod[0-9a-f-]+/httpd 33554432 50000 100000 1024'
	assert_log pods 'kcc-test: PASS pod-probes-profile:'
}

@test "kubelet: inside a pod the node's seccomp policy refuses user namespaces and io_uring; clone3 is ENOSYS" {
	for c in "unshare-newuser EPERM" "clone-newuser EPERM" "clone3 ENOSYS" "clone-plain ok" \
		"io-uring-setup EPERM"; do
		assert_log pods "kcc-test: PASS pod-${c%% *}: $c\$"
	done
}

@test "kubelet: a killed container is restarted and serves again" {
	assert_log pods 'kcc-kubelet: container kcc-web/web/httpd exited with code 137 \(Error\)'
	assert_log pods 'kcc-kubelet: container kcc-web/web/httpd: restart in 0s'
	assert_log pods 'kcc-test: PASS pod-restart:'
}

@test "kubelet: a pod over its memory limit is OOM-killed and restarted, the node stays up" {
	assert_log pods 'kcc-kubelet: container default/oom/hog exited with code 137 \(OOMKilled\)'
	assert_log pods 'kcc-test: PASS pod-oom:'
	assert_log pods 'kcc-test: PASS kubelet-up:'
	assert_log pods 'kcc-test: PASS pod-web-still-running:'
	refute_log pods 'kcc-init: kcc-kubelet \(pid [0-9]+\) (exited with status [1-9]|killed)'
	refute_log pods 'kcc-init: restarting kcc-kubelet'
}

@test "kubelet: a malformed manifest rejects that pod with its reason while the others run" {
	assert_log pods 'kcc-kubelet: rejected pod default/bad from /var/lib/kcc-kubelet/manifests/bad.yaml: spec.containers\[0\].stdinOnce: unsupported field'
	assert_log pods 'kcc-test: PASS pod-rejected:'
}

@test "kubelet: exec probes: readiness gates the pod, a failed liveness probe restarts it" {
	assert_log pods 'kcc-kubelet: container kcc-test/probes/main is ready'
	assert_log pods 'kcc-kubelet: container kcc-test/probes/main failed its liveness probe 1 times, killing it'
	assert_log pods 'kcc-test: PASS pod-probes:'
	# an httpGet probe made inside a pod's own network namespace
	assert_log pods 'kcc-kubelet: container default/netns/httpd is ready'
	assert_log pods 'kcc-test: PASS pod-netns-probe: default/netns +Running +yes .*not on the host.s loopback'
}

@test "kubelet: an OCI archive imported onto /var runs as a pod" {
	assert_log pods 'kcc-test: PASS image-import: imported /tmp/imp.tar into /var/lib/kcc-kubelet/images/imported: 2 image manifest\(s\), every blob verified'
	assert_log pods 'kcc-test: PASS pod-imported-image: default/imported +Running'
}

@test "kubelet: container output is in the CRI log format under /var/log/pods" {
	assert_log pods 'kcc-test: PASS pod-cri-log:'
}

@test "pod security: every hostile manifest is refused with the rule it broke" {
	local m='kcc-kubelet: rejected pod kcc-hostile'
	assert_log pods 'kcc-kubelet: pod policy: restricted, with 5 rule\(s\) from /etc/kcc/pod-policy.conf'
	assert_log pods "$m/proc-rw from [^ ]+: hostPathForbidden: spec.volumes\[0\].hostPath.path: '/proc' is never mountable"
	assert_log pods "$m/host-root from [^ ]+: hostPathForbidden: spec.volumes\[0\].hostPath.path: '/' is never mountable"
	assert_log pods "$m/host-etc from [^ ]+: hostPathForbidden: spec.volumes\[0\].hostPath.path: '/etc' is never mountable"
	assert_log pods "$m/proc-spelled from [^ ]+: hostPathForbidden: spec.volumes\[0\].hostPath.path: '/var/lib/pod-data/../../../proc/.' is never mountable \(it is, lies below or contains /proc\)"
	assert_log pods "$m/proc-symlink from [^ ]+: hostPathSymlink: '/var/lib/pod-data/proc-link' goes through a symbolic link"
	assert_log pods "$m/kcc-parent from [^ ]+: hostPathForbidden: spec.volumes\[0\].hostPath.path: '/var/lib' is never mountable \(it is, lies below or contains /var/lib/kcc\)"
	assert_log pods "$m/run-as-root from [^ ]+: runAsRoot: spec.containers\[0\].securityContext.runAsUser: 0 \(root\) is not allowed in namespace kcc-hostile"
	assert_log pods "$m/net-admin from [^ ]+: capabilities: spec.containers\[0\].securityContext.capabilities.add\[0\]: CAP_NET_ADMIN is not allowed in namespace kcc-hostile"
	assert_log pods "$m/sys-admin from [^ ]+: capabilities: spec.containers\[0\].securityContext.capabilities.add\[0\]: CAP_SYS_ADMIN is never allowed in a pod on kcc-node"
	assert_log pods "$m/uid-max from [^ ]+: spec.containers\[0\].securityContext.runAsUser: must be a whole number up to 2147483647, not '4294967295'"
	assert_log pods "$m/host-network from [^ ]+: hostNetwork: spec.hostNetwork: true is not allowed in namespace kcc-hostile"
	assert_log pods 'kcc-kubelet: container kcc-hostile/non-root-image/c: runAsNonRoot: spec.containers\[0\]: the image.s user \(unset: root\) is root and runAsNonRoot is true'
	for c in proc-rw host-root host-etc proc-spelled proc-symlink kcc-parent run-as-root net-admin \
		sys-admin uid-max host-network non-root-image nothing-mounted; do
		assert_log pods "kcc-test: PASS hostile-$c:"
	done
	refute_log pods 'kcc-kubelet: container kcc-hostile/.* started'
}

@test "pod security: container root is not host root and cannot write /proc/sys" {
	assert_log pods 'kcc-test: PASS pod-userns: uid_map: 0 10[0-9]{8} 65536; host Uid: 10[0-9]{8}'
	assert_log pods "kcc-test: PASS pod-proc-sys-read-only: .*can't create /proc/sys/kernel/core_pattern: Read-only file system"
}

@test "kubelet confinement: /proc/sys is read-only in its namespace, it keeps only the capabilities it needs" {
	assert_log pods "kcc-test: PASS kubelet-proc-sys: .*can't create /proc/sys/kernel/hostname: Read-only file system"
	assert_log pods 'kcc-test: PASS kubelet-caps: CapBnd:00000000812c11eb CapEff:00000000812c11eb CapAmb:0000000000000000$'
}

@test "kubelet: every in-guest check passes and the node powers off cleanly" {
	refute_log pods 'kcc-test: FAIL'
	assert_log pods 'kcc-test: agent done'
	assert_log pods 'kcc-init: stopped kcc-kubelet'
	assert_log pods 'kcc-kubelet: every pod stopped'
	[ "$(vm_rc pods)" -eq 0 ]
}

# The production image (no test agent, kcc-init without test hooks): the default pod's readiness is
# announced there too, as make bench reads it.
@test "kubelet: in the production image the default pod is announced ready" {
	IMAGE=${KCC_PROD_IMAGE:-$TOP/build/prod} vm_boot prod-pod --mode direct --timeout 180 \
		--until 'kcc-kubelet: pod kcc-web/web is ready'
	assert_log prod-pod 'kcc-init: kcc-kubelet is ready'
	assert_log prod-pod 'kcc-kubelet: container kcc-web/web/httpd is ready'
	assert_log prod-pod 'kcc-kubelet: pod kcc-web/web is ready'
}
