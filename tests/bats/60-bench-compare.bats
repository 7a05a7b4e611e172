#!/usr/bin/env bats
# make bench-compare's cheap parts: the reference builder's input checks and cache, the medians
# and ratios, the timeline picture. The comparison itself is a benchmark (make bench-compare).
load helper

REF=$TOP/image/reference/build.sh

# A stand-in for a kcc-node image directory: only what the reference builder reads. Its vmlinuz
# is a boot header whose kernel_version field (0x20e) points at "RELEASE (...)" (plus a tail).
fake_kcc() {
	mkdir -p "$1"
	{
		head -c $((0x20e)) /dev/zero
		printf '\x00\x02'
		head -c $((0x400 - 0x210)) /dev/zero
		printf '6.1.0-fake (builder@host) #1 %s\0' "${2:-kernel}"
	} >"$1/vmlinuz"
	echo 'CONFIG_EROFS_FS=y' >"$1/kernel.config"
	echo "console=ttyS0,115200 loglevel=6 panic=-1 kcc.roothash=${3:-aa} kcc.slot=a" >"$1/cmdline"
}

@test "reference build: an unknown option is a usage error" {
	run "$REF" --colour blue
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown option '--colour'"* ]]
}

@test "reference build: a missing kcc-node image is refused with one line" {
	run "$REF" --kcc-image "$BATS_TEST_TMPDIR/none" --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/none/cmdline is missing; run make image VARIANT=test first"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/o" ]
}

@test "reference build: the cache key follows kcc-node's command line without its kcc.* options, and its vmlinuz" {
	fake_kcc "$BATS_TEST_TMPDIR/k1" kernel aa
	fake_kcc "$BATS_TEST_TMPDIR/k2" kernel bb
	fake_kcc "$BATS_TEST_TMPDIR/k3" other aa
	h1=$("$REF" --kcc-image "$BATS_TEST_TMPDIR/k1" --inputs-hash)
	h2=$("$REF" --kcc-image "$BATS_TEST_TMPDIR/k2" --inputs-hash)
	h3=$("$REF" --kcc-image "$BATS_TEST_TMPDIR/k3" --inputs-hash)
	[[ $h1 =~ ^[0-9a-f]{64}$ ]]
	[ "$h1" = "$h2" ]
	# by default the reference boots kcc-node's own kernel: another vmlinuz is another reference
	[ "$h1" != "$h3" ]
	# the stock way (Debian's kernel and modules) does not look at kcc-node's vmlinuz
	[ "$("$REF" --kernel debian --kcc-image "$BATS_TEST_TMPDIR/k1" --inputs-hash)" = \
		"$(REF_KERNEL=debian "$REF" --kcc-image "$BATS_TEST_TMPDIR/k3" --inputs-hash)" ]
	sed -i 's/panic=-1/panic=10/' "$BATS_TEST_TMPDIR/k2/cmdline"
	[ "$("$REF" --kcc-image "$BATS_TEST_TMPDIR/k2" --inputs-hash)" != "$h1" ]
}

@test "reference build: --kernel is own or debian; own needs a bzImage with its release in the boot header" {
	fake_kcc "$BATS_TEST_TMPDIR/k"
	run "$REF" --kernel mine --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash
	[ "$status" -eq 100 ]
	[[ "$output" == *"--kernel must be own or debian, not 'mine'"* ]]
	printf 'not a kernel' >"$BATS_TEST_TMPDIR/k/vmlinuz"
	run "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash
	[ "$status" -eq 100 ]
	[[ "$output" == *"vmlinuz: no kernel release in its boot header (not a bzImage?)"* ]]
	rm "$BATS_TEST_TMPDIR/k/kernel.config"
	run "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash
	[ "$status" -eq 100 ]
	[[ "$output" == *"kernel.config is missing; run make image VARIANT=test first"* ]]
	# the release of a real kcc-node kernel
	[ ! -f "$TEST_IMAGE/vmlinuz" ] || {
		cp "$TEST_IMAGE/vmlinuz" "$TEST_IMAGE/kernel.config" "$BATS_TEST_TMPDIR/k/"
		run "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash
		[ "$status" -eq 0 ]
	}
}

@test "reference build: nothing is rebuilt while the inputs are unchanged" {
	fake_kcc "$BATS_TEST_TMPDIR/k"
	o=$BATS_TEST_TMPDIR/o
	mkdir -p "$o"
	: >"$o/disk.raw"
	echo '{}' >"$o/manifest.json"
	"$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash >"$o/inputs.sha256"
	run "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --out "$o"
	[ "$status" -eq 0 ]
	[ "$output" = "reference: up to date in $o" ]
	[ ! -e "$o/.work" ]
	# with the stock kernel, kcc-node's vmlinuz is no input
	REF_KERNEL=debian "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --inputs-hash >"$o/inputs.sha256"
	fake_kcc "$BATS_TEST_TMPDIR/k" other
	REF_KERNEL=debian run "$REF" --kcc-image "$BATS_TEST_TMPDIR/k" --out "$o"
	[ "$status" -eq 0 ]
	[ "$output" = "reference: up to date in $o" ]
}

# One run's figures as tests/bench-compare.sh writes them.
run_json() {
	jq -n --argjson e "$1" --argjson r "$2" --argjson rss "$3" \
		'{kubelet_exec_ms: $e, kubelet_ready_ms: $r, unlocked_ms: 1, pid1_rss_kb: $rss,
		  pid1_private_dirty_kb: null, tpm_commands: 4, tpm_command_list: "",
		  phases_ms: {kernel: [0, 100], initrd: [100, 200], "switch-root": [200, 300],
		              "services/kubelet": [300, $r]}}'
}

@test "bench-compare: medians of the runs, ratios kcc/reference, the median run's timeline" {
	d=$BATS_TEST_TMPDIR
	{ run_json 700 900 6000; run_json 500 800 7000; run_json 900 1000 5000; } >"$d/k.json"
	{ run_json 3000 4000 11000; run_json 2000 3000 12000; } >"$d/r.json"
	echo '{"packages": {"systemd": "252"}}' >"$d/m.json"
	jq -n --slurpfile k "$d/k.json" --slurpfile r "$d/r.json" --argjson kp 2048 --argjson ku 4096 \
		--argjson rp 8192 --argjson ru 16384 --slurpfile rm "$d/m.json" --arg accel tcg \
		--arg cores 2 --arg date D -f "$TOP/tests/bench-compare.jq" >"$d/result.json"
	m='.metrics["kernel start to kubelet exec (ms)"]'
	[ "$(jq -c "$m" "$d/result.json")" = '{"kcc":700,"reference":2500,"ratio":0.28}' ]
	[ "$(jq -c '.metrics["PID 1 RSS (KiB)"]' "$d/result.json")" = '{"kcc":6000,"reference":11500,"ratio":0.522}' ]
	[ "$(jq -c '.metrics["PID 1 Private_Dirty (KiB)"]' "$d/result.json")" = '{"kcc":null,"reference":null,"ratio":null}' ]
	[ "$(jq -c '.metrics["initramfs packed (KiB)"].ratio' "$d/result.json")" = 0.25 ]
	[ "$(jq '.median_run.kcc.kubelet_ready_ms' "$d/result.json")" = 900 ]
	[ "$(jq '.median_run.reference.kubelet_ready_ms' "$d/result.json")" = 3000 ]
	"$TOP/tests/bench-compare-svg.sh" "$d/result.json" >"$d/t.svg"
	[ "$(grep -c '<rect x=.*<title>' "$d/t.svg")" -eq 8 ]
	grep -q '<title>services/kubelet: 300-900 ms</title>' "$d/t.svg"
	grep -q '<title>services/kubelet: 300-3000 ms</title>' "$d/t.svg"
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$d/t.svg"
}

@test "bench-compare: BENCH_RUNS must be a positive number" {
	BENCH_RUNS=0 run "$TOP/tests/bench-compare.sh"
	[ "$status" -eq 1 ]
	[ "$output" = "bench-compare: BENCH_RUNS must be a positive number, not '0'" ]
}
