#!/usr/bin/env bats
# What the builder made: verity, partitions, UKI, initramfs, manifest, reproducibility.
load helper

@test "image: veritysetup verify accepts the root and its hash tree" {
	run veritysetup verify "$TEST_IMAGE/root.erofs" "$TEST_IMAGE/root.verity" "$(cat "$TEST_IMAGE/roothash")"
	[ "$status" -eq 0 ]
}

@test "image: veritysetup verify rejects a root with one byte changed" {
	cp "$TEST_IMAGE/root.erofs" "$BATS_TEST_TMPDIR/r"
	printf 'X' | dd of="$BATS_TEST_TMPDIR/r" bs=1 seek=5000 conv=notrunc status=none
	run veritysetup verify "$BATS_TEST_TMPDIR/r" "$TEST_IMAGE/root.verity" "$(cat "$TEST_IMAGE/roothash")"
	[ "$status" -ne 0 ]
}

@test "image: GPT partitions carry DPS types and the root hash halves as UUIDs" {
	rh=$(cat "$TEST_IMAGE/roothash")
	j=$(sfdisk -J "$TEST_IMAGE/disk.raw")
	t() { echo "$j" | jq -r ".partitiontable.partitions[$1].$2"; }
	[ "$(t 0 type)" = C12A7328-F81F-11D2-BA4B-00A0C93EC93B ]
	[ "$(t 1 type)" = 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 ]
	[ "$(t 2 type)" = 2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5 ]
	[ "$(t 5 type)" = 4D21B016-B534-45C2-A9FB-5C16E091FD2D ]
	[ "$(t 1 uuid | tr -d - | tr A-F a-f)" = "${rh:0:32}" ]
	[ "$(t 2 uuid | tr -d - | tr A-F a-f)" = "${rh:32:32}" ]
	[ "$(t 1 name)" = root-a ]
	[ "$(t 3 name)" = _empty ]
	[ "$(t 4 name)" = _empty ]
	[[ "$(t 3 attrs)" == *"GUID:63"* ]]
}

@test "image: systemd-dissect recognises root, verity, ESP and state" {
	run systemd-dissect --json=short --root-hash="$(cat "$TEST_IMAGE/roothash")" "$TEST_IMAGE/disk.raw"
	[ "$status" -eq 0 ]
	for d in root root-verity esp var; do
		echo "$output" | jq -e ".mounts[] | select(.designator == \"$d\")" >/dev/null
	done
	echo "$output" | jq -e '.mounts[] | select(.designator == "root") | .fstype == "erofs" and .verity == "yes"'
	echo "$output" | jq -e '.osRelease | index("ID=kcc-node")'
}

@test "image: the UKI is signed by our db key and carries the root hash" {
	run sbverify --cert "$TOP/build/keys/db.crt" "$TEST_IMAGE/kcc-node.efi"
	[ "$status" -eq 0 ]
	run sbverify --cert "$TOP/build/keys/db.crt" "$TEST_IMAGE/kcc-node.unsigned.efi"
	[ "$status" -ne 0 ]
	for s in .osrel .cmdline .linux .initrd; do
		objdump -h "$TEST_IMAGE/kcc-node.efi" | grep -q " $s "
	done
	grep -qa "kcc.roothash=$(cat "$TEST_IMAGE/roothash")" "$TEST_IMAGE/kcc-node.efi"
}

@test "image: the initramfs holds kcc-init and its libraries, and no kernel module" {
	run bash -c "zstd -dc '$TEST_IMAGE/initramfs.cpio.zst' | cpio -it --quiet"
	[ "$status" -eq 0 ]
	for f in init usr/sbin/kcc-init usr/lib/x86_64-linux-gnu/libcryptsetup.so.12 \
		usr/lib64/ld-linux-x86-64.so.2 etc/initrd-release etc/kcc/modules.conf dev/console; do
		echo "$output" | grep -qx "$f"
	done
	# kcc-node's kernel has every driver built in: no module, no module directory, an empty list
	! echo "$output" | grep -qE '\.ko(\.[a-z]+)?$|^usr/lib/modules'
	run bash -c "zstd -dc '$TEST_IMAGE/initramfs.cpio.zst' | cpio -i --quiet --to-stdout etc/kcc/modules.conf"
	[ "$output" = "# kcc-node's kernel has every driver built in and loads no module" ]
	run bash -c "zstd -dc '$TEST_IMAGE/initramfs.cpio.zst' | cpio -it --quiet"
	# The state partition: mke2fs, the TPM libraries (no dlopen()ed TCTI needed), and the
	# direct-boot policy pair.
	for f in usr/sbin/mke2fs usr/lib/x86_64-linux-gnu/libtss2-esys.so.0 \
		usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 \
		etc/kcc/direct/tpm2-pcr-public-key.pem etc/kcc/direct/tpm2-pcr-signature.json; do
		echo "$output" | grep -qx "$f"
	done
}

@test "image: test-only fault hooks are in the test image's kcc-init only; direct and UKI keys differ" {
	mkdir -p "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/p"
	(cd "$BATS_TEST_TMPDIR/t" && zstd -dc "$TEST_IMAGE/initramfs.cpio.zst" | cpio -id --quiet usr/sbin/kcc-init)
	(cd "$BATS_TEST_TMPDIR/p" && zstd -dc "$PROD_IMAGE/initramfs.cpio.zst" | cpio -id --quiet usr/sbin/kcc-init)
	grep -q kcc_test.pause "$BATS_TEST_TMPDIR/t/usr/sbin/kcc-init"
	! grep -q kcc_test "$BATS_TEST_TMPDIR/p/usr/sbin/kcc-init"
	mkdir -p "$BATS_TEST_TMPDIR/i"
	(cd "$BATS_TEST_TMPDIR/i" && zstd -dc "$PROD_IMAGE/initramfs.cpio.zst" | cpio -id --quiet etc/kcc/direct/*)
	! cmp -s "$BATS_TEST_TMPDIR/i/etc/kcc/direct/tpm2-pcr-public-key.pem" "$TOP/build/keys/tpm2-pcr-public-key.pem"
	# The direct-boot policy approves exactly this image's command line.
	want=$("$TOP/build/bin/kcc-pcr" predict --direct-cmdline "$(cat "$PROD_IMAGE/cmdline")" --json | jq -r .value)
	pol=$("$TOP/build/bin/kcc-pcr" sign --value "$want" --private-key "$TOP/build/keys/tpm2-pcr-direct-private-key.pem" \
		--public-key "$TOP/build/keys/tpm2-pcr-direct-public-key.pem" | jq -r '.sha256[0].pol')
	[ "$(jq -r '.sha256[0].pol' "$BATS_TEST_TMPDIR/i/etc/kcc/direct/tpm2-pcr-signature.json")" = "$pol" ]
}

@test "image: the production root has no shell; the test root has busybox" {
	mkdir -p "$BATS_TEST_TMPDIR/p" "$BATS_TEST_TMPDIR/t"
	fsck.erofs --extract="$BATS_TEST_TMPDIR/p/x" "$PROD_IMAGE/root.erofs" >/dev/null
	fsck.erofs --extract="$BATS_TEST_TMPDIR/t/x" "$TEST_IMAGE/root.erofs" >/dev/null
	[ -x "$BATS_TEST_TMPDIR/p/x/usr/sbin/kcc-init" ]
	[ ! -e "$BATS_TEST_TMPDIR/p/x/usr/bin/sh" ]
	# the slot writer's fault hook (update/test-fault.h) is in the test image's kcc-update only
	grep -q 'pausing before apply step' "$BATS_TEST_TMPDIR/t/x/usr/bin/kcc-update"
	! grep -q 'pausing before apply step' "$BATS_TEST_TMPDIR/p/x/usr/bin/kcc-update" || false
	! grep -q 'io.kcc-node/test-pause' "$BATS_TEST_TMPDIR/p/x/usr/bin/kcc-update" || false
	[ ! -e "$BATS_TEST_TMPDIR/p/x/usr/bin/busybox" ]
	[ -z "$(find "$BATS_TEST_TMPDIR/p/x" -name 'sh' -o -name 'bash' -o -name 'dash')" ]
	[ -x "$BATS_TEST_TMPDIR/t/x/usr/bin/busybox" ]
	# the network services' daemons, without dhcpcd's hook scripts (shell)
	[ -x "$BATS_TEST_TMPDIR/p/x/usr/sbin/dhcpcd" ]
	[ -x "$BATS_TEST_TMPDIR/p/x/usr/sbin/chronyd" ]
	[ -z "$(find "$BATS_TEST_TMPDIR/p/x" -name 'dhcpcd-run-hooks' -o -name 'dhcpcd-hooks')" ]
	# the kubelet, its runtime and the default pod's image (an OCI layout: blobs, no host binary)
	[ -x "$BATS_TEST_TMPDIR/p/x/usr/bin/kcc-kubelet" ]
	[ -x "$BATS_TEST_TMPDIR/p/x/usr/bin/crun" ]
	[ -f "$BATS_TEST_TMPDIR/p/x/usr/share/kcc-kubelet/images/busybox/index.json" ]
	[ -f "$BATS_TEST_TMPDIR/p/x/etc/kubernetes/manifests/web.yaml" ]
	[ ! -e "$BATS_TEST_TMPDIR/p/x/usr/bin/containerd" ] # upstream mode only
	# the image's own pod security policy admits its own static pods
	"$TOP/build/bin/kcc-kubelet" check --policy "$BATS_TEST_TMPDIR/p/x/etc/kcc/pod-policy.conf" \
		"$BATS_TEST_TMPDIR/p/x/etc/kubernetes/manifests/"*
}

@test "image: manifest.json lists the sha256 of every artifact" {
	for img in "$TEST_IMAGE" "$PROD_IMAGE"; do
		jq -e . "$img/manifest.json" >/dev/null
		for f in $(jq -r '.artifacts | keys[]' "$img/manifest.json"); do
			[ "$(jq -r ".artifacts[\"$f\"].sha256" "$img/manifest.json")" = "$(sha256sum "$img/$f" | cut -d' ' -f1)" ]
		done
		[ "$(jq -r .roothash "$img/manifest.json")" = "$(cat "$img/roothash")" ]
	done
}

@test "image: two builds from the same inputs are byte-identical" {
	# Same tree, same keys, same SOURCE_DATE_EPOCH as the test image; another output folder.
	sde=$(jq -r .source_date_epoch "$TEST_IMAGE/manifest.json")
	# an earlier build's upgrade image in the output folder does not survive the new build
	mkdir -p "$BATS_TEST_TMPDIR/again/suc"
	: >"$BATS_TEST_TMPDIR/again/suc/kcc-node-upgrade_0.earlier.oci.tar"
	SOURCE_DATE_EPOCH=$sde run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/again"
	[ "$status" -eq 0 ]
	v=$(jq -r .version "$TEST_IMAGE/manifest.json")
	[ "$(ls "$BATS_TEST_TMPDIR/again/suc" | tr '\n' ' ')" = "kcc-node-upgrade_$v.oci.tar plan.yaml " ]
	b=$(jq -r .bundle "$TEST_IMAGE/manifest.json")
	for f in root.erofs root.verity initramfs.cpio.zst kcc-node.efi loader.efi reference-values.json.sig disk.raw disk.qcow2 "$b"; do
		cmp "$TEST_IMAGE/$f" "$BATS_TEST_TMPDIR/again/$f"
	done
	cmp "$TEST_IMAGE/manifest.json" "$BATS_TEST_TMPDIR/again/manifest.json"
}

@test "image: signed reference values list PCR 11 of the UKI and of the direct boot at ready" {
	for img in "$TEST_IMAGE" "$PROD_IMAGE"; do
		k=$TOP/build/keys/reference-values-public-key.pem
		[ "$img" != "$TEST_IMAGE" ] || k=$TOP/build/keys/reference-values-test-public-key.pem
		openssl dgst -sha256 -verify "$k" -signature "$img/reference-values.json.sig" "$img/reference-values.json"
		[ "$(jq -r '.pcr11[0]' "$img/reference-values.json")" = "$("$TOP/build/bin/kcc-pcr" predict --uki "$img/kcc-node.efi" --phase ready --json | jq -r .value)" ]
		[ "$(jq -r '.pcr11_direct[0]' "$img/reference-values.json")" = "$("$TOP/build/bin/kcc-pcr" predict --direct-cmdline "$(cat "$img/cmdline")" --phase ready --json | jq -r .value)" ]
	done
	# The test image's values are not signed with the production key.
	! openssl dgst -sha256 -verify "$TOP/build/keys/reference-values-public-key.pem" \
		-signature "$TEST_IMAGE/reference-values.json.sig" "$TEST_IMAGE/reference-values.json"
}

@test "build: prints one progress line per step with its duration" {
	run grep -cE '^build: (keys|fetch|unpack|kernel|kconfig|rootfs|erofs|verity|initramfs|cmdline|loader|uki|references|disk|bundle|manifest) +[0-9]+\.[0-9]{2}s$' "$TEST_IMAGE/../test.build.log"
	[ "$output" -eq 16 ]
}

@test "image: the builder refuses to sign a test image with a production PCR key" {
	k=$BATS_TEST_TMPDIR/keys
	cp -a "$TOP/build/keys" "$k"
	for s in private public; do cp "$k/tpm2-pcr-$s-key.pem" "$k/tpm2-pcr-test-$s-key.pem"; done
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --keys "$k"
	[ "$status" -eq 100 ]
	[[ "$output" == *"refusing to sign a test image with the production PCR key tpm2-pcr "* ]]
	# the direct-boot key as well
	cp -a "$TOP/build/keys/tpm2-pcr-test-"* "$k/"
	for s in private public; do cp "$k/tpm2-pcr-direct-$s-key.pem" "$k/tpm2-pcr-direct-test-$s-key.pem"; done
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --keys "$k"
	[ "$status" -eq 100 ]
	[[ "$output" == *"refusing to sign a test image with the production PCR key tpm2-pcr-direct "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/out/kcc-node.efi" ]
}

@test "image: the version is in .osrel (IMAGE_ID, IMAGE_VERSION), manifest.json and the bundle's name" {
	for img in "$TEST_IMAGE" "$PROD_IMAGE"; do
		v=$(jq -r .version "$img/manifest.json")
		[[ "$v" =~ ^[0-9]{8}\.[0-9]{6}\.g[0-9a-f]+ ]]
		objcopy -O binary --only-section=.osrel "$img/kcc-node.efi" "$BATS_TEST_TMPDIR/osrel"
		grep -qx IMAGE_ID=kcc-node "$BATS_TEST_TMPDIR/osrel"
		grep -qx "IMAGE_VERSION=$v" "$BATS_TEST_TMPDIR/osrel"
		[ "$(jq -r .bundle "$img/manifest.json")" = "kcc-node_$v.bundle" ]
		[ "$(jq -r .security_epoch "$img/manifest.json")" = "$(grep -v '^#' "$TOP/image/security-epoch")" ]
	done
	# make image VERSION= EPOCH= reaches the builder
	run make -C "$TOP" -n image VERSION=2.0.1 EPOCH=4
	[[ "$output" == *"image/build.sh --variant prod"*"--version 2.0.1 --epoch 4"* ]]
}

@test "image: a version or security epoch the bundle cannot carry is refused before anything is built" {
	for v in '1.0+2' '-1' 'a b' "$(printf 'v%.0s' $(seq 65))"; do
		run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --version "$v"
		[ "$status" -eq 100 ]
		[[ "$output" == *"version '$v' must be 1..64 of"* ]]
	done
	for e in -1 65536 x; do
		run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --epoch "$e"
		[ "$status" -eq 100 ]
		[[ "$output" == *"security epoch '$e' must be a number in 0..65535"* ]]
	done
	# The TPM's anti-rollback bit field holds epochs 0..63 (docs/measured-boot.md).
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --epoch 64
	[ "$status" -eq 100 ]
	[[ "$output" == *"security epoch 64: the TPM's anti-rollback bit field holds epochs 0..63"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/out" ]
}

@test "image: the builder refuses to sign a test image with the production update-signing key" {
	k=$BATS_TEST_TMPDIR/keys
	cp -a "$TOP/build/keys" "$k"
	for s in private public; do cp "$k/update-signing-$s-key.pem" "$k/update-signing-test-$s-key.pem"; done
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/out" --keys "$k"
	[ "$status" -eq 100 ]
	[[ "$output" == *"refusing to sign a test image with the production update-signing key"* ]]
	[ -z "$(ls "$BATS_TEST_TMPDIR/out"/*.bundle 2>/dev/null)" ]
}

@test "overlays: a service file the upstream overlay replaces keeps every path the common one allows" {
	# overlays/upstream is laid over overlays/common (image/build.sh): its service file replaces
	# the common one whole, so a path added to the common profile (a device, a socket) must be
	# added there too, or that mode's service loses it.
	local f key p n=0
	for f in "$TOP"/overlays/upstream/etc/kcc/services/*.conf; do
		[ -f "$TOP/overlays/common/etc/kcc/services/${f##*/}" ] || continue
		for key in read_only_paths writable_paths; do
			for p in $(sed -n "s/^$key = //p" "$TOP/overlays/common/etc/kcc/services/${f##*/}"); do
				n=$((n + 1))
				sed -n "s/^$key = //p" "$f" | tr ' ' '\n' | grep -qxF -- "$p" ||
					{ echo "${f##*/}: $key lacks $p of the common file" >&2; return 1; }
			done
		done
	done
	[ "$n" -gt 0 ]
}
