#!/usr/bin/env bash
# bench-kernel.sh IMAGE RUNS (make bench): figures, never assertions. kcc-node's own kernel (IMAGE,
# image/kernel.sh) next to the pinned Debian kernel: the vmlinuz size, options built in (=y) and
# as modules (=m), modules shipped, the x86_64 system calls the kernel implements (its BTF:
# __x64_sys_* functions but sys_ni_syscall) and those of other ABIs (ia32, x32), and the
# kernel start to kcc-init and to "services started" over RUNS direct boots of the same test image
# built with KCC_KERNEL=debian (its own disk and TPM).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
image=$1 runs=$2
b=build/bench/kernel
rm -rf "$b"
mkdir -p "$b/deb"
lock=image/packages.lock
deb=$(image/fetch-debs.sh build/debs "$(awk '/^linux-image-/ {print $1}' "$lock")")
dpkg-deb -x "$deb" "$b/deb"
image/kernel.sh "$b/own" >/dev/null

# syscalls VMLINUX: "N x86_64, M ia32/x32": the syscall entry points in the kernel's BTF (the
# functions __x64_sys_* but sys_ni_syscall; __ia32_*sys_* and __x64_compat_sys_* for the others)
syscalls() {
	bpftool btf dump file "$1" | grep -oE "FUNC '__(x64|ia32)_(compat_)?sys_[a-z0-9_]+'" | sort -u |
		awk '/__x64_sys_ni_syscall/ {next} /__x64_sys_/ {x++; next} {o++}
			END {printf "%d x86_64, %d ia32/x32\n", x, o}'
}
. image/lib.sh
debian_elf "$(ls "$b"/deb/boot/vmlinuz-*)" "$b/deb/vmlinux"
row() { printf '%-34s %-26s %s\n' "$@"; }
echo "== kernel: kcc-node's own vs Debian's ($(basename "$deb"))"
row "" "kcc-node" "Debian"
row "vmlinuz" "$(($(stat -c %s "$image/vmlinuz") / 1024)) KiB" \
	"$(($(stat -c %s "$b"/deb/boot/vmlinuz-*) / 1024)) KiB"
row "options built in (=y)" "$(grep -c '=y$' "$image/kernel.config")" "$(grep -c '=y$' "$b"/deb/boot/config-*)"
row "options as modules (=m)" "$(grep -c '=m$' "$image/kernel.config" || true)" "$(grep -c '=m$' "$b"/deb/boot/config-*)"
row "modules shipped" "0" "$(find "$b/deb/lib/modules" -name '*.ko*' | wc -l)"
row "system calls" "$(syscalls "$b/own/vmlinux")" "$(syscalls "$b/deb/vmlinux")"

KCC_KERNEL=debian image/build.sh --variant test --out "$b/debian-image" >"$b/debian-build.log" 2>&1
median() { sort -n | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : "?"}'; }
for kind in own debian; do
	img=$image
	[ $kind = debian ] && img=$b/debian-image
	cp --sparse=always "$img/disk.raw" "$b/$kind.raw"
	mkdir -p "$b/$kind.tpm"
	for i in $(seq "$runs"); do
		tests/vm/run-vm.sh --image "$img" --mode direct --log "$b/$kind-$i.log" --timeout 150 \
			--disk "$b/$kind.raw" --tpm-state "$b/$kind.tpm" --until 'kcc-test: agent done' \
			2>/dev/null || true
		tr -d '\r' <"$b/$kind-$i.log" | sed -n 's/.*boot timeline.*initrd \([0-9]*\)-.*services started at \([0-9]*\) ms.*/\1 \2/p' |
			head -n1 >>"$b/$kind.times"
	done
done
row "kernel start to kcc-init (median)" "$(cut -d' ' -f1 "$b/own.times" | median) ms" \
	"$(cut -d' ' -f1 "$b/debian.times" | median) ms"
row "kernel start to services started" "$(cut -d' ' -f2 "$b/own.times" | median) ms" \
	"$(cut -d' ' -f2 "$b/debian.times" | median) ms"
echo "(each over $runs boots; the first boot of each provisions /var)"
