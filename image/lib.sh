# Shared shell helpers of the image builder (sourced). Exit codes of the builder's tools:
# 0 ok, 100 bad input or usage, 111 system failure.

die() { echo "build: error: $*" >&2; exit "${EXIT:-111}"; }
bad_input() { EXIT=100 die "$@"; }

# step NAME COMMAND...: runs one step and prints one progress line with its duration.
# The step runs in a subshell with errexit on, so a failing command inside it stops it.
step() {
	local _step=$1 _t0 _rc
	shift
	_t0=$(date +%s%N)
	set +e
	(set -e; "$@")
	_rc=$?
	set -e
	[ $_rc -eq 0 ] || { echo "build: step $_step failed" >&2; exit "$_rc"; }
	local _ms=$((($(date +%s%N) - _t0) / 1000000))
	printf 'build: %-10s %3d.%02ds\n' "$_step" $((_ms / 1000)) $((_ms % 1000 / 10))
}

# Formats 32 hex digits as a UUID.
hex_to_uuid() {
	local h=$1
	echo "${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
}

# Derives a stable UUID string from a label and any data (sha256, first 16 bytes).
derive_uuid() {
	hex_to_uuid "$(printf '%s' "$*" | sha256sum | cut -c1-32)"
}

# Runs a command with the clock at SOURCE_DATE_EPOCH, for tools that stamp the current time
# (sbsign's signing time, mtools' directory entries).
at_source_date() {
	faketime -f "@$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')" "$@"
}

# debian_elf BZIMAGE OUT: the ELF kernel inside a Debian bzImage (an xz stream).
debian_elf() {
	local off
	off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$1" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || die "no xz stream in $1"
	tail -c +$((off + 1)) "$1" | xz -dc --single-stream >"$2" 2>/dev/null || true
}
