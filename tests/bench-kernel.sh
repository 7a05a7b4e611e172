#!/usr/bin/env bash
# bench-kernel.sh IMAGE RUNS (make bench): figures, never assertions. kcc-node's own kernel (IMAGE,
# image/kernel.sh) next to the pinned Debian kernel: the vmlinuz size, options built in (=y) and
# as modules (=m), modules shipped, the x86_64 system calls the kernel implements (the entry points
# of the syscall table that are not ENOSYS stubs) and the other ABIs (ia32, x32), and the
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

# The x86_64 system call table's entry points that kcc-node's kernel compiled out: their functions
# are the weak ENOSYS stubs (W in System.map). Debian ships no real System.map; its config has
# every option those calls need, and the ia32 and x32 tables besides.
tbl=$(ls -d build/kernel/src-*/arch/x86/entry/syscalls/syscall_64.tbl | head -n1)
awk '$2 == "common" || $2 == "64" {if ($4 != "") print substr($4, 5)}' "$tbl" | sort -u >"$b/table"
awk '$2 == "W" && $3 ~ /^__x64_sys_/ {print substr($3, 11)}' "$b/own/System.map" | sort -u >"$b/weak"
gone=$(comm -12 "$b/table" "$b/weak" | paste -sd' ')
total=$(wc -l <"$b/table")
debian_abis=$(grep -cE '^CONFIG_(IA32_EMULATION|X86_X32_ABI)=y' "$b"/deb/boot/config-* || true)
row() { printf '%-34s %-26s %s\n' "$@"; }
echo "== kernel: kcc-node's own vs Debian's ($(basename "$deb"))"
row "" "kcc-node" "Debian"
row "vmlinuz" "$(($(stat -c %s "$image/vmlinuz") / 1024)) KiB" \
	"$(($(stat -c %s "$b"/deb/boot/vmlinuz-*) / 1024)) KiB"
row "options built in (=y)" "$(grep -c '=y$' "$image/kernel.config")" "$(grep -c '=y$' "$b"/deb/boot/config-*)"
row "options as modules (=m)" "$(grep -c '=m$' "$image/kernel.config" || true)" "$(grep -c '=m$' "$b"/deb/boot/config-*)"
row "modules shipped" "0" "$(find "$b/deb/lib/modules" -name '*.ko*' | wc -l)"
row "x86_64 system calls" "$((total - $(echo "$gone" | wc -w))) of $total" "every one its options allow"
row "other syscall ABIs (ia32, x32)" "0" "$debian_abis"
echo "compiled out in kcc-node's kernel (ENOSYS): $gone"

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
