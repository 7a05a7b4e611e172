#!/usr/bin/env bats
# kcc-kubelet against hostile local input (the in-guest half: overlays/test/usr/lib/kcc-test/kio.sh):
# slow HTTP clients, a FIFO and other non-regular files in a manifest folder, /pods for a user
# who is not root, import bombs, a container named like the pod's volume folder.
load helper

setup_file() {
	vm_boot kio --mode direct --timeout 420 --cmdline "$(cat "$IMAGE/cmdline") kcc_test.kio=1"
}

@test "kubelet io: /healthz answers within the deadline while 40 slow clients are connected" {
	assert_log kio 'kcc-test: PASS kio-healthz-while-slow: ok ok ok, each in [0-9]+ ms or less, 40 slow clients connected'
	assert_log kio 'kcc-test: PASS kio-slow-cut-off: 40 slow clients cut off within [0-9]+ ms'
}

@test "kubelet io: a FIFO, a link and a huge file named *.yaml are refused with one line each, the loop runs on" {
	assert_log kio 'kcc-kubelet: manifest /var/lib/kcc-kubelet/manifests/x\.yaml: a FIFO, ignoring it; the other pods carry on'
	assert_log kio 'kcc-kubelet: manifest /var/lib/kcc-kubelet/manifests/zero\.yaml: a symbolic link, ignoring it'
	assert_log kio 'kcc-kubelet: manifest /var/lib/kcc-kubelet/manifests/huge\.yaml: larger than 1048576 bytes, ignoring it'
	[ "$(tr -d '\r' <"$BATS_FILE_TMPDIR/kio.log" | grep -c 'manifest /var/lib/kcc-kubelet/manifests/x\.yaml: a FIFO')" -eq 1 ]
	assert_log kio 'kcc-test: PASS kio-fifo-manifest: default/after-fifo +Running'
}

@test "kubelet io: a container named volumes does not land in the pod's volume folder" {
	assert_log kio 'kcc-test: PASS kio-container-named-volumes: .* stdout F volume-separate$'
}

@test "kubelet io: /pods on 127.0.0.1 has no PIDs or messages for a user who is not root" {
	assert_log kio 'kcc-test: PASS kio-pods-redacted:'
	assert_log kio 'kcc-test: PASS kio-pods-socket-root-only: exit 1: kcc-kubelet: no status from /run/kcc-kubelet/kubelet.sock: Permission denied'
}

@test "kubelet io: import bombs are refused with their limit named and leave nothing on /var" {
	assert_log kio 'kcc-test: PASS kio-import-bomb: exit 1: kcc-kubelet: import refused: /tmp/bomb.tar.gz: more than [0-9]+ bytes unpacked \((the per-import limit|the free space kept on the file system)\)'
	assert_log kio 'kcc-test: PASS kio-import-files: exit 1: kcc-kubelet: import refused: /tmp/files.tar.gz: more than 4096 entries \(the per-import limit\)'
	assert_log kio 'kcc-test: PASS kio-pods-still-running: kcc-kubelet running pid=[0-9]+ restarts=0'
}

@test "kubelet io: every in-guest check passes and the node powers off cleanly" {
	refute_log kio 'kcc-test: FAIL'
	assert_log kio 'kcc-test: agent done'
	[ "$(vm_rc kio)" -eq 0 ]
}
