# Shared by the VM tests: boots the test image with tests/vm/run-vm.sh and asserts on the serial log.
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
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
