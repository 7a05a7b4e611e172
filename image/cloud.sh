#!/usr/bin/env bash
# cloud.sh IMAGE_DIR [OUT_DIR]: the built disk (IMAGE_DIR/disk.raw) in the formats the clouds
# import, each read back and compared with the raw disk (make cloud-images):
#   kcc-node.vhd         Azure: fixed VHD, virtual size in whole MiB (qemu-img, force_size)
#   kcc-node.vmdk        stream-optimised VMDK (vSphere, OVA)
#   kcc-node-gce.tar.gz  GCE: a GNU (oldgnu) tar holding disk.raw, sparse, gzip; reproducible
# OUT_DIR defaults to IMAGE_DIR/cloud. The VHD and VMDK carry a creation time and a random UUID
# (qemu-img), so unlike the disk they are not byte-reproducible; their content is checked instead.
# Exit codes: 0 ok, 100 bad input, 111 a conversion or its check failed.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || bad_input "usage: cloud.sh IMAGE_DIR [OUT_DIR]"
img=$1 out=${2:-$1/cloud}
raw=$img/disk.raw
[ -f "$raw" ] || bad_input "no $raw; run make image first"
size=$(stat -c %s "$raw")
[ $((size % 1048576)) -eq 0 ] || bad_input "$raw is $size bytes, not whole MiB (Azure needs whole MiB)"
sde=${SOURCE_DATE_EPOCH:-$(jq -r .source_date_epoch "$img/manifest.json")}
mkdir -p "$out"

# compare FORMAT FILE: the converted image reads back as the raw disk, at the same virtual size.
compare() {
	local vsize
	vsize=$(qemu-img info -f "$1" --output=json "$2" | jq -r '."virtual-size"')
	[ "$vsize" = "$size" ] || die "$2: virtual size $vsize, the disk has $size"
	qemu-img compare -q -f raw -F "$1" "$raw" "$2" || die "$2 does not read back as $raw"
}

vhd() {
	rm -f "$out/kcc-node.vhd"
	qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on "$raw" "$out/kcc-node.vhd" ||
		die "qemu-img convert to VHD failed"
	# a fixed VHD is the raw disk and a 512-byte footer
	[ "$(stat -c %s "$out/kcc-node.vhd")" -eq $((size + 512)) ] || die "kcc-node.vhd is not a fixed VHD of $size bytes"
	compare vpc "$out/kcc-node.vhd"
}

vmdk() {
	rm -f "$out/kcc-node.vmdk"
	qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$raw" "$out/kcc-node.vmdk" ||
		die "qemu-img convert to VMDK failed"
	[ "$(qemu-img info -f vmdk --output=json "$out/kcc-node.vmdk" | jq -r '."format-specific".data."create-type"')" = streamOptimized ] ||
		die "kcc-node.vmdk is not stream-optimised"
	compare vmdk "$out/kcc-node.vmdk"
}

gce() {
	local t=$out/.gce
	rm -rf "$t" "$out/kcc-node-gce.tar.gz"
	mkdir -p "$t"
	tar -C "$img" --format=oldgnu --sparse --sort=name --mtime="@$sde" --owner=0 --group=0 --numeric-owner \
		-cf - disk.raw | gzip -n -6 >"$out/kcc-node-gce.tar.gz" || die "tar of disk.raw failed"
	[ "$(tar -tzf "$out/kcc-node-gce.tar.gz")" = disk.raw ] || die "kcc-node-gce.tar.gz must hold disk.raw alone"
	tar -C "$t" -xzf "$out/kcc-node-gce.tar.gz" || die "kcc-node-gce.tar.gz does not unpack"
	raw_back=$t/disk.raw
	[ "$(stat -c %s "$raw_back")" -eq "$size" ] && cmp -s "$raw" "$raw_back" ||
		die "kcc-node-gce.tar.gz does not unpack to $raw"
	rm -rf "$t"
}

step vhd vhd
step vmdk vmdk
step gce gce
echo "cloud: $(cd "$out" && du -h --apparent-size kcc-node.vhd kcc-node.vmdk kcc-node-gce.tar.gz | awk '{printf "%s %s  ", $2, $1}')"
