#!/usr/bin/env bash
# make check: builds everything, then runs the unit tests (ASan/UBSan), a fuzz smoke run, the
# builder's BATS tests and the VM tests, and ends with one line "N passed, N failed".
# A skipped test counts as failed. Exit code: 0 when nothing failed, 1 otherwise.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${BUILD:-build}
passed=0 failed=0
log=$B/check
mkdir -p "$log"

count_tap() { # FILE: adds the TAP results of a bats run
	local p f
	p=$(grep -cE '^ok ' "$1" | tr -d ' ')
	f=$(grep -cE '^not ok ' "$1" | tr -d ' ')
	# A skip reads "ok N ... # skip": count it as a failure.
	s=$(grep -cE '^ok .* # skip' "$1" | tr -d ' ')
	passed=$((passed + p - s))
	failed=$((failed + f + s))
}

section() { echo; echo "=== $*"; }

section "build"
if make -s all >"$log/make.log" 2>&1; then passed=$((passed + 1)); else
	failed=$((failed + 1)); cat "$log/make.log"
	echo "$passed passed, $failed failed"; exit 1
fi

section "unit tests (cmocka, ASan/UBSan)"
make -s -j"$(nproc)" unit >"$log/unit.log" 2>&1
cat "$log/unit.log" | grep -E '^\[  (PASSED|FAILED) |^\[  ERROR|runtime error|AddressSanitizer' || true
p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log/unit.log" | awk '{s += $4} END {print s + 0}')
f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log/unit.log" | awk '{s += $4} END {print s + 0}')
grep -qE 'runtime error|AddressSanitizer|Error [0-9]' "$log/unit.log" && [ "$f" -eq 0 ] && f=1
passed=$((passed + p)) failed=$((failed + f))

section "fuzz smoke (libFuzzer, ${FUZZ_SECONDS:-10}s per target, one per core)"
if make -s -j"$(nproc)" -Otarget fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" 2>&1 | tee "$log/fuzz.log"; then
	passed=$((passed + $(grep -c 'Done [0-9]* runs' "$log/fuzz.log")))
else
	failed=$((failed + 1))
fi

section "images"
images_ok=1
for v in prod test; do
	if image/build.sh --variant $v --out "$B/$v" >"$B/$v.build.log" 2>&1; then
		passed=$((passed + 1)); tail -n1 "$B/$v.build.log"
	else
		failed=$((failed + 1)) images_ok=0; tail -20 "$B/$v.build.log"
	fi
done
# A second release of the test image, the first one's version plus ".2" (the loader orders it
# after) with security epoch 2: the update applied by tests/vm/65-update.bats and the newer epoch
# of tests/vm/45-epoch.bats.
v2=$(jq -r .version "$B/test/manifest.json" 2>/dev/null).2
if image/build.sh --variant test --out "$B/test-v2" --version "$v2" --epoch 2 >"$B/test-v2.build.log" 2>&1; then
	passed=$((passed + 1)); tail -n1 "$B/test-v2.build.log"
else
	failed=$((failed + 1)) images_ok=0; tail -20 "$B/test-v2.build.log"
fi

section "builder and tool tests (BATS)"
bats --tap tests/bats >"$log/bats.tap" 2>&1
cat "$log/bats.tap"
count_tap "$log/bats.tap"

section "VM tests (BATS, qemu + swtpm)"
# Probe the accelerator once for every boot of the suite.
KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
echo "accelerator: $KCC_ACCEL"
if [ $images_ok -eq 1 ]; then
	# the files tests/vm/check-long.list names run in make check-long instead (docs/testing.md)
	vm_files=()
	for f in tests/vm/*.bats; do
		grep -qxF "${f#tests/vm/}" tests/vm/check-long.list || vm_files+=("$f")
	done
	bats --tap "${vm_files[@]}" >"$log/vm.tap" 2>&1
	cat "$log/vm.tap"
	count_tap "$log/vm.tap"
else
	echo "no images, VM tests not run"
	failed=$((failed + 1))
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
