# Shared by the VM tests: boots the test image with tests/vm/run-vm.sh and asserts on the serial log.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) # also for tests/vm/long/
IMAGE=${KCC_TEST_IMAGE:-$TOP/build/test}
RUN_VM=$TOP/tests/vm/run-vm.sh

# vm_boot NAME [run-vm options...]: boots, leaves the log in $BATS_FILE_TMPDIR/NAME.log.
vm_boot() {
	local name=$1
	shift
	set +e
	"$RUN_VM" --image "$IMAGE" --log "$BATS_FILE_TMPDIR/$name.log" "$@"
	echo $? >"$BATS_FILE_TMPDIR/$name.rc"
	set -e
}

vm_log() { cat "$BATS_FILE_TMPDIR/$1.log"; }
vm_rc() { cat "$BATS_FILE_TMPDIR/$1.rc"; }

# assert_log NAME REGEX: the serial log of boot NAME has a line matching REGEX.
# The serial console ends lines with CR LF; the CRs are dropped before matching.
assert_log() {
	tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | grep -qaE -- "$2" && return 0
	echo "expected /$2/ in the serial log of boot '$1'; its kcc lines:" >&2
	grep -aE 'kcc|verity|panic|Bds|Kernel' "$BATS_FILE_TMPDIR/$1.log" | tail -40 >&2
	return 1
}

refute_log() {
	tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | grep -qaE -- "$2" || return 0
	echo "did not expect /$2/ in the serial log of boot '$1':" >&2
	grep -aE -- "$2" "$BATS_FILE_TMPDIR/$1.log" | head -5 >&2
	return 1
}

# A disk copy to tamper with (sparse; the built image stays untouched).
disk_copy() {
	cp --sparse=always "$IMAGE/disk.raw" "$1"
}

# flip_byte FILE OFFSET: inverts one byte in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\x%02x' $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Byte offset of a partition (1-based number) in a disk image.
part_offset() {
	sfdisk -J "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start * 512"
}

agent_checks="pid1 pid1-libs verity-root dm-name usr-erofs profile-root profile-user profile-seccomp profile-mountns profile-cgroup profile-default-pids oom-restart exec-root exec-tmp exec-var exec-run mmap-root mmap-tmp mprotect-tmp ptrace-pid1 ptrace-service bpf-load lockdown refused-devmem refused-kcore refused-lockdown-none refused-init-module refused-kexec-load sysctls var-luks var-dm eventlog phases unseal-after-boot unseal-forced timeline cgroup user restart-1 restart-2 ctl-status ctl-usage reap"

# The state partition is partition 6 of the image.
STATE_PART=6
part_size() {
	sfdisk -J "$1" | jq ".partitiontable.partitions[$(($2 - 1))].size * 512"
}
# part_get DISK N FILE / part_put DISK N FILE: copies a partition out of or into a disk image.
part_get() {
	dd if="$1" of="$3" bs=1M skip=$(($(part_offset "$1" "$2") / 1048576)) \
		count=$(($(part_size "$1" "$2") / 1048576)) status=none
}
part_put() {
	dd if="$3" of="$1" bs=1M seek=$(($(part_offset "$1" "$2") / 1048576)) conv=notrunc status=none
}

# The ESP (partition 1) for mtools: esp_get DISK IMG copies it out, esp_set DISK IMG back in.
# Layout (docs/upgrades.md, "Slots"): \EFI\BOOT\BOOTX64.EFI (systemd-boot), \EFI\Linux\kcc-node_V*.efi,
# \loader\credentials\kcc-pcrsig_V.cred.
export MTOOLS_SKIP_CHECK=1
esp_get() { part_get "$1" 1 "$2"; }
esp_set() { part_put "$1" 1 "$2"; }
# esp_entries DISK: the file names in the ESP's \EFI\Linux, one a line, sorted.
esp_entries() {
	local e=$BATS_FILE_TMPDIR/entries.esp
	esp_get "$1" "$e"
	mdir -b -i "$e" ::/EFI/Linux | sed 's|.*/||' | sort
}
# esp_add DISK NAME.efi UKI CRED: puts a UKI into \EFI\Linux under NAME.efi and its PCR signature
# into \loader\credentials\kcc-pcrsig_V.cred (V: NAME without kcc-node_ and the counter).
esp_add() {
	local e=$BATS_FILE_TMPDIR/add.esp v=${2#kcc-node_}
	v=${v%.efi}
	v=${v%%+*}
	esp_get "$1" "$e"
	mcopy -o -i "$e" "$3" "::/EFI/Linux/$2"
	mcopy -o -i "$e" "$4" "::/loader/credentials/kcc-pcrsig_$v.cred"
	esp_set "$1" "$e"
}
# uki_variant OUT VERSION WORDS: the test image's UKI as another release: IMAGE_VERSION=VERSION in
# its .osrel (the loader's order), WORDS added to its command line, signed for Secure Boot (db key),
# and its own signed PCR 4 + 11 policy (test PCR key; PCR 4: the loader, then this UKI). Writes
# OUT.efi and OUT.cred.
uki_variant() {
	local out=$1 k=$TOP/build/keys
	printf '%s %s\n' "$(cat "$IMAGE/cmdline")" "$3" >"$out.cmdline"
	objcopy -O binary --only-section=.osrel "$IMAGE/kcc-node.efi" "$out.osrel"
	sed -i "s/^IMAGE_VERSION=.*/IMAGE_VERSION=$2/" "$out.osrel"
	SOURCE_DATE_EPOCH=0 "$TOP/image/mkuki.sh" "$IMAGE/vmlinuz" "$IMAGE/initramfs.cpio.zst" \
		"$out.cmdline" "$out.osrel" "$out.unsigned.efi" "$k/tpm2-pcr-test-public-key.pem"
	sbsign --key "$k/db.key" --cert "$k/db.crt" --output "$out.efi" "$out.unsigned.efi" 2>/dev/null
	"$TOP/build/bin/kcc-pcr" sign --uki "$out.efi" --pe "$IMAGE/loader.efi" --pe "$out.efi" \
		--epoch "$(jq .security_epoch "$IMAGE/manifest.json")" --private-key "$k/tpm2-pcr-test-private-key.pem" \
		--public-key "$k/tpm2-pcr-test-public-key.pem" >"$out.cred"
}

# fresh_counted_node: a copy of the test disk with its own TPM (N: $BATS_FILE_TMPDIR/node.raw and
# node.tpm; VARS: the enrolled OVMF variables), booted once under UEFI + Secure Boot until its
# counted first boot is blessed and the security epoch raised (boot "fresh"); its ESP's entries
# afterwards in $BATS_FILE_TMPDIR/fresh.entries.
fresh_counted_node() {
	VARS=$("$TOP/tests/vm/enroll.sh" "$IMAGE")
	export VARS
	N=$BATS_FILE_TMPDIR/node
	disk_copy "$N.raw"
	mkdir -p "$N.tpm"
	vm_boot fresh --mode uefi --vars "$VARS" --timeout 300 --disk "$N.raw" --tpm-state "$N.tpm" \
		--until 'kcc-init: security epoch|kcc-init: boot marked bad|boot stopped'
	esp_entries "$N.raw" >"$BATS_FILE_TMPDIR/fresh.entries"
}

# state_header_get DISK FILE / state_header_put DISK FILE: the state partition's LUKS2 header area
# (its first 16 MiB: both binary headers, the JSON areas, the keyslots) out of or into a disk image,
# for cryptsetup on the host (luksDump, token export/import, open --test-passphrase).
state_header_get() {
	dd if="$1" of="$2" bs=1M count=16 status=none skip=$(($(part_offset "$1" $STATE_PART) / 1048576))
}
state_header_put() {
	dd if="$2" of="$1" bs=1M conv=notrunc status=none seek=$(($(part_offset "$1" $STATE_PART) / 1048576))
}
# var_marker NAME: the /var marker the agent found or created in boot NAME.
var_marker() { tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | sed -n 's/.*kcc-test: INFO var-marker=[a-z]*:\(.*\)/\1/p'; }

# boot_log NAME N: the serial log of boot N (1-based) of the qemu run NAME that rebooted in place
# (run-vm.sh --reboots), split at the firmware's "BdsDxe: loading Boot" lines.
boot_log() {
	tr -d '\r' <"$BATS_FILE_TMPDIR/$1.log" | awk -v n="$2" '/BdsDxe: loading Boot/ {b++} b == n'
}

# in_boot NAME N REGEX: boot N of the run NAME has a line matching REGEX.
in_boot() {
	boot_log "$1" "$2" | grep -qaE -- "$3" && return 0
	echo "expected /$3/ in boot $2 of the $1 run; its kcc lines:" >&2
	boot_log "$1" "$2" | grep -aE 'kcc|panic|Bds|Error' | tail -30 >&2
	return 1
}

# until_in FILE REGEX SECONDS: waits for a line (an event a host service received), bounded; gives
# up early once the qemu run whose pid is $VM has ended (run in the background by the test).
until_in() {
	local n=$(($3 * 5))
	for _ in $(seq "$n"); do
		grep -qaE "$2" "$1" 2>/dev/null && return 0
		kill -0 "$VM" 2>/dev/null || { grep -qaE "$2" "$1" 2>/dev/null; return; }
		sleep 0.2
	done
	return 1
}
