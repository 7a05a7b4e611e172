#!/usr/bin/env bats
# Upstream mode (make image KUBELET=...): the image carries the given kubelet with Debian's
# containerd and runc; kcc-init starts containerd, then the kubelet with the hardened
# KubeletConfiguration and the bootstrap kubeconfig from the state partition. The kubelet here is
# a STAND-IN (tests/vm/standin-kubelet.c) that reports how it was started: the upstream kubelet is
# not among Debian's packages.
load helper

setup_file() {
	"$TOP/image/build.sh" --variant test --kubelet "$TOP/build/bin/kcc-test-standin-kubelet" \
		--out "$BATS_FILE_TMPDIR/img" >"$BATS_FILE_TMPDIR/build.log" 2>&1
	IMAGE=$BATS_FILE_TMPDIR/img vm_boot up --mode direct --timeout 180
}

@test "upstream: the image carries the given kubelet, containerd and runc, and no kcc-kubelet service" {
	m=$BATS_FILE_TMPDIR/img/manifest.json
	[ "$(jq -r .upstream_kubelet.sha256 "$m")" = "$(sha256sum "$TOP/build/bin/kcc-test-standin-kubelet" | cut -d' ' -f1)" ]
	jq -e '.packages.containerd and .packages.runc' "$m"
	refute_log up 'started kcc-kubelet'
}

@test "upstream: kcc-init starts containerd, then the kubelet; the boot is ready on its /healthz" {
	assert_log up 'kcc-init: started containerd \(pid [0-9]+\)'
	assert_log up 'kcc-init: started kubelet \(pid [0-9]+\)'
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" | grep -aE 'kcc-init: started (containerd|kubelet) ' | head -n1 |
		grep -q 'started containerd'
	assert_log up 'kcc-init: kubelet is ready'
	assert_log up 'kcc-init: services started \(8 running, 0 failed\)'
}

@test "upstream: containerd answers on its socket" {
	assert_log up 'kubelet stand-in: containerd socket accepts connections'
	refute_log up 'failed to load plugin io.containerd.grpc.v1.cri'
	assert_log up 'kcc-test: PASS containerd-answers: .*Server: *Version: *1\.6'
	assert_log up 'kcc-init: hardening: the container runtime /sys/fs/cgroup/services/containerd may load cgroup device programs'
}

@test "upstream: the kubelet runs with the hardened KubeletConfiguration and the bootstrap kubeconfig on /var" {
	assert_log up 'kubelet stand-in \(test only, not the upstream kubelet\): argv: --config=/etc/kubernetes/kubelet-config.yaml --bootstrap-kubeconfig=/var/lib/kcc/kubelet/bootstrap-kubeconfig --kubeconfig=/var/lib/kubelet/kubeconfig'
	for setting in 'kind: KubeletConfiguration' 'readOnlyPort: 0' 'protectKernelDefaults: true' \
		'seccompDefault: true' 'rotateCertificates: true' 'serverTLSBootstrap: true' \
		'  mode: Webhook' 'tlsMinVersion: VersionTLS12' '  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' \
		'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock'; do
		assert_log up "kubelet stand-in: config: $setting\$"
	done
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" | grep -aA1 'config:   anonymous:' | grep -q 'config:     enabled: false'
	# the kernel settings protectKernelDefaults checks
	assert_log up 'kcc-init: hardening: 5 sysctls of /etc/kcc/hardening.conf set and read back'
	assert_log up 'kubelet stand-in: bootstrap kubeconfig /var/lib/kcc/kubelet/bootstrap-kubeconfig: absent'
	refute_log up 'kcc-test: FAIL'
	assert_log up 'kcc-test: agent done'
}
