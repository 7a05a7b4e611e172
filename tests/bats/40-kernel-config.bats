#!/usr/bin/env bats
# kernel-config/: the checker on Debian's shipped configuration (the pinned kernel), on broken
# configurations and fragments, and the builder refusing a kernel that lacks a required option.
load helper

CHECK=$TOP/build/bin/kconfig-check
FRAGMENTS=("$TOP"/kernel-config/fragments/*.config)

setup_file() {
	# kcc-node boots its own kernel, so the image build no longer fetches Debian's: the pinned
	# package is fetched here (checked against packages.lock's sha256).
	deb=$("$TOP/image/fetch-debs.sh" "$TOP/build/debs" "$(awk '/^linux-image-/ {print $1}' "$TOP/image/packages.lock")")
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$BATS_FILE_TMPDIR" --wildcards './boot/config-*'
	cp "$BATS_FILE_TMPDIR"/boot/config-* "$BATS_FILE_TMPDIR/debian.config"
}

setup() {
	CFG=$BATS_FILE_TMPDIR/debian.config
}

@test "kconfig: Debian's shipped kernel has every required option; what it lacks is reported with the reason" {
	run "$CHECK" "$CFG" "${FRAGMENTS[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 required options not met"* ]]
	# Every option of the fragments is judged, one line each, with its reason.
	n=$(cat "${FRAGMENTS[@]}" | grep -cE '^(CONFIG_|# CONFIG_.* is not set)')
	[ "$(echo "$output" | grep -cE '^(ok|weaker|missing) ')" -eq "$n" ]
	[[ "$output" == *"ok      required     CONFIG_DM_VERITY=m (want y or m): the read-only root is dm-verity"* ]]
	[[ "$output" == *"missing recommended  CONFIG_MODULE_SIG_FORCE=n (want y): "* ]]
	[[ "$output" == *"missing recommended  CONFIG_DM_INIT=<unset> (want y): "* ]]
	[[ "$output" == *"weaker  recommended  CONFIG_DEVMEM=y (want n): "* ]]
}

@test "kconfig: a missing or weaker required option fails with exit 1 and names it" {
	grep -v '^CONFIG_BPF_LSM=' "$CFG" | sed 's/^CONFIG_TCG_TPM=y/CONFIG_TCG_TPM=m/' >"$BATS_TEST_TMPDIR/bad.config"
	run "$CHECK" "$BATS_TEST_TMPDIR/bad.config" "${FRAGMENTS[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing required     CONFIG_BPF_LSM=<unset> (want y): the BPF LSM enforces the exec policy"* ]]
	[[ "$output" == *"weaker  required     CONFIG_TCG_TPM=m (want y): "* ]]
	[[ "$output" == *"2 required options not met"* ]]
	# A number below the minimum is weaker.
	sed 's/^CONFIG_DEFAULT_MMAP_MIN_ADDR=.*/CONFIG_DEFAULT_MMAP_MIN_ADDR=4096/' "$CFG" >"$BATS_TEST_TMPDIR/low.config"
	run "$CHECK" --quiet "$BATS_TEST_TMPDIR/low.config" "${FRAGMENTS[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"weaker  required     CONFIG_DEFAULT_MMAP_MIN_ADDR=4096 (want 65536)"* ]]
	! echo "$output" | grep -q '^ok '
}

@test "kconfig: bad usage, a malformed fragment and unreadable files are refused" {
	run "$CHECK" "$CFG"
	[ "$status" -eq 100 ]
	printf 'CONFIG_X=y\n' >"$BATS_TEST_TMPDIR/noreason.config"
	run "$CHECK" "$CFG" "$BATS_TEST_TMPDIR/noreason.config"
	[ "$status" -eq 100 ]
	[[ "$output" == *"noreason.config:1: expected '# required: why'"* ]]
	printf '# required: dangling\n' >"$BATS_TEST_TMPDIR/dangling.config"
	run "$CHECK" "$CFG" "$BATS_TEST_TMPDIR/dangling.config"
	[ "$status" -eq 100 ]
	run "$CHECK" /nonexistent "${FRAGMENTS[@]}"
	[ "$status" -eq 111 ]
	run "$CHECK" "$TOP/README.md" "${FRAGMENTS[@]}"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not a kernel config"* ]]
}

@test "kconfig: the build refuses a kernel that lacks a required option" {
	printf '# required: /dev/tdx_guest\nCONFIG_TDX_GUEST_DRIVER=y\n' >"$BATS_TEST_TMPDIR/strict.config"
	KCC_KCONFIG_FRAGMENTS="$BATS_TEST_TMPDIR/strict.config" run "$TOP/image/build.sh" --variant prod --out "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 100 ]
	[[ "$output" == *"missing required     CONFIG_TDX_GUEST_DRIVER=<unset> (want y): /dev/tdx_guest"* ]]
	[[ "$output" == *"lacks options kcc-node requires"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/out/disk.raw" ]
}

@test "kconfig: ', if CONFIG_X' judges an option only on a kernel that has CONFIG_X" {
	printf '# required, if CONFIG_MODULES: signed modules\nCONFIG_MODULE_SIG=y\n' >"$BATS_TEST_TMPDIR/cond.config"
	printf 'CONFIG_MODULES=y\n' >"$BATS_TEST_TMPDIR/mods.config"
	run "$CHECK" "$BATS_TEST_TMPDIR/mods.config" "$BATS_TEST_TMPDIR/cond.config"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing required     CONFIG_MODULE_SIG=<unset> (want y): signed modules"* ]]
	printf '# CONFIG_MODULES is not set\nCONFIG_BLOCK=y\n' >"$BATS_TEST_TMPDIR/nomods.config"
	run "$CHECK" "$BATS_TEST_TMPDIR/nomods.config" "$BATS_TEST_TMPDIR/cond.config"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ok      required     CONFIG_MODULE_SIG=<unset> (want y; n/a without CONFIG_MODULES): signed modules"* ]]
	printf '# required, if CONFIG_: bad\nCONFIG_X=y\n' >"$BATS_TEST_TMPDIR/badcond.config"
	run "$CHECK" "$BATS_TEST_TMPDIR/nomods.config" "$BATS_TEST_TMPDIR/badcond.config"
	[ "$status" -eq 100 ]
}

@test "kconfig: kcc-node's merged config has every option of kernel-config/build and the fragments, no module" {
	run "$CHECK" --quiet "$TEST_IMAGE/kernel.config" "${FRAGMENTS[@]}" "$TOP"/kernel-config/build/*.config
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -q '=m$' "$TEST_IMAGE/kernel.config"
	grep -qx 'CONFIG_LSM="landlock,lockdown,yama,bpf"' "$TEST_IMAGE/kernel.config"
	# the build step's report next to the image says the same
	tail -n1 "$TEST_IMAGE/kernel-config.txt" | grep -q '0 required options not met$'
}

@test "kernel.sh: no path of the build machine in the kernel (its build id would change with the checkout)" {
	# the cached kernel (a warm run) and its ELF, which the bzImage's build id is computed over
	run "$TOP/image/kernel.sh" "$BATS_TEST_TMPDIR/k"
	[ "$status" -eq 0 ]
	vmlinux=$(readlink -f "$BATS_TEST_TMPDIR/k/vmlinux")
	obj=$(dirname "$vmlinux")
	src=$(ls -d "$(dirname "$obj")"/src-*)
	[ -d "$obj" ] && [ -d "$src" ]
	! grep -aqF "$obj" "$vmlinux"
	! grep -aqF "$src" "$vmlinux"
	# the debug information names the build directory and the source by fixed names instead
	grep -aqF /usr/src/linux-obj "$vmlinux"
	grep -aqF /usr/src/linux/kernel/ "$vmlinux"
}

@test "kernel.sh: a warm run takes the cached kernel (no build) and refuses a config with a module" {
	start=$(date +%s)
	run "$TOP/image/kernel.sh" "$BATS_TEST_TMPDIR/k"
	[ "$status" -eq 0 ]
	[[ "$output" != *"kernel: building"* ]]
	[ $(($(date +%s) - start)) -lt 20 ]
	cmp "$BATS_TEST_TMPDIR/k/vmlinuz" "$TEST_IMAGE/vmlinuz"
	cmp "$BATS_TEST_TMPDIR/k/kernel.config" "$TEST_IMAGE/kernel.config"
	# a fragment that asks for a module is refused before anything is compiled
	cp -R "$TOP/kernel-config" "$BATS_TEST_TMPDIR/kc"
	printf '# required: a module\nCONFIG_VIRTIO_BALLOON=m\n' >"$BATS_TEST_TMPDIR/kc/build/zz-module.config"
	mkdir -p "$BATS_TEST_TMPDIR/img"
	cp -R "$TOP/image/." "$BATS_TEST_TMPDIR/img/"
	ln -s "$BATS_TEST_TMPDIR/kc" "$BATS_TEST_TMPDIR/kernel-config"
	mkdir -p "$BATS_TEST_TMPDIR/cache"
	ln -s "$TOP"/build/kernel/src-* "$BATS_TEST_TMPDIR/cache/"
	KCC_KERNEL_CACHE=$BATS_TEST_TMPDIR/cache DEB_CACHE=$TOP/build/debs KCC_BIN=$TOP/build/bin \
		run "$BATS_TEST_TMPDIR/img/kernel.sh" --config-only "$BATS_TEST_TMPDIR/k2"
	echo "$output"
	[ "$status" -eq 100 ]
	[[ "$output" == *"CONFIG_VIRTIO_BALLOON=m"* ]]
	[[ "$output" == *"builds modules"* ]]
}

@test "kernel.sh: the source must be pinned, at the version of the pinned kernel image" {
	grep -v '^linux-source-' "$TOP/image/packages.lock" >"$BATS_TEST_TMPDIR/lock"
	KCC_PACKAGES_LOCK=$BATS_TEST_TMPDIR/lock run "$TOP/image/kernel.sh" "$BATS_TEST_TMPDIR/k"
	[ "$status" -eq 100 ]
	[[ "$output" == *"no kernel source (linux-source-*) pinned"* ]]
	sed 's/^\(linux-source-[^ ]*\) [^ ]*/\1 6.1.0-0/' "$TOP/image/packages.lock" >"$BATS_TEST_TMPDIR/lock"
	KCC_PACKAGES_LOCK=$BATS_TEST_TMPDIR/lock run "$TOP/image/kernel.sh" "$BATS_TEST_TMPDIR/k"
	[ "$status" -eq 100 ]
	[[ "$output" == *"is not the version of the pinned kernel image"* ]]
}
