#!/usr/bin/env bats
# make cloud-images (image/cloud.sh): the test image's disk as a fixed VHD in whole MiB (Azure), a
# stream-optimised VMDK and a GCE disk.raw tar.gz, each read back here as the raw disk.
load helper

setup_file() {
	export C=$BATS_FILE_TMPDIR/cloud
	"$TOP/image/cloud.sh" "$TEST_IMAGE" "$C" >"$BATS_FILE_TMPDIR/log" 2>&1
}

@test "cloud: the VHD is fixed, whole MiB and reads back as disk.raw" {
	size=$(stat -c %s "$TEST_IMAGE/disk.raw")
	info=$(qemu-img info -f vpc --output=json "$C/kcc-node.vhd")
	[ "$(echo "$info" | jq -r '."virtual-size"')" -eq "$size" ]
	[ $((size % 1048576)) -eq 0 ]
	# fixed: the raw disk then a 512-byte footer whose cookie is "conectix" and disk type 2 (fixed)
	[ "$(stat -c %s "$C/kcc-node.vhd")" -eq $((size + 512)) ]
	[ "$(tail -c 512 "$C/kcc-node.vhd" | head -c 8)" = conectix ]
	[ "$(tail -c 512 "$C/kcc-node.vhd" | od -An -tu4 --endian=big -j60 -N4 | tr -d ' ')" -eq 2 ]
	qemu-img compare -f raw -F vpc "$TEST_IMAGE/disk.raw" "$C/kcc-node.vhd"
}

@test "cloud: the VMDK is stream-optimised and reads back as disk.raw" {
	qemu-img info -f vmdk --output=json "$C/kcc-node.vmdk" | jq -e '."format-specific".data."create-type" == "streamOptimized"'
	qemu-img compare -f raw -F vmdk "$TEST_IMAGE/disk.raw" "$C/kcc-node.vmdk"
}

@test "cloud: the GCE tar.gz holds disk.raw alone (GNU format), unpacks to the disk, and is reproducible" {
	[ "$(tar -tzf "$C/kcc-node-gce.tar.gz")" = disk.raw ]
	tar -tvzf "$C/kcc-node-gce.tar.gz" | grep -q ' 0/0 '
	# GNU (oldgnu) header magic "ustar  \0", as GCE requires; not POSIX "ustar\000"
	[ "$(zcat "$C/kcc-node-gce.tar.gz" | head -c 512 | od -An -tx1 -j257 -N8 | tr -d ' ')" = 7573746172202000 ]
	mkdir "$BATS_TEST_TMPDIR/x"
	tar -C "$BATS_TEST_TMPDIR/x" -xzf "$C/kcc-node-gce.tar.gz"
	cmp "$TEST_IMAGE/disk.raw" "$BATS_TEST_TMPDIR/x/disk.raw"
	"$TOP/image/cloud.sh" "$TEST_IMAGE" "$BATS_TEST_TMPDIR/again" >/dev/null
	cmp "$C/kcc-node-gce.tar.gz" "$BATS_TEST_TMPDIR/again/kcc-node-gce.tar.gz"
}

@test "cloud: a disk that is not whole MiB is refused (exit 100)" {
	mkdir "$BATS_TEST_TMPDIR/odd"
	truncate -s 1049088 "$BATS_TEST_TMPDIR/odd/disk.raw"
	echo '{"source_date_epoch": 1}' >"$BATS_TEST_TMPDIR/odd/manifest.json"
	run "$TOP/image/cloud.sh" "$BATS_TEST_TMPDIR/odd"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not whole MiB"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/odd/cloud" ]
}
