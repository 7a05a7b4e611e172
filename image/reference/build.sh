#!/usr/bin/env bash
# build.sh [--out DIR] [--kcc-image DIR] [--kernel own|debian] [--inputs-hash]: the REFERENCE image of make bench-compare: Debian 12
# (mmdebstrap) with systemd 252 as PID 1 and a dracut 059 initramfs, doing kcc-node's job the
# stock way: an erofs root under dm-verity found by roothash= on the kernel command line
# (systemd-veritysetup-generator), /var on LUKS2 unlocked by systemd-cryptsetup with a TPM2 token
# enrolled by systemd-cryptenroll on first boot, and a kubelet stand-in (kcc-standin-kubelet).
# The kernel (--kernel, default own, or REF_KERNEL): own is kcc-node's own (the vmlinuz of
# --kcc-image, every driver built in, no modules; dracut packs no kernel modules), so both systems
# boot the same kernel; debian is the stock way, the vmlinuz and modules of the pinned linux-image
# package. The kernel command line is kcc-node's (of --kcc-image, default build/test) without its
# kcc.* options.
# Outputs in DIR (default build/reference): vmlinuz, initramfs.img, initramfs.unpacked-bytes,
# cmdline, cmdline.provision (first boot), disk.raw, manifest.json, inputs.sha256.
# Cached: nothing is rebuilt while inputs.sha256 (this directory, the kcc-node command line, the
# kernel: kcc-node's vmlinuz, or the pinned package) is unchanged; REF_REBUILD=1 forces a build. The Debian mirror's state is
# not an input: the manifest records the versions that went in. --inputs-hash prints that hash.
# Exit codes: 0 ok, 100 bad input, 111 system failure.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/image/lib.sh"

out=$top/build/reference kcc=$top/build/test print_hash=0 kind=${REF_KERNEL:-own}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:-}; shift 2 ;;
	--kcc-image) kcc=${2:-}; shift 2 ;;
	--kernel) kind=${2:-}; shift 2 ;;
	--inputs-hash) print_hash=1; shift ;;
	*) bad_input "unknown option '$1' (usage: build.sh [--out DIR] [--kcc-image DIR] [--kernel own|debian] [--inputs-hash])" ;;
	esac
done
[ -n "$out" ] || bad_input "--out needs a directory"
case $kind in own | debian) ;; *) bad_input "--kernel must be own or debian, not '$kind'" ;; esac
files=(cmdline)
[ "$kind" = debian ] || files+=(vmlinuz kernel.config)
for f in "${files[@]}"; do
	[ -f "$kcc/$f" ] || bad_input "$kcc/$f is missing; run make image VARIANT=test first"
done
lock=${KCC_PACKAGES_LOCK:-$top/image/packages.lock}
kernel_pkg=$(awk '/^linux-image-/ {print $1}' "$lock")
[ -n "$kernel_pkg" ] || bad_input "no kernel (linux-image-*) pinned in $lock"
kver=${kernel_pkg#linux-image-}
if [ "$kind" = own ]; then
	# the release string of a bzImage: the setup header's kernel_version field (at 0x20e) points
	# at it, relative to 0x200
	kv_off=0
	[ "$(stat -c %s "$kcc/vmlinuz")" -lt $((0x210)) ] ||
		kv_off=$(od -An -tu2 -j $((0x20e)) -N 2 "$kcc/vmlinuz" | tr -d ' ')
	kver=$(dd if="$kcc/vmlinuz" bs=1 skip=$((0x200 + kv_off)) count=64 status=none 2>/dev/null |
		tr '\0' '\n' | head -n1 | cut -d' ' -f1)
	[[ $kver =~ ^[0-9]+\.[0-9]+[0-9A-Za-z.+_-]*$ ]] ||
		bad_input "$kcc/vmlinuz: no kernel release in its boot header (not a bzImage?)"
fi
base_cmdline=$(sed 's/ kcc[._][^ ]*//g' "$kcc/cmdline")

inputs() {
	(cd "$here" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
	sha256sum <"$top/image/initrd-modules.conf"
	echo "$base_cmdline"
	if [ "$kind" = own ]; then
		echo "own $kver"
		sha256sum <"$kcc/vmlinuz"
	else
		grep "^$kernel_pkg " "$lock"
	fi
}
stamp=$(inputs | sha256sum | cut -d' ' -f1)
if [ $print_hash -eq 1 ]; then
	echo "$stamp"
	exit 0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ "${REF_REBUILD:-0}" != 1 ] && [ "$(cat "$out/inputs.sha256" 2>/dev/null)" = "$stamp" ] &&
	[ -f "$out/disk.raw" ] && [ -f "$out/manifest.json" ]; then
	echo "reference: up to date in $out"
	exit 0
fi
for t in mmdebstrap mkfs.erofs veritysetup sfdisk gcc pkg-config jq; do
	command -v "$t" >/dev/null || bad_input "$t is missing; run make deps"
done
pkg-config --exists libsystemd || bad_input "libsystemd-dev is missing; run make deps"
rm -f "$out/inputs.sha256"
w=$out/.work
rm -rf "$w"
mkdir -p "$w"
var_uuid=$(derive_uuid kcc-reference var)

kernel() {
	local deb
	if [ "$kind" = own ]; then
		mkdir -p "$w/kernel/boot"
		install -m 0644 "$kcc/kernel.config" "$w/kernel/boot/config-$kver"
		install -m 0644 "$kcc/vmlinuz" "$out/vmlinuz"
		return 0
	fi
	deb=$("$top/image/fetch-debs.sh" "${DEB_CACHE:-$top/build/debs}" "$kernel_pkg")
	mkdir -p "$w/kernel"
	dpkg-deb -x "$deb" "$w/kernel"
	install -m 0644 "$w/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
}

standin() {
	# shellcheck disable=SC2046 # pkg-config prints several words
	gcc -std=gnu17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
		-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now \
		-o "$w/kcc-standin-kubelet" "$here/standin-kubelet.c" $(pkg-config --libs libsystemd)
}

rootfs() {
	local pkgs drivers
	drivers=$(grep -v '^\s*#' "$top/image/initrd-modules.conf" | grep -v '^\s*$' | tr -d '?' | paste -sd' ')
	echo "$drivers" >"$w/drivers"
	pkgs=$(grep -v '^\s*#' "$here/packages.list" | grep -v '^\s*$' | paste -sd,)
	REF_KVER=$kver REF_KERNEL=$kind REF_MODULES=$w/kernel REF_OVERLAY=$here/overlay REF_STANDIN=$w/kcc-standin-kubelet \
		REF_VAR_PARTUUID=$var_uuid REF_DRIVERS="$drivers" \
		mmdebstrap --quiet --variant=essential --include="$pkgs" \
		--customize-hook="$here/customize.sh \"\$1\"" bookworm "$w/root" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" >"$w/mmdebstrap.log" 2>&1 ||
		{ tail -n 20 "$w/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
	mv "$w/root/boot/initrd.img-$kver" "$out/initramfs.img"
}

# The initramfs unpacked: an uncompressed early cpio (if any) plus the compressed main archive.
unpacked_size() {
	local f=$out/initramfs.img early=0 main=$w/initrd.main magic
	if cmp -s -n 6 <(printf 070701) "$f"; then
		"$w/root/usr/lib/dracut/skipcpio" "$f" >"$main"
		early=$(($(stat -c %s "$f") - $(stat -c %s "$main")))
	else
		main=$f
	fi
	magic=$(head -c 4 "$main" | od -An -tx1 | tr -d ' ')
	case $magic in
	28b52ffd) echo "zstd" >"$w/compression"; echo $((early + $(zstd -dc "$main" | wc -c))) ;;
	1f8b*) echo "gzip" >"$w/compression"; echo $((early + $(gzip -dc "$main" | wc -c))) ;;
	fd377a58) echo "xz" >"$w/compression"; echo $((early + $(xz -dc "$main" | wc -c))) ;;
	*) die "initramfs.img: unknown compression (magic $magic)" ;;
	esac >"$out/initramfs.unpacked-bytes"
}

erofs_verity() {
	local salt
	rm -f "$out/root.erofs" "$out/root.verity"
	mkfs.erofs --quiet -zlz4hc --all-root "$out/root.erofs" "$w/root" || die "mkfs.erofs failed"
	salt=$(sha256sum "$out/root.erofs" | cut -d' ' -f1)
	veritysetup format --salt="$salt" "$out/root.erofs" "$out/root.verity" >"$w/verity.txt" ||
		die "veritysetup format failed"
	awk '/^Root hash:/ {print $3}' "$w/verity.txt" >"$out/roothash"
	[ "$(wc -c <"$out/roothash")" -eq 65 ] || die "no root hash from veritysetup"
}

disk() {
	local rh root_mb verity_mb var_mb=256 S=2048 MiB=1048576
	rh=$(cat "$out/roothash")
	root_mb=$(($(stat -c %s "$out/root.erofs") / MiB + 1))
	verity_mb=$(($(stat -c %s "$out/root.verity") / MiB + 1))
	rm -f "$out/disk.raw"
	truncate -s $(((2 + root_mb + verity_mb + var_mb) * MiB)) "$out/disk.raw"
	sfdisk --quiet --no-reread --no-tell-kernel "$out/disk.raw" <<-EOT >/dev/null
		label: gpt
		unit: sectors
		first-lba: 2048
		start=$S, size=$((root_mb * S)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(hex_to_uuid "${rh:0:32}"), name="root"
		size=$((verity_mb * S)), type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, uuid=$(hex_to_uuid "${rh:32:32}"), name="root-verity"
		size=$((var_mb * S)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$var_uuid, name="var"
	EOT
	dd if="$out/root.erofs" of="$out/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
	dd if="$out/root.verity" of="$out/disk.raw" bs=1M seek=$((1 + root_mb)) conv=notrunc,sparse status=none
	# roothash= and the two partitions: systemd-veritysetup-generator makes /dev/mapper/root.
	echo "$base_cmdline roothash=$rh systemd.verity_root_data=PARTUUID=$(hex_to_uuid "${rh:0:32}") systemd.verity_root_hash=PARTUUID=$(hex_to_uuid "${rh:32:32}") root=/dev/mapper/root rootfstype=erofs ro" >"$out/cmdline"
	echo "$(cat "$out/cmdline") luks.crypttab=no fstab=no systemd.unit=kcc-reference-provision.target" >"$out/cmdline.provision"
}

manifest() {
	# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
	v() { chroot "$w/root" dpkg-query -W -f='${Version}' "$1"; }
	jq -n --arg kernel "$kver" --arg kind "$kind" --arg systemd "$(v systemd)" --arg dracut "$(v dracut)" \
		--arg cryptsetup "$(v cryptsetup-bin)" --arg tss2 "$(v libtss2-esys-3.0.2-0)" \
		--arg compression "$(cat "$w/compression")" --arg drivers "$(cat "$w/drivers")" --arg roothash "$(cat "$out/roothash")" \
		--argjson packed "$(stat -c %s "$out/initramfs.img")" \
		--argjson unpacked "$(cat "$out/initramfs.unpacked-bytes")" \
		--argjson root "$(stat -c %s "$out/root.erofs")" \
		'{kernel: $kernel, kernel_kind: $kind, packages: {systemd: $systemd, dracut: $dracut, "cryptsetup-bin": $cryptsetup,
		  "libtss2-esys": $tss2}, dracut: {hostonly: false, compression: $compression,
		  added: ["systemd-veritysetup"], drivers: ($drivers | split(" "))},
		  roothash: $roothash, sizes: {initramfs_packed: $packed, initramfs_unpacked: $unpacked,
		  root_erofs: $root}}' >"$out/manifest.json"
}

echo "reference: systemd 252 + dracut 059 image into $out"
step kernel kernel
step standin standin
step rootfs rootfs
step initramfs unpacked_size
step erofs erofs_verity
step disk disk
step manifest manifest
rm -rf "$w"
echo "$stamp" >"$out/inputs.sha256"
echo "reference: done: root hash $(cat "$out/roothash")"
