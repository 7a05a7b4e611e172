#!/usr/bin/env bats
# The full chain: OVMF with Secure Boot on and our development keys enrolled, systemd-boot signed
# with the db key, the signed UKI from the ESP. An unsigned loader, or an unsigned or modified UKI,
# must not run.
load helper

setup_file() {
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	export VARS
	disk_copy "$BATS_FILE_TMPDIR/sb.raw"
	mkdir -p "$BATS_FILE_TMPDIR/sb.tpm"
	# Two boots of one node: the first provisions the state partition, the second unlocks it.
	vm_boot sb --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/sb.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/sb.tpm"
	vm_boot sb2 --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/sb.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/sb.tpm"
}

# esp_put DISK FILE: replaces the UKI in the disk's \EFI\Linux (under the name it has there; its
# signed PCR policy in \loader\credentials stays).
esp_put() {
	local esp=$BATS_FILE_TMPDIR/esp.img name
	name=$(esp_entries "$1")
	[ "$(echo "$name" | wc -l)" -eq 1 ]
	esp_get "$1" "$esp"
	mcopy -o -i "$esp" "$2" "::/EFI/Linux/$name"
	esp_set "$1" "$esp"
}

PROD=${KCC_PROD_IMAGE:-$TOP/build/prod}

# prod_node: a node that the production UKI provisioned under Secure Boot (one boot per file run;
# the cases below work on copies of its disk and TPM). Sets P.
prod_node() {
	P=$BATS_FILE_TMPDIR/prod
	[ -f "$P.done" ] && return 0
	cp --sparse=always "$PROD/disk.raw" "$P.raw"
	mkdir -p "$P.tpm"
	vm_boot prod --mode uefi --vars "$VARS" --timeout 180 --disk "$P.raw" --tpm-state "$P.tpm" \
		--until 'kcc-init: state volume mounted|boot stopped'
	assert_log prod 'kcc-init: state: provisioned'
	assert_log prod 'kcc-init: state volume mounted'
	touch "$P.done"
}

@test "secure boot: the signed UKI boots to 'services started' with Secure Boot enforced" {
	assert_log sb 'BdsDxe: starting Boot[0-9A-F]+ '
	assert_log sb 'kcc-test: INFO secureboot=1'
	assert_log sb 'kcc-init: services started \(7 running, 0 failed\)'
	for c in $agent_checks; do
		assert_log sb "kcc-test: PASS $c:"
	done
	refute_log sb 'kcc-test: FAIL'
	assert_log sb 'kcc-init: closed verity device root'
	[ "$(vm_rc sb)" -eq 0 ]
	# the loader counted the first boot, kcc-init blessed it; the second boot was not counted
	assert_log sb 'kcc-init: boot blessed: .EFI.Linux.kcc-node_[^ ]*\+2-1\.efi -> kcc-node_[^+ ]*\.efi'
	assert_log sb2 'kcc-init: boot not counted'
}

@test "secure boot: the UKI's signed PCR 11 policy seals the state key and unlocks it on the next boot" {
	refute_log sb 'direct kernel boot'
	assert_log sb 'kcc-init: state: /dev/vda6 is blank, provisioning it'
	assert_log sb 'kcc-init: state: provisioned'
	assert_log sb2 'kcc-init: state: key unsealed by the TPM'
	assert_log sb2 'kcc-test: INFO var-marker=found:'
	for b in sb sb2; do
		assert_log $b 'kcc-test: PASS eventlog: .* PCR 11 and 15 match'
		assert_log $b 'kcc-test: PASS unseal-after-boot:'
		assert_log $b 'kcc-test: PASS unseal-forced:'
	done
	refute_log sb2 'kcc-test: FAIL'
	# kcc-init found PCR 11 at the value the builder predicted for the stub's measurements.
	want=$("$TOP/build/bin/kcc-pcr" predict --uki "$IMAGE/kcc-node.efi" --phase "" --json | jq -r .value)
	assert_log sb "kcc-test: INFO pcr11-initial=$want"
	assert_log sb2 "kcc-test: INFO pcr11-initial=$want"
}

@test "secure boot: another UKI that Secure Boot accepts (db key) but no PCR signature approves cannot unlock" {
	# As if the db key had leaked: a UKI with one more command-line option, properly signed for
	# the firmware, carrying the original image's .pcrpkey.
	cp --sparse=always "$BATS_FILE_TMPDIR/sb.raw" "$BATS_FILE_TMPDIR/other.raw"
	cp -a "$BATS_FILE_TMPDIR/sb.tpm" "$BATS_FILE_TMPDIR/other.tpm"
	k=$TOP/build/keys
	printf '%s kcc.rootwait=9\n' "$(cat "$IMAGE/cmdline")" >"$BATS_FILE_TMPDIR/other.cmdline"
	objcopy -O binary --only-section=.osrel "$IMAGE/kcc-node.efi" "$BATS_FILE_TMPDIR/other.osrel"
	SOURCE_DATE_EPOCH=0 "$TOP/image/mkuki.sh" "$IMAGE/vmlinuz" "$IMAGE/initramfs.cpio.zst" \
		"$BATS_FILE_TMPDIR/other.cmdline" "$BATS_FILE_TMPDIR/other.osrel" "$BATS_FILE_TMPDIR/other.unsigned.efi" \
		"$k/tpm2-pcr-test-public-key.pem"
	sbsign --key "$k/db.key" --cert "$k/db.crt" --output "$BATS_FILE_TMPDIR/other.efi" \
		"$BATS_FILE_TMPDIR/other.unsigned.efi" 2>/dev/null
	# (the original image's signed PCR 4 + 11 policy stays on the ESP)
	esp_put "$BATS_FILE_TMPDIR/other.raw" "$BATS_FILE_TMPDIR/other.efi"
	vm_boot other --mode uefi --vars "$VARS" --timeout 180 --disk "$BATS_FILE_TMPDIR/other.raw" \
		--tpm-state "$BATS_FILE_TMPDIR/other.tpm"
	assert_log other 'kcc-init: initrd stage started'
	assert_log other 'kcc-init: The TPM did not release the state key: no signature approves the current PCR 11'
	assert_log other "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log other 'system stage started'
}

@test "secure boot: a test UKI (its own PCR key) cannot unlock a disk the production UKI provisioned, on the same TPM" {
	prod_node
	# The test image's disk (its ESP with the test UKI and policy, its root) with the production
	# node's state partition, on the production node's TPM: what someone with the disk can make.
	T=$BATS_FILE_TMPDIR/testonprod
	disk_copy "$T.raw"
	part_get "$P.raw" $STATE_PART "$T.state"
	part_put "$T.raw" $STATE_PART "$T.state"
	cp -a "$P.tpm" "$T.tpm"
	vm_boot testonprod --mode uefi --vars "$VARS" --timeout 180 --disk "$T.raw" --tpm-state "$T.tpm"
	assert_log testonprod 'kcc-init: initrd stage started'
	assert_log testonprod "kcc-init: The TPM did not release the state key: the image's PCR signing key is not the key this secret is sealed to"
	assert_log testonprod "kcc-init: boot stopped: stage 'state partition' failed"
	refute_log testonprod 'PCR 15 extended'
	refute_log testonprod 'system stage started'
	# The two images carry different PCR keys.
	objcopy -O binary --only-section=.pcrpkey "$IMAGE/kcc-node.efi" "$T.test.pem"
	objcopy -O binary --only-section=.pcrpkey "$PROD/kcc-node.efi" "$T.prod.pem"
	! cmp -s "$T.test.pem" "$T.prod.pem"
}

# The attack of issue 12: another kernel (here the same Debian kernel by direct boot, with an
# initramfs of the attacker's: busybox and kcc-pcr) boots on the node's TPM; PCR 11 starts at zero;
# it replays the stub's measurements of the production UKI read from the ESP, extends
# enter-initrd and unseals with the token from the LUKS2 header and the signed policy on the ESP.
@test "secure boot: PCR 11 replayed from zero by another kernel on the same TPM does not unseal (PCR 4 is signed with it; an old PCR-11-only signature lacks the policyRef)" {
	prod_node
	A=$BATS_FILE_TMPDIR/attack
	rm -rf "$A" && mkdir -p "$A/root"
	cp -a "$P.tpm" "$A.tpm"
	fsck.erofs --extract="$A/root/x" "$IMAGE/root.erofs" >/dev/null
	mv "$A/root/x"/* "$A/root/" && rmdir "$A/root/x"
	mkdir -p "$A/root/attack"
	part_get "$P.raw" $STATE_PART "$A.state"
	cryptsetup token export --token-id 0 "$A.state" >"$A/root/attack/token.json"
	jq -e '."kcc-signed-pcrs" == [4,11]' "$A/root/attack/token.json"
	# The same token claiming "PCR 11 only": the sealed object does not record which PCRs a
	# signature covers, only the key.
	jq -c '."kcc-signed-pcrs" = [11]' "$A/root/attack/token.json" >"$A/root/attack/token11.json"
	esp_get "$P.raw" "$A.esp"
	mcopy -i "$A.esp" "::/EFI/Linux/$(esp_entries "$P.raw")" "$A.uki"
	mcopy -i "$A.esp" "::/loader/credentials/kcc-pcrsig_$(jq -r .version "$PROD/manifest.json").cred" \
		"$A/root/attack/sig.json"
	objcopy -O binary --only-section=.pcrpkey "$A.uki" "$A/root/attack/pub.pem"
	# The policy of PCR 11 alone that images built before PCR 4 was added carried (same key, as
	# systemd-measure signs: RSASSA over SHA-256(pol), an empty policyRef). kcc-pcr no longer
	# makes one (a UKI needs --pe; it signs pol || policyRef): sign the same pol with openssl.
	v11=$("$TOP/build/bin/kcc-pcr" predict --uki "$A.uki" --json | jq -r .value)
	"$TOP/build/bin/kcc-pcr" sign --value "$v11" --private-key "$TOP/build/keys/tpm2-pcr-private-key.pem" \
		--public-key "$A/root/attack/pub.pem" >"$A.sig11-v2.json"
	jq -r '.sha256[0].pol' "$A.sig11-v2.json" | xxd -r -p >"$A.pol11"
	old=$(openssl dgst -sha256 -sign "$TOP/build/keys/tpm2-pcr-private-key.pem" "$A.pol11" | base64 -w0)
	# "kcc-epoch": the token is sealed under the security epoch (policyRef v3), so kcc-pcr looks for
	# an approval with one; the TPM alone judges the signature.
	jq -c --arg s "$old" '.sha256[0].sig = $s | .sha256[0]."kcc-epoch" = 0' "$A.sig11-v2.json" \
		>"$A/root/attack/sig11.json"
	run "$TOP/build/bin/kcc-pcr" sign --uki "$A.uki" --private-key "$TOP/build/keys/tpm2-pcr-private-key.pem" \
		--public-key "$A/root/attack/pub.pem"
	[ "$status" -eq 100 ]
	# The stub's measurements, in its order: H(".name\0"), H(section).
	for s in linux osrel cmdline initrd pcrpkey; do
		printf '.%s\0' $s | sha256sum | cut -d' ' -f1
		objcopy -O binary --only-section=.$s "$A.uki" "$A.sec"
		sha256sum <"$A.sec" | cut -d' ' -f1
	done >"$A/root/attack/digests"
	cat >"$A/root/init" <<'EOF'
#!/bin/sh
export PATH=/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec >/dev/console 2>&1
for i in $(seq 100); do [ -e /dev/tpmrm0 ] && break; sleep 0.1; done
cd /attack
echo "ATTACK: start $(kcc-pcr read 4,11)"
while read -r d; do kcc-pcr extend 11 --sha256 "$d" || echo "ATTACK: extend failed"; done <digests
kcc-pcr extend 11 enter-initrd
echo "ATTACK: replayed $(kcc-pcr read 11)"
try() {
	name=$1 tok=$2
	shift 2
	err=$(kcc-pcr unseal --public-key pub.pem "$@" <"$tok" 2>&1 >/tmp/out)
	rc=$?
	echo "ATTACK: $name rc=$rc bytes=$(wc -c </tmp/out) $err"
}
try image-policy token.json --signature sig.json
try image-policy-forced token.json --signature sig.json --any-entry
try image-policy-token11 token11.json --signature sig.json --any-entry
try old-pcr11-policy token11.json --signature sig11.json --any-entry
echo "ATTACK: done"
poweroff -f
EOF
	chmod 755 "$A/root/init"
	(cd "$A/root" && find . | cpio -o -H newc --quiet) >"$A.cpio"
	vm_boot attack --tpm-state "$A.tpm" --initrd "$A.cpio" --cmdline "console=ttyS0,115200 panic=-1" \
		--timeout 120 --until 'ATTACK: done'
	assert_log attack 'ATTACK: done'
	refute_log attack 'ATTACK: extend failed'
	# The replay is exact: PCR 11 has the value the production UKI's stub gives at enter-initrd ...
	want=$("$TOP/build/bin/kcc-pcr" predict --uki "$PROD/kcc-node.efi" --json | jq -r .value)
	assert_log attack "ATTACK: replayed \{\"11\":\"$want\"\}"
	# ... but PCR 4 holds this kernel's digest, not the UKI's: no approval, and forcing the image's
	# approval on the TPM is refused by the TPM, whatever the token claims.
	assert_log attack "ATTACK: image-policy rc=1 bytes=0 kcc-pcr: no signature approves the current PCR 11 \($want\) with PCR 4"
	assert_log attack 'ATTACK: image-policy-forced rc=1 bytes=0 kcc-pcr: the signed PCRs do not have the values the signature approves'
	assert_log attack 'ATTACK: image-policy-token11 rc=100 bytes=0 kcc-pcr: .* has no entry for the token'
	# An old release's signed policy of PCR 11 alone (same key, empty policyRef) approves the
	# replayed PCR 11, but the sealed object's PolicyAuthorize names the policyRef
	# kcc-node/pcr-policy/v3 (v2 before the security epoch): the TPM refuses the signature
	# (before v2: rc=0 bytes=64).
	assert_log attack 'ATTACK: old-pcr11-policy rc=1 bytes=0 kcc-pcr: .*signature does not verify'
	refute_log attack 'ATTACK: old-pcr11-policy rc=0'
}

@test "secure boot: an unsigned boot loader is refused by the firmware" {
	disk_copy "$BATS_FILE_TMPDIR/unsigned-loader.raw"
	esp_get "$BATS_FILE_TMPDIR/unsigned-loader.raw" "$BATS_FILE_TMPDIR/unsigned-loader.esp"
	mcopy -o -i "$BATS_FILE_TMPDIR/unsigned-loader.esp" /usr/lib/systemd/boot/efi/systemd-bootx64.efi \
		::/EFI/BOOT/BOOTX64.EFI
	esp_set "$BATS_FILE_TMPDIR/unsigned-loader.raw" "$BATS_FILE_TMPDIR/unsigned-loader.esp"
	vm_boot unsigned-loader --mode uefi --vars "$VARS" --disk "$BATS_FILE_TMPDIR/unsigned-loader.raw" \
		--timeout 90 --until 'Access Denied|Security Violation'
	assert_log unsigned-loader 'BdsDxe: failed to load Boot[0-9A-F]+ .*(Access Denied|Security Violation)'
	refute_log unsigned-loader 'Linux version'
}

# systemd-boot loads the UKI through the firmware, which checks it against db: the loader reports
# the refusal (its try counter has already moved on: +3 -> +2-1).
@test "secure boot: an unsigned UKI is refused" {
	disk_copy "$BATS_FILE_TMPDIR/unsigned.raw"
	esp_put "$BATS_FILE_TMPDIR/unsigned.raw" "$IMAGE/kcc-node.unsigned.efi"
	vm_boot unsigned --mode uefi --vars "$VARS" --disk "$BATS_FILE_TMPDIR/unsigned.raw" \
		--timeout 90 --until 'Access Denied|Security Violation'
	assert_log unsigned 'Error loading .EFI.Linux.kcc-node_[^ ]*\+2-1\.efi: (Access Denied|Security Violation)'
	refute_log unsigned 'Linux version'
	refute_log unsigned 'kcc-init'
}

@test "secure boot: a signed UKI with a modified command line is refused" {
	disk_copy "$BATS_FILE_TMPDIR/modified.raw"
	cp "$IMAGE/kcc-node.efi" "$BATS_FILE_TMPDIR/modified.efi"
	# the root hash's first digit in the command line (.cmdline), another hex digit
	off=$(grep -obUa 'kcc.roothash=' "$BATS_FILE_TMPDIR/modified.efi" | head -n1 | cut -d: -f1)
	[ -n "$off" ]
	d=$(dd if="$BATS_FILE_TMPDIR/modified.efi" bs=1 skip=$((off + 13)) count=1 status=none)
	[ "$d" = 0 ] && n=1 || n=0
	printf '%s' "$n" | dd of="$BATS_FILE_TMPDIR/modified.efi" bs=1 seek=$((off + 13)) conv=notrunc status=none
	run cmp -s "$IMAGE/kcc-node.efi" "$BATS_FILE_TMPDIR/modified.efi"
	[ "$status" -eq 1 ]
	esp_put "$BATS_FILE_TMPDIR/modified.raw" "$BATS_FILE_TMPDIR/modified.efi"
	vm_boot modified --mode uefi --vars "$VARS" --disk "$BATS_FILE_TMPDIR/modified.raw" \
		--timeout 90 --until 'Access Denied|Security Violation'
	assert_log modified 'Error loading .EFI.Linux.kcc-node_[^ ]*: (Access Denied|Security Violation)'
	refute_log modified 'kcc-init'
}
