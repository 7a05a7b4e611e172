#!/usr/bin/env bats
# Upstream mode (make image KUBELET=...): the image carries the given kubelet with Debian's
# containerd and runc; kcc-init starts containerd, and the kubelet only once the attested join has
# handed it its credentials (docs/kubelet.md, "Upstream mode"). The kubelet here is a STAND-IN
# (tests/vm/standin-kubelet.c) that reports how it was started and presents its kubeconfig's
# client certificate to the API server: the upstream kubelet is not among Debian's packages. The
# host runs kcc-verify (test policy, the image's signed reference values, the shortest validity,
# 60 s) and an API server STAND-IN (tests/vm/apiserver-standin.py) that accepts only client
# certificates of kcc-verify's issuing CA; the guest reaches both through qemu's user network
# (10.0.2.100:8443 and :6443). One boot, until the stand-in kubelet has presented a renewed
# certificate (the test agent leaves the node up: io.kcc-node.test.shutdown=none); a second, short
# boot with a configuration that names no kubelet.api-server, refused in the initrd. KCC_UPSTREAM_IMAGE: an upstream test image built beforehand (else built here).
load helper

VERIFY=$TOP/build/bin/kcc-verify
. "$TOP/tests/attest-env.sh"

setup_file() {
	S=$BATS_FILE_TMPDIR
	T=$S/verifier
	IMG=${KCC_UPSTREAM_IMAGE:-$S/img}
	mkdir -p "$T" "$S/tpm"
	if [ -z "${KCC_UPSTREAM_IMAGE:-}" ]; then
		"$TOP/image/build.sh" --variant test --kubelet "$TOP/build/bin/kcc-test-standin-kubelet" \
			--out "$IMG" >"$S/build.log" 2>&1
	fi
	echo "$IMG" >"$S/img.path"
	attest_env_setup
	swtpm_setup --tpm2 --tpmstate "$S/tpm" --create-ek-cert --create-platform-cert \
		--config "$S/setup.conf" --overwrite >"$S/swtpm_setup.log" 2>&1
	start_verifier --ek-roots "$S/ekca.pem" --reference "$IMG/reference-values.json" \
		--reference-key "$TOP/build/keys/reference-values-test-public-key.pem" --policy test \
		--validity 60
	echo "$VPID" >"$S/verifier.pid"
	# The cluster: its CA (the node configuration's kubelet.cluster-ca) signs the API server's
	# certificate; the API server stand-in trusts only kcc-verify's issuing CA for clients.
	ca cluster "test cluster CA"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$S/api.key" \
		-out "$S/api.csr" -subj "/CN=kube-apiserver" 2>/dev/null
	openssl x509 -req -in "$S/api.csr" -CA "$S/cluster.pem" -CAkey "$S/cluster.key" -days 2 \
		-extfile <(printf 'subjectAltName=IP:10.0.2.100\n') -out "$S/api.pem" 2>/dev/null
	python3 "$TOP/tests/vm/apiserver-standin.py" --cert "$S/api.pem" --key "$S/api.key" \
		--client-ca "$S/issuer.pem" >"$S/api.log" 2>&1 &
	echo $! >"$S/api.pid"
	wait_for grep -q '^listening on ' "$S/api.log"
	jq -n --rawfile ca "$S/tlsca.pem" --rawfile cluster "$S/cluster.pem" '{version: 1,
		hostname: "upstream-node-1",
		network: {mode: "static", interface: "eth0", address: "10.0.2.15/24", gateway: "10.0.2.2"},
		verifier: {url: "https://10.0.2.100:8443", ca: $ca},
		kubelet: {"api-server": "https://10.0.2.100:6443", "cluster-ca": $cluster}}' >"$S/node.json"
	IMAGE=$IMG vm_boot up --mode direct --timeout 420 --fw-cfg "$S/node.json" --tpm-state "$S/tpm" \
		--guest-forward "8443:${URL##*:}" \
		--guest-forward "6443:$(sed -n 's/^listening on //p' "$S/api.log")" \
		--smbios-11 io.kcc-node.test.shutdown=none \
		--until 'kubelet stand-in: presented client certificate #2 '
	kill "$VPID" "$(cat "$S/api.pid")" 2>/dev/null || true
	# The same node configuration without its kubelet section: kcc-init refuses it in the initrd
	# (a short boot, until the refusal's last line).
	jq 'del(.kubelet)' "$S/node.json" >"$S/node-no-api.json"
	IMAGE=$IMG vm_boot noapi --mode direct --timeout 240 --fw-cfg "$S/node-no-api.json" \
		--until 'kcc-init: node config: refused '
}

# The serials the stand-in kubelet presented, in order, one a line.
presented() {
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" |
		sed -n 's/.*kubelet stand-in: presented client certificate #[0-9]* serial \([0-9A-F]*\) .*/\1/p'
}

@test "upstream: the image carries the given kubelet, containerd and runc, and no kcc-kubelet service" {
	m=$(cat "$BATS_FILE_TMPDIR/img.path")/manifest.json
	[ "$(jq -r .upstream_kubelet.sha256 "$m")" = "$(sha256sum "$TOP/build/bin/kcc-test-standin-kubelet" | cut -d' ' -f1)" ]
	jq -e '.packages.containerd and .packages.runc' "$m"
	refute_log up 'started kcc-kubelet'
}

@test "upstream: kcc-init starts containerd, then the kubelet once the join wrote its kubeconfig; the boot is ready on its /healthz" {
	assert_log up 'kcc-init: started containerd \(pid [0-9]+\)'
	assert_log up 'kcc-init: kubelet waits for /run/kcc-identity/kubelet.kubeconfig'
	assert_log up 'kcc-init: started kubelet \(pid [0-9]+\)'
	# order: the kubelet's wait (logged when the services are loaded), containerd, then the
	# kubelet, which found its kubeconfig (kcc-attest writes it last, by rename, and logs "joined"
	# after it has read the certificate back, so that line may come just after the kubelet's start)
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" |
		grep -aE 'kcc-init: (started (containerd|kubelet) |kubelet waits for)|kubelet stand-in: kubeconfig' >"$BATS_FILE_TMPDIR/order"
	cat "$BATS_FILE_TMPDIR/order"
	grep -q 'kubelet waits for /run/kcc-identity/kubelet.kubeconfig' <(sed -n 1p "$BATS_FILE_TMPDIR/order")
	grep -q 'started containerd' <(sed -n 2p "$BATS_FILE_TMPDIR/order")
	grep -q 'started kubelet' <(sed -n 3p "$BATS_FILE_TMPDIR/order")
	grep -q 'kubelet stand-in: kubeconfig /run/kcc-identity/kubelet.kubeconfig: read;' <(sed -n 4p "$BATS_FILE_TMPDIR/order")
	assert_log up 'kcc-attest: joined as system:node:upstream-node-1; .*the kubelet.s in /run/kcc-identity/kubelet.kubeconfig'
	assert_log up 'kcc-init: kubelet is ready'
	assert_log up 'kcc-init: services started \([0-9]+ running, 0 failed\)'
}

@test "upstream: containerd answers on its socket" {
	assert_log up 'kubelet stand-in: containerd socket accepts connections'
	refute_log up 'failed to load plugin io.containerd.grpc.v1.cri'
	assert_log up 'kcc-test: PASS containerd-answers: .*Server: *Version: *1\.6'
	assert_log up 'kcc-init: hardening: the container runtime /sys/fs/cgroup/services/containerd may load cgroup device programs'
}

@test "upstream: the kubelet runs with the hardened KubeletConfiguration and the attested kubeconfig, no bootstrap kubeconfig" {
	assert_log up 'kubelet stand-in \(test only, not the upstream kubelet\): argv: --config=/etc/kubernetes/kubelet-config.yaml --kubeconfig=/run/kcc-identity/kubelet.kubeconfig --cert-dir=/var/lib/kubelet/pki'
	refute_log up 'bootstrap-kubeconfig'
	for setting in 'kind: KubeletConfiguration' 'readOnlyPort: 0' 'protectKernelDefaults: true' \
		'seccompDefault: true' 'rotateCertificates: false' 'serverTLSBootstrap: true' \
		'  mode: Webhook' 'tlsMinVersion: VersionTLS12' '  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' \
		'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock'; do
		assert_log up "kubelet stand-in: config: $setting\$"
	done
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" | grep -aA1 'config:   anonymous:' | grep -q 'config:     enabled: false'
	# the kernel settings protectKernelDefaults checks
	assert_log up 'kcc-init: hardening: 5 sysctls of /etc/kcc/hardening.conf set and read back'
	assert_log up 'kubelet stand-in: kubeconfig /run/kcc-identity/kubelet.kubeconfig: read; server https://10.0.2.100:6443, CA /var/lib/kcc/kubelet/ca.crt, client certificate /var/lib/kubelet/pki/kubelet-client-current.pem, key /var/lib/kubelet/pki/kubelet-client-current.pem'
	refute_log up 'kcc-test: FAIL'
}

@test "upstream: the API server (stand-in, trusting only the issuing CA) accepts the kubelet's attested certificate, and the renewed one" {
	cat "$BATS_FILE_TMPDIR/api.log"
	tr -d '\r' <"$BATS_FILE_TMPDIR/up.log" | grep -aE 'kubelet stand-in: (presented|TLS|cannot)|kcc-attest|kubelet' | tail -20
	presented
	[ "$(presented | wc -l)" -ge 2 ]
	first=$(presented | sed -n 1p)
	second=$(presented | sed -n 2p)
	[ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]
	# the API server accepted both, as system:node:NAME in system:nodes
	grep -qx "accepted serial=$first user=system:node:upstream-node-1 groups=system:nodes" "$BATS_FILE_TMPDIR/api.log"
	grep -qx "accepted serial=$second user=system:node:upstream-node-1 groups=system:nodes" "$BATS_FILE_TMPDIR/api.log"
	! grep -q '^refused' "$BATS_FILE_TMPDIR/api.log"
	assert_log up "kubelet stand-in: presented client certificate #2 serial $second to the API server; it answered: HTTP/1.1 200 OK .*serial=$second user=system:node:upstream-node-1"
	# both were kcc-verify's, each after an affirming appraisal of this boot
	[ "$(jq -s 'map(select(.verdict == "affirming" and .node == "upstream-node-1")) | length' "$BATS_FILE_TMPDIR/verifier/results")" -ge 2 ]
	# the renewal was the join service's, at two thirds of the 60 s less the jitter
	assert_log up 'kcc-attest: joined as system:node:upstream-node-1; .* renewing in (3[6-9]|40) s'
	refute_log up 'PRIVATE KEY'
}

@test "upstream: a configuration naming a verifier but no kubelet.api-server is refused with one line naming the field (its kubelet would wait forever)" {
	assert_log noapi 'kcc-init: node config \(fw_cfg\): config: \.kubelet\.api-server: required on an upstream-mode image whose node joins through a verifier'
	assert_log noapi 'kcc-init: node config: refused \(fw_cfg, sha256 [0-9a-f]{64}\): the node stays unjoined'
	[ "$(tr -d '\r' <"$BATS_FILE_TMPDIR/noapi.log" | grep -ac 'kcc-init: node config (fw_cfg): ')" = 1 ]
}
