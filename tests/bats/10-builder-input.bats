#!/usr/bin/env bats
# image/build.sh and its helpers refuse bad input with a clear line and exit code 100.
load helper

@test "build: unknown option is a usage error" {
	run "$BUILD" --colour blue
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown option '--colour'"* ]]
}

@test "build: a variant other than prod or test is refused" {
	run "$BUILD" --variant debug --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"--variant must be prod or test, not 'debug'"* ]]
}

@test "build: --out is required" {
	run "$BUILD" --variant prod
	[ "$status" -eq 100 ]
	[[ "$output" == *"--out DIR is required"* ]]
}

@test "build: --test-cmdline is for test images only, and only plain words" {
	run "$BUILD" --variant prod --out "$BATS_TEST_TMPDIR/o" --test-cmdline "kcc_test.unready=kcc-kubelet"
	[ "$status" -eq 100 ]
	[[ "$output" == *"--test-cmdline is for test images only"* ]]
	for bad in 'a;reboot' 'a  b' ' a' 'init=/bin/sh"'; do
		run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o" --test-cmdline "$bad"
		[ "$status" -eq 100 ]
		[[ "$output" == *"words of A-Z a-z 0-9 _ . = , - separated by one space"* ]]
	done
	[ ! -e "$BATS_TEST_TMPDIR/o" ]
}

@test "build: --kubelet (upstream mode) must name a readable ELF executable" {
	run "$BUILD" --variant prod --out "$BATS_TEST_TMPDIR/o" --kubelet /nonexistent/kubelet
	[ "$status" -eq 100 ]
	[[ "$output" == *"--kubelet /nonexistent/kubelet: no such readable file"* ]]
	printf '#!/bin/sh\necho fake\n' >"$BATS_TEST_TMPDIR/kubelet"
	run "$BUILD" --variant prod --out "$BATS_TEST_TMPDIR/o" --kubelet "$BATS_TEST_TMPDIR/kubelet"
	[ "$status" -eq 100 ]
	[[ "$output" == *"not an ELF executable"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/o/disk.raw" ]
}

@test "build: --next-pcr-keys must hold the next public keys, none of them this image's own" {
	mkdir -p "$BATS_TEST_TMPDIR/none"
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o" --next-pcr-keys "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 100 ]
	[[ "$output" == *"no PCR public key $BATS_TEST_TMPDIR/none/tpm2-pcr-test-public-key.pem (--next-pcr-keys/--prev-pcr-keys)"* ]]
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o" --next-pcr-keys "$TOP/build/keys"
	[ "$status" -eq 100 ]
	[[ "$output" == *"--next-pcr-keys: a next key is this image's own signing key"* ]]
	run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o" --prev-pcr-keys /nonexistent
	[ "$status" -eq 100 ]
	[[ "$output" == *"--prev-pcr-keys needs a folder"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/o/disk.raw" ]
}

@test "build: a missing overlay is refused" {
	mkdir -p "$BATS_TEST_TMPDIR/ov/test"
	KCC_OVERLAYS=$BATS_TEST_TMPDIR/ov run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"overlay $BATS_TEST_TMPDIR/ov/common is missing"* ]]
}

@test "build: an overlay with a bad service file is refused, naming file and line" {
	overlay_copy "$BATS_TEST_TMPDIR/ov"
	printf 'exec = /bin/true\nrestart = sometimes\n' >"$BATS_TEST_TMPDIR/ov/test/etc/kcc/services/bad.conf"
	KCC_OVERLAYS=$BATS_TEST_TMPDIR/ov run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad.conf: line 2: restart= 'sometimes' is not always, on-failure or never"* ]]
	[[ "$output" == *"the overlays' service files are invalid"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/o/disk.raw" ]
}

@test "build: a dependency on a service that does not exist is refused" {
	overlay_copy "$BATS_TEST_TMPDIR/ov"
	printf 'exec = /bin/true\nafter = ghost\n' >"$BATS_TEST_TMPDIR/ov/test/etc/kcc/services/lonely.conf"
	KCC_OVERLAYS=$BATS_TEST_TMPDIR/ov run "$BUILD" --variant test --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"Service lonely: after=ghost names no service"* ]]
}

@test "build: a package lock without a kernel is refused" {
	grep -v '^linux-image-' "$TOP/image/packages.lock" >"$BATS_TEST_TMPDIR/lock"
	KCC_PACKAGES_LOCK=$BATS_TEST_TMPDIR/lock run "$BUILD" --variant prod --out "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 100 ]
	[[ "$output" == *"no kernel (linux-image-*) pinned"* ]]
}

@test "build: an unknown package is refused" {
	cp "$TOP/image/packages.lock" "$BATS_TEST_TMPDIR/lock"
	echo "kcc-no-such-package 1.0 0000" >>"$BATS_TEST_TMPDIR/lock"
	KCC_PACKAGES_LOCK=$BATS_TEST_TMPDIR/lock run "$TOP/image/fetch-debs.sh" "$BATS_TEST_TMPDIR/c" kcc-no-such-package
	[ "$status" -eq 100 ]
	[[ "$output" == *"unknown package 'kcc-no-such-package'"* ]]
}

@test "build: a package that is not pinned is refused" {
	run "$TOP/image/fetch-debs.sh" "$BATS_TEST_TMPDIR/c" bash
	[ "$status" -eq 100 ]
	[[ "$output" == *"package 'bash' is not pinned"* ]]
}

@test "build: a .deb whose checksum differs from the pin is refused" {
	mkdir -p "$BATS_TEST_TMPDIR/c"
	read -r name ver _ < <(grep '^libuuid1 ' "$TOP/image/packages.lock")
	echo "not a deb" >"$BATS_TEST_TMPDIR/c/${name}_${ver//:/%3a}_amd64.deb"
	run "$TOP/image/fetch-debs.sh" "$BATS_TEST_TMPDIR/c" "$name"
	[ "$status" -eq 111 ]
	[[ "$output" == *"does not have the pinned sha256"* ]]
}

@test "mkcpio: refuses bad lines and paths with exit 100" {
	run bash -c "echo 'file ../etc/passwd 644 /etc/passwd' | '$TOP/build/bin/mkcpio' >/dev/null"
	[ "$status" -eq 100 ]
	[[ "$output" == *"bad path"* ]]
	run bash -c "echo 'dir x 9999' | '$TOP/build/bin/mkcpio' >/dev/null"
	[ "$status" -eq 100 ]
	run bash -c "printf 'dir a 755\ndir a 755\n' | '$TOP/build/bin/mkcpio' >/dev/null"
	[ "$status" -eq 100 ]
	[[ "$output" == *"duplicate path a"* ]]
}

@test "mkcpio: writes a newc archive that cpio reads back" {
	echo hello >"$BATS_TEST_TMPDIR/f"
	printf 'dir d 755\nfile d/f 600 %s\nslink l d/f\nnod dev/null 666 c 1 3\n' "$BATS_TEST_TMPDIR/f" |
		SOURCE_DATE_EPOCH=1000 "$TOP/build/bin/mkcpio" >"$BATS_TEST_TMPDIR/a.cpio"
	run cpio -itv --quiet <"$BATS_TEST_TMPDIR/a.cpio"
	[ "$status" -eq 0 ]
	[[ "$output" == *"drwxr-xr-x"*"root"*"d"* ]]
	[[ "$output" == *"-rw-------"*"6"*"d/f"* ]]
	[[ "$output" == *"crw-rw-rw-"*"dev/null"* ]]
	[[ "$output" == *"l -> d/f"* ]]
}

@test "kcc-init check-services: accepts the test overlay, exit 100 on usage" {
	run "$TOP/build/bin/kcc-init" check-services "$TOP/overlays/test/etc/kcc/services"
	[ "$status" -eq 0 ]
	n=$(ls "$TOP"/overlays/test/etc/kcc/services/*.conf | wc -l)
	[ "$n" -ge 5 ]
	[[ "$output" == "$n service files are valid" ]]
	run "$TOP/build/bin/kcc-init"
	[ "$status" -eq 100 ]
}

@test "kcc-ctl: usage error is exit 100, no PID 1 to reach is exit 111" {
	run "$TOP/build/bin/kcc-ctl"
	[ "$status" -eq 100 ]
	run "$TOP/build/bin/kcc-ctl" halt
	[ "$status" -eq 100 ]
	if [ ! -S /run/kcc/control ]; then
		run "$TOP/build/bin/kcc-ctl" status
		[ "$status" -eq 111 ]
		[[ "$output" == *"cannot reach PID 1"* ]]
	fi
}
