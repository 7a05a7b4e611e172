# Shared by the kcc-update BATS tests: a copy of the built test disk as a node (its ESP copied
# out, the running entry blessed) and bundles of other versions signed with the test key.
UPD=$TOP/build/bin/kcc-update
MKB=$TOP/build/bin/mkbundle

update_node_setup_file() {
	local d=$BATS_FILE_TMPDIR
	I=$TEST_IMAGE
	[ -f "$I/disk.raw" ]
	V1=$(jq -r .version "$I/manifest.json")
	EPOCH=$(jq -r .security_epoch "$I/manifest.json")
	[ "$EPOCH" -ge 1 ] # the downgrade case needs an epoch below it
	fsck.erofs --extract="$d/root" "$I/root.erofs" >/dev/null
	# v2: the same parts under another version and root hash, signed with the test key
	RH2=$(printf 'v2' | sha256sum | cut -c1-64)
	# a version the loader orders after the image's own (whatever the builder's default gave it)
	V2=$V1.2
	for v in $V2:$EPOCH:$RH2 0.9.0:$((EPOCH - 1)):$(printf 'v0' | sha256sum | cut -c1-64); do
		IFS=: read -r ver ep rh <<<"$v"
		"$MKB" --key "$TOP/build/keys/update-signing-test-private-key.pem" --version "$ver" --epoch "$ep" \
			--variant test --roothash "$rh" --out "$d/$([ "$ver" = "$V2" ] && echo v2 || echo "$ver").bundle" \
			"$I/root.erofs" "$I/root.verity" "$I/kcc-node.efi" "$I/tpm2-pcr-signature.json"
	done
	echo "kcc.roothash=$(cat "$I/roothash") console=ttyS0" >"$d/cmdline"
	export I V1 V2 EPOCH RH2 KEY=$d/root/usr/lib/kcc/update-key.pem
}

update_node_setup() {
	local t=$BATS_TEST_TMPDIR
	cp --sparse=always "$I/disk.raw" "$t/disk.raw"
	mkdir "$t/esp" "$t/run"
	MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$t/disk.raw@@1M" ::/EFI ::/loader "$t/esp/"
	# as the running node's PID 1 would have done: the running entry blessed
	mv "$t/esp/EFI/Linux/kcc-node_$V1+3.efi" "$t/esp/EFI/Linux/kcc-node_$V1.efi"
	NODE=(--disk "$t/disk.raw" --esp-dir "$t/esp" --cmdline "$BATS_FILE_TMPDIR/cmdline"
		--os-release "$BATS_FILE_TMPDIR/root/usr/lib/os-release" --run-dir "$t/run")
}

upd() {
	"$UPD" "$1" "${NODE[@]}" "${@:2}"
}

# init_standin: INIT, the pid of a PID 1 stand-in that records each SIGRTMIN+5 (kured's reboot
# signal) it gets in $BATS_TEST_TMPDIR/rebooted (kill it in teardown)
init_standin() {
	bash -c "trap 'echo reboot >>$BATS_TEST_TMPDIR/rebooted' RTMIN+5; while :; do sleep 0.05; done" &
	INIT=$!
}

# wait_rebooted N [TENTHS]: the PID 1 stand-in got N signals (within TENTHS/10 s, default 5 s)
wait_rebooted() {
	for _ in $(seq "${2:-100}"); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/rebooted" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# booted_v2: the node as it is after the reboot into v2, blessed by its PID 1
booted_v2() {
	local t=$BATS_TEST_TMPDIR
	echo "kcc.roothash=$RH2 console=ttyS0" >"$t/cmdline"
	sed "s/^IMAGE_VERSION=.*/IMAGE_VERSION=$V2/" "$BATS_FILE_TMPDIR/root/usr/lib/os-release" >"$t/os-release"
	mv "$t/esp/EFI/Linux/kcc-node_$V2+3.efi" "$t/esp/EFI/Linux/kcc-node_$V2.efi"
	rm -f "$t/run/reboot-required"
	NODE=(--disk "$t/disk.raw" --esp-dir "$t/esp" --cmdline "$t/cmdline" --os-release "$t/os-release" --run-dir "$t/run")
}

