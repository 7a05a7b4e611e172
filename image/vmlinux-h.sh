#!/usr/bin/env bash
# vmlinux-h.sh OUT: vmlinux.h for the BPF programs, generated from the BTF of the kernel the image
# boots: kcc-node's own (image/kernel.sh, built or taken from its cache), or with KCC_KERNEL=debian
# the pinned Debian kernel (image/packages.lock), so CO-RE builds against the kernel the image
# ships, not the build host's.
# Exit codes: 0 written, 100 no kernel pinned, 111 fetch, build or extraction failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1
lock=${KCC_PACKAGES_LOCK:-$here/packages.lock}
cache=${DEB_CACHE:-$here/../build/debs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${KCC_KERNEL:-own}" = own ]; then
	"$here/kernel.sh" "$tmp/kernel"
	vmlinux=$tmp/kernel/vmlinux
else
	kernel=$(awk '/^linux-image-/ {print $1}' "$lock")
	[ -n "$kernel" ] || bad_input "no kernel pinned in $lock"
	deb=$(KCC_PACKAGES_LOCK=$lock "$here/fetch-debs.sh" "$cache" "$kernel" | head -n1)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
	debian_elf "$(ls "$tmp"/boot/vmlinuz-*)" "$tmp/vmlinux"
	vmlinux=$tmp/vmlinux
fi
bpftool btf dump file "$vmlinux" format c >"$tmp/vmlinux.h" || die "no BTF in $vmlinux"
mkdir -p "$(dirname "$out")"
mv "$tmp/vmlinux.h" "$out"
