#!/usr/bin/env bats
# make check-long (tests/check-long.sh): the events of a boot that failed before /var was open
# (docs/events.md, "Events of failed boots"), three UEFI + Secure Boot boots of one disk, one TPM
# (an EK certificate from the per-test CA) and one OVMF variable store kept across all three
# (run-vm.sh --vars-keep). About 3 minutes under TCG.
#   0. The image's UKI on a root with one flipped byte: dm-verity panics; the kernel keeps its last
#      log lines in efi-pstore (the byte is flipped back afterwards).
#   1. The ESP holds a UKI that Secure Boot accepts (db key) whose command line names a root hash
#      no partition matches: kcc-init stops in the initrd ("verity root"), keeps the failure in its
#      EFI variable (read back on the host from the variable store: tests/vm/efi-var-live.py) and
#      powers off.
#   2. The image's own UKI boots the same node with a node configuration naming the verifier and
#      the SIEM (85-events' harness: kcc-verify, tests/bats/collector.sh): PID 1 moves the record
#      into kcc-forward's inbox and deletes the variable; the forwarder, once joined, delivers
#      KCC-BOOT-FAILED-EARLIER with the first boot's ID, stage and reason to the collector, and
#      one for the panic's pstore dump. The variable store holds neither any more.
load ../helper

LIVE=$TOP/tests/vm/efi-var-live.py
VAR=KccFailedBoot
NODE=failed-boot-node-1
. "$TOP/tests/vm/events-harness.bash"

# esp_uki DISK UKI: the ESP's one UKI replaced by UKI, under the image version's name without a
# try counter (a boot the loader does not count: no mark-bad, no fallback).
esp_uki() {
	local esp=$BATS_FILE_TMPDIR/uki.esp v
	v=$(jq -r .version "$IMAGE/manifest.json")
	esp_get "$1" "$esp"
	for e in $(mdir -b -i "$esp" ::/EFI/Linux | sed 's|.*/||'); do
		mdel -i "$esp" "::/EFI/Linux/$e"
	done
	mcopy -o -i "$esp" "$2" "::/EFI/Linux/kcc-node_$v.efi"
	esp_set "$1" "$esp"
}

setup_file() {
	S=$BATS_FILE_TMPDIR
	T=$S/verifier
	C=$S/collector
	mkdir -p "$T" "$S/tpm" "$C"
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	cp "$VARS" "$S/vars.fd"
	disk_copy "$S/node.raw"
	attest_env_setup
	swtpm_setup --tpm2 --tpmstate "$S/tpm" --create-ek-cert --create-platform-cert \
		--config "$S/setup.conf" --overwrite >"$S/swtpm_setup.log" 2>&1
	# Boot 0: the image's UKI on a root with one flipped byte: dm-verity panics (kcc-init's path
	# never runs), the kernel dumps its log into efi-pstore; then the byte is flipped back.
	esp_uki "$S/node.raw" "$IMAGE/kcc-node.efi"
	off=$(( $(part_offset "$S/node.raw" 2) + 1024 + 8 )) # inside the erofs superblock
	flip_byte "$S/node.raw" "$off"
	vm_boot panic --mode uefi --vars "$S/vars.fd" --vars-keep --timeout 240 --disk "$S/node.raw" \
		--tpm-state "$S/tpm"
	flip_byte "$S/node.raw" "$off"
	{ "$LIVE" "$S/vars.fd" 'dump-type0-*' >/dev/null && echo live || echo none; } >"$S/after-panic"
	# Boot 1: a root hash no partition matches (as 20-tamper's nopart), signed for the firmware.
	rh=$(cat "$IMAGE/roothash")
	bad=$(printf '%s' "$rh" | tr '0123456789abcdef' '123456789abcdef0')
	sed "s/$rh/$bad/; s/\$/ kcc.rootwait=2/" "$IMAGE/cmdline" >"$S/bad.cmdline"
	objcopy -O binary --only-section=.osrel "$IMAGE/kcc-node.efi" "$S/bad.osrel"
	SOURCE_DATE_EPOCH=0 "$TOP/image/mkuki.sh" "$IMAGE/vmlinuz" "$IMAGE/initramfs.cpio.zst" \
		"$S/bad.cmdline" "$S/bad.osrel" "$S/bad.unsigned.efi" "$TOP/build/keys/tpm2-pcr-test-public-key.pem"
	sbsign --key "$TOP/build/keys/db.key" --cert "$TOP/build/keys/db.crt" --output "$S/bad.efi" \
		"$S/bad.unsigned.efi" 2>/dev/null
	esp_uki "$S/node.raw" "$S/bad.efi"
	vm_boot failed --mode uefi --vars "$S/vars.fd" --vars-keep --timeout 240 --disk "$S/node.raw" \
		--tpm-state "$S/tpm"
	{ "$LIVE" "$S/vars.fd" "$VAR" >/dev/null && echo live || echo none; } >"$S/after-failed"
	# the record's boot ID as the firmware keeps it (the only record of a fresh store)
	tr '\n' ' ' <"$S/vars.fd" | grep -aoE 'kcc-failed-boot 1 count=[0-9]+ boot=[0-9a-f-]{36}' |
		head -n1 | sed 's/.*boot=//' >"$S/failed-boot-id"
	# Boot 2: the image's UKI, with the verifier and the collector.
	esp_uki "$S/node.raw" "$IMAGE/kcc-node.efi"
	events_harness_start '{}'
	setsid "$RUN_VM" --image "$IMAGE" --log "$S/good.log" --mode uefi --vars "$S/vars.fd" --vars-keep \
		--disk "$S/node.raw" --tpm-state "$S/tpm" --timeout 600 --fw-cfg "$S/node.json" \
		--guest-forward "8443:${URL##*:}" --guest-forward "6514:$CPORT" \
		>"$S/run-vm.out" 2>&1 &
	VM=$!
	until_in "$C/parsed.log" 'KCC-BOOT-FAILED-EARLIER.*efi-variable' 500 && echo delivered >"$S/steps"
	until_in "$C/parsed.log" 'KCC-BOOT-FAILED-EARLIER.*efi-pstore' 30 && echo delivered-pstore >>"$S/steps"
	# the node is up (its agent waits for the host): its run ends here. run-vm.sh's timeout runs
	# qemu in a process group of its own: the signal goes to it (it passes it on to qemu), and
	# run-vm.sh then cleans up swtpm.
	pkill -TERM -P "$VM" -x timeout 2>/dev/null || true
	wait "$VM" || true
	"$COLLECTOR" "$C" stop
	kill "$VPID" 2>/dev/null || true
	{ "$LIVE" "$S/vars.fd" "$VAR" >/dev/null && echo live || echo none; } >"$S/after-good"
	{ "$LIVE" "$S/vars.fd" 'dump-type0-*' >/dev/null && echo live || echo none; } >"$S/after-good-pstore"
}

@test "failed boot (VM): a boot that stops in the initrd keeps its failure in one EFI variable and powers off" {
	S=$BATS_FILE_TMPDIR
	assert_log failed 'kcc-init: initrd stage started'
	assert_log failed 'kcc-init: No root partition .* for the root hash on the command line after 2s'
	refute_log failed 'kcc-init: system stage started'
	assert_log failed "kcc-init: failure kept for the next boot in the EFI variable $VAR-[0-9a-f-]{36} \(1 failed boot\)"
	assert_log failed "kcc-init: boot stopped: stage 'verity root' failed"
	assert_log failed 'kcc-init: powering off now'
	[ "$(vm_rc failed)" -eq 0 ]
	# the firmware's variable store holds it after the power-off
	[ "$(cat "$S/after-failed")" = live ]
}

@test "failed boot (VM): the next good boot delivers KCC-BOOT-FAILED-EARLIER with the earlier boot's reason, then the variable is gone" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	tr -d '\r' <"$S/good.log" | grep -aE 'earlier boot|failed-boot|inbox|EFI variable' || true
	grep 'KCC-BOOT-FAILED-EARLIER' "$p" || true
	# the earlier boot's ID, as the firmware's store held it after the failed boot
	failed_boot=$(cat "$S/failed-boot-id")
	[ ${#failed_boot} -eq 36 ]
	assert_log good "kcc-init: an earlier boot failed: stage 'verity root': .* \(1 failed boot, boot $failed_boot; read from an unauthenticated EFI variable\)"
	assert_log good 'kcc-init: the earlier boot.s failure waits for kcc-forward in /var/lib/kcc-forward/failed-boot-'"$failed_boot"'.event'
	assert_log good "kcc-init: EFI variable $VAR-[0-9a-f-]{36} deleted"
	assert_log good 'kcc-init\[kcc-forward\]: kcc-forward: inbox: [12] earlier failed boots? spooled'
	grep -qx delivered "$S/steps"
	# once, with its fields, from this boot's forwarder
	[ "$(grep '|KCC-BOOT-FAILED-EARLIER|' "$p" | grep -c 'source="efi-variable-unauthenticated"')" -eq 1 ]
	line=$(grep '|KCC-BOOT-FAILED-EARLIER|' "$p" | grep 'source="efi-variable-unauthenticated"')
	echo "$line" | grep -q "failed_boot=\"$failed_boot\" stage=\"verity root\" reason=\"No root partition [^\"]* for the root hash on the command line after 2s[^\"]*\" count=\"1\""
	echo "$line" | grep -q "version=\"$(jq -r .version "$IMAGE/manifest.json")\""
	# the variable is deleted from the firmware's store
	[ "$(cat "$S/after-good")" = none ]
}

@test "failed boot (VM): a dm-verity panic's log dump in efi-pstore is sent by the next good boot as KCC-BOOT-FAILED-EARLIER, then deleted" {
	S=$BATS_FILE_TMPDIR
	p=$S/collector/parsed.log
	assert_log panic 'Kernel panic - not syncing: dm-verity device corrupted'
	refute_log panic 'kcc-init: failure kept'
	[ "$(cat "$S/after-panic")" = live ]
	assert_log good 'kcc-init: an earlier boot ended in a kernel panic: Kernel panic - not syncing: dm-verity device corrupted \([0-9]+ pstore dump files?, from unauthenticated EFI variables\)'
	assert_log good 'kcc-init: [0-9]+ pstore dump files? deleted'
	grep -qx delivered-pstore "$S/steps"
	[ "$(grep '|KCC-BOOT-FAILED-EARLIER|' "$p" | grep -c 'source="efi-pstore-unauthenticated"')" -eq 1 ]
	grep '|KCC-BOOT-FAILED-EARLIER|' "$p" | grep 'source="efi-pstore-unauthenticated"' |
		grep -qE 'failed_boot="pstore-dmesg-efi-[0-9]+" stage="kernel panic" reason="Kernel panic - not syncing: dm-verity device corrupted" parts="[0-9]+"'
	[ "$(cat "$S/after-good-pstore")" = none ]
}
