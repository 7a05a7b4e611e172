#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A node stand-in for the pipeline tests (tests/bats/68-pipeline-rollout.bats): plays PID 1 of a
# node whose disk, ESP and run directory are files in DIR. It runs `kcc-update serve --pull` on
# them with itself as --init-pid; on kured's SIGRTMIN+5 it "reboots": stops the service, changes
# the files as the loader and the new boot would, and starts the service again.
#   node-standin.sh DIR MODE KCC_UPDATE KEY
# MODE good: the staged version boots and is blessed (the running root hash and version become
# the staged one's, its entry loses the counter); MODE rollback: the staged version never gets
# healthy (its entry is marked bad, +0-3) and the node is back on its running version.
# DIR holds disk.raw, esp/, run/, cmdline, os-release, node.json; the socket is DIR/update.sock.
set -u
dir=$1 mode=$2 upd=$3 key=$4
reboot=0 pid=
trap 'reboot=1' RTMIN+5
trap 'kill $pid 2>/dev/null; exit 0' TERM
serve() {
	"$upd" serve --pull --interval 1 --key "$key" --socket="$dir/update.sock" --config "$dir/node.json" \
		--init-pid $$ --disk "$dir/disk.raw" --esp-dir "$dir/esp" --cmdline "$dir/cmdline" \
		--os-release "$dir/os-release" --run-dir "$dir/run" >>"$dir/serve.log" 2>&1 &
	pid=$!
}
serve
while :; do
	if [ $reboot -eq 1 ]; then
		kill $pid
		wait $pid
		staged=$(ls "$dir/esp/EFI/Linux" | sed -n 's/^kcc-node_\(.*\)+3\.efi$/\1/p')
		echo "reboot into $staged ($mode)" >>"$dir/reboots"
		if [ "$mode" = good ]; then
			rh=$(sfdisk -d "$dir/disk.raw" | sed -n 's/.*uuid=\([0-9A-Fa-f-]*\), name="root-b".*/\1/p' | tr -d - | tr A-F a-f)
			rhv=$(sfdisk -d "$dir/disk.raw" | sed -n 's/.*uuid=\([0-9A-Fa-f-]*\), name="root-b-verity".*/\1/p' | tr -d - | tr A-F a-f)
			echo "kcc.roothash=$rh$rhv console=ttyS0" >"$dir/cmdline"
			sed -i "s/^IMAGE_VERSION=.*/IMAGE_VERSION=$staged/" "$dir/os-release"
			mv "$dir/esp/EFI/Linux/kcc-node_$staged+3.efi" "$dir/esp/EFI/Linux/kcc-node_$staged.efi"
		else
			mv "$dir/esp/EFI/Linux/kcc-node_$staged+3.efi" "$dir/esp/EFI/Linux/kcc-node_$staged+0-3.efi"
		fi
		rm -f "$dir/run/reboot-required"
		reboot=0
		serve
	fi
	sleep 0.05
done
