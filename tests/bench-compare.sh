#!/usr/bin/env bash
# make bench-compare: kcc-node (the test image, build/test) side by side with the reference image
# (systemd 252 + dracut 059 on Debian 12, image/reference/build.sh, build/reference). Figures,
# never assertions. Both boot the same kernel, kcc-node's own (image/kernel.sh; the reference
# built with REF_KERNEL=debian boots Debian's with its modules, the stock way; result.json says
# which), in direct kernel mode with the same qemu options and
# a swtpm, each on its own persistent disk and TPM: the first boot of each provisions /var (not
# measured), then they boot alternately (kcc-node, reference, ...) BENCH_RUNS times each (default
# 3): unlock boots only. Times are the guest kernel's clock (printk timestamps, CLOCK_MONOTONIC).
# Prints medians and kcc/reference ratios; writes build/bench-compare/result.json and
# timeline.svg (the median run of each, one bar per phase).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${BENCH_RUNS:-3}
kcc=${KCC_IMAGE:-build/test} ref=${REF_IMAGE:-build/reference}
b=build/bench-compare
die() { echo "bench-compare: $*" >&2; exit 1; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number, not '$runs'"
for f in "$kcc/vmlinuz" "$kcc/cmdline" "$kcc/initramfs.cpio.zst" "$kcc/disk.raw"; do
	[ -f "$f" ] || die "$f is missing (make image VARIANT=test)"
done
for f in "$ref/initramfs.img" "$ref/cmdline" "$ref/cmdline.provision" "$ref/disk.raw"; do
	[ -f "$f" ] || die "$f is missing (image/reference/build.sh)"
done
[ -f "$ref/vmlinuz" ] || die "$ref/vmlinuz is missing (image/reference/build.sh)"
KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
rm -rf "$b"
mkdir -p "$b"

# Every pipeline here reads its input to the end (pipefail: no SIGPIPE from an early exit).
# The serial-log lines that mark kernel start and the end of the unlock path of each system.
KCC_UNLOCKED='kcc-init: state: unlocked'
REF_UNLOCKED='Finished .*(cryptsetup@var|Setup for var)'
KERNEL_START='Linux version'

# boot NAME LOGBASE UNTIL [run-vm options]: one boot; swtpm logs every TPM command. The byte
# offsets of the TPM log when the serial log first shows the kernel, then the end of the unlock,
# cut out the commands of the unlock path (LOGBASE.tpm-window).
boot() {
	local name=$1 base=$2 until=$3 unlocked pid start="" end="" rc=0
	shift 3
	case $name in kcc) unlocked=$KCC_UNLOCKED ;; ref) unlocked=$REF_UNLOCKED ;; esac
	: >"$base.serial"
	tests/vm/run-vm.sh --mode direct --log "$base.serial" --tpm-log "$base.tpm" --timeout 900 \
		--until "$until" "$@" 2>"$base.stderr" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$start" ] && grep -qa "$KERNEL_START" "$base.serial"; then
			start=$(stat -c %s "$base.tpm" 2>/dev/null || echo 0)
		fi
		if [ -n "$start" ] && [ -z "$end" ] && grep -qaE "$unlocked" "$base.serial"; then
			end=$(stat -c %s "$base.tpm")
		fi
		sleep 0.05
	done
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || die "$name boot ($base.serial) failed with exit code $rc"
	if [ -n "$start" ] && [ -n "$end" ]; then
		dd if="$base.tpm" of="$base.tpm-window" iflag=skip_bytes,count_bytes skip="$start" \
			count="$((end - start))" status=none
	else
		: >"$base.tpm-window"
	fi
}

# TPM command names (TPM 2.0 Part 2, TPM_CC) of the ones a boot sends; others print as hex.
tpm_commands() {
	awk 'BEGIN {
		n["0144"]="Startup"; n["0143"]="SelfTest"; n["017A"]="GetCapability"; n["017B"]="GetRandom"
		n["0182"]="PCR_Extend"; n["017E"]="PCR_Read"; n["0176"]="StartAuthSession"
		n["017F"]="PolicyPCR"; n["015E"]="Unseal"; n["0157"]="Load"; n["0131"]="CreatePrimary"
		n["0165"]="FlushContext"; n["0173"]="ReadPublic"; n["0162"]="ContextSave"
		n["0161"]="ContextLoad"; n["0189"]="PolicyGetDigest"; n["016A"]="PolicyAuthorize"
		n["0177"]="VerifySignature"; n["0167"]="LoadExternal"; n["017D"]="Hash"
		n["016B"]="PolicyAuthValue"; n["018C"]="PolicyPassword"; n["018A"]="TestParms"
		n["0180"]="PolicyRestart"; n["0171"]="PolicyOR"; n["014E"]="NV_Read"
		n["0169"]="NV_ReadPublic"; n["0186"]="HashSequenceStart"; n["015C"]="SequenceUpdate"
		n["013E"]="SequenceComplete"; n["0185"]="EventSequenceComplete"; n["013C"]="PCR_Event"
		n["0153"]="Create"; n["0120"]="EvictControl"; n["017C"]="GetTestResult"
		n["0151"]="PolicySecret"; n["0145"]="Shutdown"; n["0181"]="ReadClock"
		n["0160"]="PolicySigned"; n["0163"]="ECDH_KeyGen"; n["0154"]="ECDH_ZGen"
	}
	/SWTPM_IO_Read:/ {getline; cc = $9 $10; print (cc in n ? n[cc] : "0x" cc)}' "$1"
}

# ts FILE REGEX: the printk timestamp (ms) of the first serial line matching REGEX (null if none).
ts() {
	local v
	v=$(sed -nE "/$2/ {s/^\[ *([0-9]+)\.([0-9]{3}).*/\1\2/p; q}" "$1" | sed 's/^0*\([0-9]\)/\1/')
	echo "${v:-null}"
}
# info FILE KEY: the value of "KEY=N" on the serial log (null if none).
info() {
	local v
	v=$(sed -n "/ $2=[0-9]/ {s/.* $2=\([0-9]*\).*/\1/p; q}" "$1")
	echo "${v:-null}"
}

# One run's figures as JSON. kcc-node: kcc-init's boot timeline, its "started kcc-kubelet" line
# (PID 1 has forked and execs it) and kcc-kubelet's own "serving /healthz" (it listens).
kcc_figures() {
	local s=$1.serial tl
	tl=$(sed -n '/boot timeline/ {s/.*boot timeline.*: initrd \([0-9]*\)-\([0-9]*\),.* switch-root [0-9]*-\([0-9]*\),.*/\1 \2 \3/p; q}' "$s")
	read -r i0 i1 sr <<<"${tl:-0 0 0}"
	jq -n --argjson exec "$(ts "$s" 'kcc-init: started kcc-kubelet')" \
		--argjson ready "$(ts "$s" 'kcc-kubelet: serving \/healthz')" \
		--argjson pid1_ready "$(ts "$s" 'kcc-init: kcc-kubelet is ready')" \
		--argjson unlock "$(ts "$s" "$KCC_UNLOCKED")" \
		--argjson rss "$(info "$s" pid1-rss-kb)" --argjson dirty "$(info "$s" pid1-private-dirty-kb)" \
		--argjson tpm "$(tpm_commands "$1.tpm-window" | grep -vc '^GetRandom$' || true)" \
		--argjson tpm_app "$(tpm_commands "$1.tpm-window" | grep -vcE '^(GetRandom|ContextSave|ContextLoad)$' || true)" \
		--arg tpm_list "$(tpm_commands "$1.tpm-window" | paste -sd' ')" \
		--argjson i0 "$i0" --argjson i1 "$i1" --argjson sr "$sr" \
		'{kubelet_exec_ms: $exec, kubelet_ready_ms: $ready, pid1_says_kubelet_ready_ms: $pid1_ready,
		  unlocked_ms: $unlock, pid1_rss_kb: $rss, pid1_private_dirty_kb: $dirty,
		  tpm_commands: $tpm, tpm_commands_without_context_swaps: $tpm_app, tpm_command_list: $tpm_list,
		  phases_ms: {kernel: [0, $i0], initrd: [$i0, $i1], "switch-root": [$i1, $sr],
		              "services/kubelet": [$sr, $ready]}}'
}

# The reference: systemd's own timestamps (report.sh): the stand-in's ExecMainStart (PID 1 has
# forked it and execs it, as kcc-init's "started" line) and its ActiveEnter (READY=1, which the
# stand-in sends right after listen()); its own kernel-log marks, when the console shows them, too.
ref_figures() {
	local s=$1.serial line sw
	line=$(sed -n '/kcc-reference: INFO timeline-us / {s/.*kcc-reference: INFO timeline-us //p; q}' "$s" | tr -d '\r')
	us() { local v; v=$(sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" <<<"$line"); echo "${v:-0}"; }
	ms() { local v; v=$(us "$1"); [ "$v" -gt 0 ] && echo $((v / 1000)) || echo null; }
	sw=$(ms switch-root)
	[ "$sw" != null ] || sw=$(ms userspace)
	jq -n --argjson exec "$(ms kubelet-exec)" --argjson ready "$(ms kubelet-ready)" \
		--argjson mark_exec "$(ts "$s" 'kcc-standin-kubelet: exec')" \
		--argjson mark_ready "$(ts "$s" 'kcc-standin-kubelet: ready')" \
		--argjson unlock "$(ms unlock-end)" \
		--argjson rss "$(info "$s" pid1-rss-kb)" --argjson dirty "$(info "$s" pid1-private-dirty-kb)" \
		--argjson tpm "$(tpm_commands "$1.tpm-window" | grep -vc '^GetRandom$' || true)" \
		--argjson tpm_app "$(tpm_commands "$1.tpm-window" | grep -vcE '^(GetRandom|ContextSave|ContextLoad)$' || true)" \
		--arg tpm_list "$(tpm_commands "$1.tpm-window" | paste -sd' ')" \
		--argjson i0 "$(ms initrd)" --argjson i1 "$sw" --argjson sr "$(ms userspace)" \
		'{kubelet_exec_ms: $exec, kubelet_ready_ms: $ready, pid1_says_kubelet_ready_ms: $ready,
		  standin_exec_mark_ms: $mark_exec, standin_ready_mark_ms: $mark_ready,
		  unlocked_ms: $unlock, pid1_rss_kb: $rss, pid1_private_dirty_kb: $dirty,
		  tpm_commands: $tpm, tpm_commands_without_context_swaps: $tpm_app, tpm_command_list: $tpm_list,
		  phases_ms: {kernel: [0, $i0], initrd: [$i0, $i1], "switch-root": [$i1, $sr],
		              "services/kubelet": [$sr, $ready]}}'
}

kcc_boot() {
	boot kcc "$1" 'kcc-test: agent done' --image "$kcc" --disk "$b/kcc.raw" --tpm-state "$b/kcc.tpm"
}
ref_boot() {
	boot ref "$1" "${2:-kcc-reference: report done}" --image "$ref" --initrd "$ref/initramfs.img" \
		--disk "$b/ref.raw" --tpm-state "$b/ref.tpm" ${3:+--cmdline "$3"}
}

echo "== bench-compare: kcc-node ($kcc) and the reference, systemd 252 + dracut 059 ($ref)"
echo "   accelerator $KCC_ACCEL, $(nproc) host cores, $runs unlock boots each, alternating"
if cmp -s "$kcc/vmlinuz" "$ref/vmlinuz"; then
	echo "   kernel: the same for both, kcc-node's own ($(jq -r .kernel "$ref/manifest.json"))"
else
	echo "   kernel: kcc-node's own; the reference's $(jq -r .kernel "$ref/manifest.json") with its modules"
fi
cp --sparse=always "$kcc/disk.raw" "$b/kcc.raw"
cp --sparse=always "$ref/disk.raw" "$b/ref.raw"
mkdir -p "$b/kcc.tpm" "$b/ref.tpm"
echo "provisioning boots (not measured)"
kcc_boot "$b/kcc-provision"
grep -qa 'kcc-init: state: provisioned' "$b/kcc-provision.serial" ||
	die "kcc-node's first boot did not provision its state partition ($b/kcc-provision.serial)"
ref_boot "$b/ref-provision" 'reboot: Power down' "$(cat "$ref/cmdline.provision")"
grep -qa 'kcc-reference: provisioned' "$b/ref-provision.serial" ||
	die "the reference's first boot did not provision /var ($b/ref-provision.serial)"

for i in $(seq "$runs"); do
	kcc_boot "$b/kcc-$i"
	kcc_figures "$b/kcc-$i" >"$b/kcc-$i.json"
	ref_boot "$b/ref-$i"
	grep -qa 'kcc-reference: INFO var=/dev/mapper/var ext4' "$b/ref-$i.serial" ||
		die "reference run $i: /var is not the unlocked LUKS2 volume ($b/ref-$i.serial)"
	ref_figures "$b/ref-$i" >"$b/ref-$i.json"
	echo "run $i: kcc-node kubelet exec $(jq .kubelet_exec_ms "$b/kcc-$i.json") ms," \
		"reference $(jq .kubelet_exec_ms "$b/ref-$i.json") ms"
done

kcc_unpacked=$(zstd -dc "$kcc/initramfs.cpio.zst" | wc -c)
jq -n --slurpfile k <(cat "$b"/kcc-[0-9]*.json) --slurpfile r <(cat "$b"/ref-[0-9]*.json) \
	--argjson kp "$(stat -c %s "$kcc/initramfs.cpio.zst")" --argjson ku "$kcc_unpacked" \
	--argjson rp "$(stat -c %s "$ref/initramfs.img")" --argjson ru "$(cat "$ref/initramfs.unpacked-bytes")" \
	--slurpfile rm "$ref/manifest.json" --arg accel "$KCC_ACCEL" --arg cores "$(nproc)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" -f tests/bench-compare.jq >"$b/result.json"
tests/bench-compare-svg.sh "$b/result.json" >"$b/timeline.svg"

jq -r '"== medians of \(.runs) unlock boots each (kcc-node / reference = ratio)",
	(.metrics | to_entries[] | "\(.key | . + " " * (36 - length)) \(.value.kcc) / \(.value.reference) = \(.value.ratio)"),
	"TPM commands on the unlock path, median run:",
	"  kcc-node:  \(.median_run.kcc.tpm_command_list)",
	"  reference: \(.median_run.reference.tpm_command_list)"' "$b/result.json"
echo "written: $b/result.json, $b/timeline.svg"
