#!/usr/bin/env bash
# make bench: figures, never assertions. Boots the test image BENCH_RUNS times in direct mode, one
# node (disk and TPM kept): the first boot provisions the state partition, the others unlock it.
# Reports the guest uptime at "services started" (the kernel's clock, from the boot timeline), the
# resident memory of kcc-init after boot, provisioning time, TPM commands and time of the unseal and
# activation, the initramfs and UKI sizes, and cold and warm build times; then the attestation join
# on the host (tests/bench-attest.sh), the event forwarder's way out (tests/bench-forward.sh), the
# update figures (tests/bench-update.sh), one full upgrade of one node in pull mode, apply in the VM
# included (tests/bench-upgrade.sh), and kcc-node's kernel next to Debian's (the same image built
# with KCC_KERNEL=debian, booted as many times): size, built-in options, modules, system calls, and
# kernel start to kcc-init (tests/bench-kernel.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${BENCH_RUNS:-3}
b=build/bench
mkdir -p "$b"

t0=$(date +%s%N)
rm -rf "$b/cold" "$b/debs-cold"
DEB_CACHE=$b/debs-cold image/build.sh --variant test --out "$b/cold" >"$b/cold.log" 2>&1
cold=$((($(date +%s%N) - t0) / 1000000))
t0=$(date +%s%N)
image/build.sh --variant test --out "$b/cold" >"$b/warm.log" 2>&1
warm=$((($(date +%s%N) - t0) / 1000000))
image/build.sh --variant prod --out "$b/prod" >"$b/prod.log" 2>&1

echo "== build (test variant)"
printf 'cold build (empty .deb cache): %d.%03d s\n' $((cold / 1000)) $((cold % 1000))
printf 'warm build:                    %d.%03d s\n' $((warm / 1000)) $((warm % 1000))
echo "== sizes (prod variant)"
for f in initramfs.cpio.zst kcc-node.efi root.erofs vmlinuz; do
	printf '%-20s %8d KiB\n' "$f" $(($(stat -c %s "$b/prod/$f") / 1024))
done
printf '%-20s %8d KiB (uncompressed)\n' initramfs.cpio $(($(zstd -dc "$b/prod/initramfs.cpio.zst" | wc -c) / 1024))
strip -o "$b/kcc-init.stripped" build/bin/kcc-init
printf '%-20s %8d KiB (stripped, plus shared libraries)\n' kcc-init $(($(stat -c %s "$b/kcc-init.stripped") / 1024))
strip -o "$b/kcc-sysinit.stripped" build/bin/kcc-sysinit
printf '%-20s %8d KiB (stripped, static: the system stage'"'"'s PID 1)\n' kcc-sysinit \
	$(($(stat -c %s "$b/kcc-sysinit.stripped") / 1024))
strip -o "$b/kcc-kubelet.stripped" build/bin/kcc-kubelet
printf '%-20s %8d KiB (stripped, libarchive inside, plus shared libraries)\n' kcc-kubelet \
	$(($(stat -c %s "$b/kcc-kubelet.stripped") / 1024))

KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
echo "== boot, direct kernel mode, $runs runs of one node, accelerator $KCC_ACCEL"
cp --sparse=always "$b/cold/disk.raw" "$b/node.raw"
rm -rf "$b/node.tpm"
mkdir -p "$b/node.tpm"
for i in $(seq "$runs"); do
	log=$b/boot-$i.log
	tests/vm/run-vm.sh --image "$b/cold" --mode direct --log "$log" --timeout 120 2>/dev/null \
		--disk "$b/node.raw" --tpm-state "$b/node.tpm" --until 'kcc-test: agent done' || true
	ready=$(tr -d '\r' <"$log" | sed -n 's/.*services started at \([0-9]*\) ms.*/\1/p' | head -n1)
	rss=$(tr -d '\r' <"$log" | sed -n 's/.*kcc-test: INFO pid1-rss-kb=\([0-9]*\).*/\1/p' | head -n1)
	dirty=$(tr -d '\r' <"$log" | sed -n 's/.*kcc-test: INFO pid1-private-dirty-kb=\([0-9]*\).*/\1/p' | head -n1)
	initrd=$(tr -d '\r' <"$log" | sed -n 's/.*boot timeline.*initrd \([0-9]*\)-\([0-9]*\),.*/\1 \2/p' | head -n1)
	echo "run $i: services started at ${ready:-?} ms of guest uptime; kcc-init starts at ${initrd% *} ms, leaves the initrd at ${initrd#* } ms; PID 1 RSS ${rss:-?} KiB, private dirty ${dirty:-?} KiB"
	# The default pod's first HTTP answer: its readiness probe's first success (kernel clock).
	pod=$(tr -d '\r' <"$log" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*kcc-kubelet: pod kcc-web\/web is ready.*/\1\2/p' | head -n1)
	krss=$(tr -d '\r' <"$log" | sed -n 's/.*kcc-test: INFO kubelet-rss-kb=\([0-9]*\).*/\1/p' | head -n1)
	echo "       first pod (kcc-web/web) answered HTTP at $((10#${pod:-0})) ms of guest uptime; kcc-kubelet RSS ${krss:-?} KiB"
	tr -d '\r' <"$log" | sed -n 's/.*kcc-init: state: \(provisioned (.*)\)$/       state partition \1/p
		s/.*kcc-init: state: key \(unsealed by the TPM (.*)\)$/       key \1/p
		s/.*kcc-init: state: \(unlocked (.*)\)$/       state partition \1/p'
done
echo "(bar to beat: systemd 252 + dracut ~27000 ms, PID 1 11 MB, initramfs 15 MB)"
tests/bench-attest.sh
tests/bench-forward.sh
tests/bench-update.sh
tests/bench-upgrade.sh
tests/bench-rotate.sh
tests/bench-kernel.sh "$b/cold" "$runs"
