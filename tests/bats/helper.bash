# Shared by the builder's BATS tests.
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=$TOP/image/build.sh
TEST_IMAGE=${KCC_TEST_IMAGE:-$TOP/build/test}
PROD_IMAGE=${KCC_PROD_IMAGE:-$TOP/build/prod}

# A copy of the overlays to break on purpose.
overlay_copy() {
	cp -R "$TOP/overlays" "$1"
}

# swtpm_start DIR: a fresh (or, with DIR's state, the same) swtpm on DIR/sock; PCRs start at zero.
swtpm_start() {
	swtpm socket --tpm2 --tpmstate "dir=$1" --server "type=unixio,path=$1/sock" \
		--ctrl "type=unixio,path=$1/sock.ctrl" --flags not-need-init,startup-clear \
		--daemon --pid "file=$1/swtpm.pid" --log "file=$1/swtpm.log"
	for _ in $(seq 50); do [ -S "$1/sock" ] && return 0; sleep 0.1; done
	return 1
}
swtpm_stop() {
	kill "$(cat "$1/swtpm.pid")" 2>/dev/null || true
}

# swtpm_use: S and kcc-pcr's TCTI for the file's swtpm (started in setup_file).
swtpm_use() {
	S=$BATS_FILE_TMPDIR
	export KCC_TPM2_TCTI=swtpm:path=$S/sock
}

. "$TOP/tests/free-port.sh"
