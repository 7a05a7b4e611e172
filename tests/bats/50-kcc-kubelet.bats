#!/usr/bin/env bats
# kcc-kubelet's command line on the host: `check` on good and malformed manifests and under the
# node's pod security policy (restricted, or --policy FILE), `import` of OCI archives (a good one;
# a changed byte, a symbolic link, a taken name, not a layout, over its limits: refused with
# nothing left behind), a FIFO given to `check`, usage errors (exit 100).
load helper

KUBELET=$TOP/build/bin/kcc-kubelet

setup_file() {
	S=$BATS_FILE_TMPDIR
	SOURCE_DATE_EPOCH=1700000000 "$TOP/image/oci-busybox.sh" "$(command -v busybox)" "$S/layout" 1.0
	tar -C "$S/layout" -cf "$S/bb.tar" .
	# the same archive with one byte of its layer changed
	cp -R "$S/layout" "$S/bad"
	layer=$(ls -S "$S/bad/blobs/sha256" | head -n1)
	printf 'X' | dd of="$S/bad/blobs/sha256/$layer" bs=1 seek=100 conv=notrunc status=none
	tar -C "$S/bad" -cf "$S/tampered.tar" .
	# a symbolic link among the blobs
	cp -R "$S/layout" "$S/link"
	ln -s /etc/passwd "$S/link/blobs/sha256/evil"
	tar -C "$S/link" -cf "$S/link.tar" .
	mkdir -p "$S/notlayout" && echo hi >"$S/notlayout/file"
	tar -C "$S/notlayout" -cf "$S/notlayout.tar" .
}

@test "kcc-kubelet check: the image's manifests pass, a malformed one names its field (exit 1)" {
	run "$KUBELET" check --policy "$TOP/overlays/test/etc/kcc/pod-policy.conf" \
		"$TOP/overlays/common/etc/kubernetes/manifests/web.yaml" \
		"$TOP"/overlays/test/usr/lib/kcc-test/manifests/{oom.yaml,probes.json}
	[ "$status" -eq 0 ]
	[[ $output == *"web.yaml: ok: pod kcc-web/web, 1 container(s)"* ]]
	[[ $output == *"probes.json: ok: pod kcc-test/probes"* ]]
	run "$KUBELET" check "$TOP/overlays/test/usr/lib/kcc-test/manifests/bad.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"rejected: spec.containers[0].stdinOnce: unsupported field"* ]]
	run "$KUBELET" check /nonexistent.yaml
	[ "$status" -eq 1 ]
	[[ $output == *"cannot read"* ]]
}

@test "kcc-kubelet check: restricted by default, --policy allows what its file says (exit 1 on refusal)" {
	local H=$TOP/overlays/test/usr/lib/kcc-test/hostile-pods
	# restricted: the web pod's hostNetwork and the probes pod's hostPath are refused
	run "$KUBELET" check "$TOP/overlays/common/etc/kubernetes/manifests/web.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"web.yaml: rejected: hostNetwork: spec.hostNetwork: true is not allowed in namespace kcc-web (restricted)"* ]]
	run "$KUBELET" check "$TOP/overlays/test/usr/lib/kcc-test/manifests/probes.json"
	[ "$status" -eq 1 ]
	[[ $output == *"rejected: hostPath: spec.volumes[1].hostPath.path: '/usr/share/kcc-kubelet' is not allowed in namespace kcc-test"* ]]
	# the image's own policy allows them
	run "$KUBELET" check --policy "$TOP/overlays/common/etc/kcc/pod-policy.conf" \
		"$TOP/overlays/common/etc/kubernetes/manifests/web.yaml"
	[ "$status" -eq 0 ]
	# every hostile manifest is refused, each with its rule, whatever the test policy allows
	run "$KUBELET" check --policy "$TOP/overlays/test/etc/kcc/pod-policy.conf" \
		"$H"/{proc-rw,host-root,host-etc,proc-spelled,kcc-parent,run-as-root,net-admin,sys-admin,uid-max,host-network}.yaml
	[ "$status" -eq 1 ]
	[ "$(grep -c ': rejected: ' <<<"$output")" -eq 10 ]
	[[ $output == *"proc-rw.yaml: rejected: hostPathForbidden: spec.volumes[0].hostPath.path: '/proc' is never mountable"* ]]
	[[ $output == *"host-root.yaml: rejected: hostPathForbidden: spec.volumes[0].hostPath.path: '/' is never mountable"* ]]
	[[ $output == *"proc-spelled.yaml: rejected: hostPathForbidden: spec.volumes[0].hostPath.path: '/var/lib/pod-data/../../../proc/.' is never mountable (it is, lies below or contains /proc)"* ]]
	[[ $output == *"kcc-parent.yaml: rejected: hostPathForbidden: spec.volumes[0].hostPath.path: '/var/lib' is never mountable (it is, lies below or contains /var/lib/kcc)"* ]]
	[[ $output == *"run-as-root.yaml: rejected: runAsRoot: "* ]]
	[[ $output == *"net-admin.yaml: rejected: capabilities: spec.containers[0].securityContext.capabilities.add[0]: CAP_NET_ADMIN is not allowed in namespace kcc-hostile"* ]]
	[[ $output == *"sys-admin.yaml: rejected: capabilities: spec.containers[0].securityContext.capabilities.add[0]: CAP_SYS_ADMIN is never allowed in a pod on kcc-node"* ]]
	[[ $output == *"uid-max.yaml: rejected: spec.containers[0].securityContext.runAsUser: must be a whole number up to 2147483647, not '4294967295'"* ]]
	[[ $output == *"host-network.yaml: rejected: hostNetwork: "* ]]
	# a policy that allows a hostPath read-write for the namespace admits it
	printf 'hostPath kcc-hostile /var/lib/pod-data readWrite\n' >"$BATS_TEST_TMPDIR/p.conf"
	run "$KUBELET" check --policy "$BATS_TEST_TMPDIR/p.conf" "$H/proc-symlink.yaml"
	[ "$status" -eq 0 ]
	[[ $output == *"proc-symlink.yaml: ok: pod kcc-hostile/proc-symlink"* ]]
}

@test "kcc-kubelet check: an invalid policy file is refused line by line (exit 100), a missing one (exit 111)" {
	printf 'allow default hostNetwork\nhostPath default /proc readOnly\nallow * capability SYS_ADMIN\n' \
		>"$BATS_TEST_TMPDIR/bad.conf"
	run "$KUBELET" check --policy "$BATS_TEST_TMPDIR/bad.conf" "$TOP/overlays/common/etc/kubernetes/manifests/web.yaml"
	[ "$status" -eq 100 ]
	[[ $output == *"bad.conf:2: '/proc' is never mountable (it is, lies below or contains /proc)"* ]]
	[[ $output == *"bad.conf:3: SYS_ADMIN is never allowed in a pod on kcc-node"* ]]
	[[ $output != *"ok: pod"* ]]
	run "$KUBELET" check --policy /nonexistent.conf "$TOP/overlays/common/etc/kubernetes/manifests/web.yaml"
	[ "$status" -eq 111 ]
}

@test "kcc-kubelet import: an OCI archive lands verified under images/NAME" {
	run "$KUBELET" import --state "$BATS_TEST_TMPDIR/state" "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 0 ]
	[[ $output == *"into $BATS_TEST_TMPDIR/state/images/bb: 2 image manifest(s), every blob verified"* ]]
	[ -f "$BATS_TEST_TMPDIR/state/images/bb/index.json" ]
	# the name is taken now
	run "$KUBELET" import --state "$BATS_TEST_TMPDIR/state" "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"images/bb exists already"* ]]
	run "$KUBELET" import --state "$BATS_TEST_TMPDIR/state" --name other "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 0 ]
}

@test "kcc-kubelet import: tampered, linked or foreign archives are refused, nothing left behind" {
	st=$BATS_TEST_TMPDIR/state
	run "$KUBELET" import --state "$st" "$BATS_FILE_TMPDIR/tampered.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"import refused: blob sha256:"*"its content has digest sha256:"* ]]
	run "$KUBELET" import --state "$st" "$BATS_FILE_TMPDIR/link.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"is not a file or folder"* ]]
	run "$KUBELET" import --state "$st" "$BATS_FILE_TMPDIR/notlayout.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"not an OCI image layout"* ]]
	run "$KUBELET" import --state "$st" /nonexistent.tar
	[ "$status" -eq 1 ]
	[ -z "$(ls -A "$st/images")" ]
}

@test "kcc-kubelet: usage errors exit 100" {
	run "$KUBELET" import
	[ "$status" -eq 100 ]
	run "$KUBELET" import --name 'Bad_Name' "$BATS_FILE_TMPDIR/bb.tar" --state "$BATS_TEST_TMPDIR/s"
	[ "$status" -eq 1 ]
	[[ $output == *"not a valid image folder name"* ]]
	run "$KUBELET" bogus
	[ "$status" -eq 100 ]
	run "$KUBELET" run --port 0
	[ "$status" -eq 100 ]
	run "$KUBELET" pods --socket "$BATS_TEST_TMPDIR/none.sock"
	[ "$status" -eq 1 ]
	[[ $output == *"no status from $BATS_TEST_TMPDIR/none.sock: No such file or directory"* ]]
	run "$KUBELET" import --import-limit 0:1 "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 100 ]
	run "$KUBELET" import --import-limit 1000 "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 100 ]
}

@test "kcc-kubelet import: an archive over its limits is refused with the limit named, nothing left" {
	st=$BATS_TEST_TMPDIR/state
	run "$KUBELET" import --state "$st" --import-limit 100000:1000 "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"import refused: $BATS_FILE_TMPDIR/bb.tar: more than 100000 bytes unpacked (the per-import limit)"* ]]
	run "$KUBELET" import --state "$st" --import-limit 100000000:3 "$BATS_FILE_TMPDIR/bb.tar"
	[ "$status" -eq 1 ]
	[[ $output == *"more than 3 entries (the per-import limit)"* ]]
	[ -z "$(ls -A "$st/images")" ]
	# a FIFO named like a manifest: refused at once, never waited on
	mkfifo "$BATS_TEST_TMPDIR/x.yaml"
	run timeout 10 "$KUBELET" check "$BATS_TEST_TMPDIR/x.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"x.yaml: cannot read: a FIFO"* ]]
}
