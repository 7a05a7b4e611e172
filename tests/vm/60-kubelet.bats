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
	assert_log pods 'kcc-init: services started \(6 running, 0 failed\)'
	assert_log pods 'kcc-test: PASS kubelet-healthz: ok$'
	assert_log pods 'kcc-test: PASS kubelet-read-only:'
}

@test "kubelet: the default static pod serves HTTP to the host through the port forward" {
	grep -q 'kcc-node static pod: busybox httpd' "$BATS_FILE_TMPDIR/page"
	assert_log pods 'kcc-kubelet: pod default/web is ready'
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
	assert_log pods 'kcc-kubelet: container default/web/httpd exited with code 137 \(Error\)'
	assert_log pods 'kcc-kubelet: container default/web/httpd: restart in 0s'
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

@test "kubelet: every in-guest check passes and the node powers off cleanly" {
	refute_log pods 'kcc-test: FAIL'
	assert_log pods 'kcc-test: agent done'
	assert_log pods 'kcc-init: stopped kcc-kubelet'
	assert_log pods 'kcc-kubelet: every pod stopped'
	[ "$(vm_rc pods)" -eq 0 ]
}
