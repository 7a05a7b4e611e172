#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing kcc-node need.
#   deps.sh           install what is missing (as root), or print the apt-get command
#   deps.sh --check   the same, quietly when nothing is missing
# Exit codes: 0 all present, 1 missing and not root, 111 apt-get failed.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config binutils libcryptsetup-dev libkmod-dev libblkid-dev libfdisk-dev
	libtss2-dev libjson-c-dev libssl-dev libbpf-dev bpftool xz-utils libcap-dev libseccomp-dev
	libyaml-dev libarchive-dev libzstd-dev libacl1-dev busybox-static crun curl
	libcmocka-dev clang llvm bats jq
	erofs-utils cryptsetup-bin systemd-boot-efi sbsigntool fdisk dosfstools mtools
	qemu-utils qemu-system-x86 ovmf swtpm swtpm-tools efitools openssl kmod zstd cpio
	systemd-container bc
	bison flex libelf-dev dwarves
	faketime
	rsyslog rsyslog-gnutls
	chrony
	mmdebstrap libsystemd-dev
	iproute2
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
	echo "kcc-node needs these Debian packages; run as root:" >&2
	echo "  apt-get update && ${cmd[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && "${cmd[@]}" -qq >/dev/null; } || { echo "deps: apt-get failed" >&2; exit 111; }
