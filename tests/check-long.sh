#!/usr/bin/env bash
# make check-long: the long VM matrices that make check leaves out (tests/vm/long/ and the files of
# tests/vm/ that tests/vm/check-long.list names), on the images make check built (the test image is built first when it is missing). Ends with one line
# "N passed, N failed"; a skipped test counts as failed. Exit code: 0 when nothing failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${BUILD:-build}
log=$B/check
mkdir -p "$log"
make -s all >"$log/make-long.log" 2>&1 || { cat "$log/make-long.log"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -f "$B/test/manifest.json" ]; then
	image/build.sh --variant test --out "$B/test" >"$B/test.build.log" 2>&1 ||
		{ tail -20 "$B/test.build.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# the second test release (as make check builds it): the update the power-cut, pull-mode and
# rollout matrices apply
if [ ! -f "$B/test-v2/manifest.json" ]; then
	image/build.sh --variant test --out "$B/test-v2" --version "$(jq -r .version "$B/test/manifest.json").2" \
		--epoch 2 >"$B/test-v2.build.log" 2>&1 || { tail -20 "$B/test-v2.build.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# the broken third release of the rollout test (tests/vm/long/68-rollout.bats): its kubelet never
# gets healthy, PID 1 marks it bad after 30 s; built again when the test image changed version
v3=$(jq -r .version "$B/test/manifest.json").3
if [ "$(jq -r .version "$B/test-v3/manifest.json" 2>/dev/null)" != "$v3" ]; then
	image/build.sh --variant test --out "$B/test-v3" --version "$v3" \
		--epoch 2 --test-cmdline "kcc_test.unready=kcc-kubelet kcc.bless_timeout=30" >"$B/test-v3.build.log" 2>&1 ||
		{ tail -20 "$B/test-v3.build.log"; echo "0 passed, 1 failed"; exit 1; }
fi
KCC_ACCEL=${KCC_ACCEL:-$(tests/vm/run-vm.sh --print-accel)}
export KCC_ACCEL
echo "accelerator: $KCC_ACCEL"
mapfile -t listed < <(sed 's/#.*//; /^\s*$/d; s|^|tests/vm/|' tests/vm/check-long.list)
bats --tap tests/vm/long "${listed[@]}" >"$log/vm-long.tap" 2>&1
cat "$log/vm-long.tap"
p=$(grep -cE '^ok ' "$log/vm-long.tap")
s=$(grep -cE '^ok .* # skip' "$log/vm-long.tap")
f=$(grep -cE '^not ok ' "$log/vm-long.tap")
passed=$((p - s)) failed=$((f + s))
[ $((passed + failed)) -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
