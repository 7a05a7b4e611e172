#!/usr/bin/env bats
# kcc-update status / apply / rollback / cancel on a copy of the built test disk (docs/upgrades.md,
# "kcc-update"), with the test options that point the tool at files: --disk (the disk image),
# --esp-dir (its ESP, copied out with mtools), --cmdline, --os-release (the image's own), --run-dir.
# Refusals (wrong key, tampered manifest, a downgrade below the epoch, truncated or tampered
# payload, an unblessed boot) are one line with exit code 1; those decided on the signed manifest
# write nothing at all (the whole disk and the ESP compared), those found in the payload leave the
# running slot, the ESP's running entry and the state partition untouched and the other slot
# unbootable. A good bundle is staged in slot b, status shows it, a second apply writes nothing,
# cancel and rollback change what boots next.
load helper
load update-node

setup_file() {
	update_node_setup_file
}

setup() {
	update_node_setup
}

# fingerprint: the whole disk and every file of the ESP.
fingerprint() {
	sha256sum "$BATS_TEST_TMPDIR/disk.raw" | cut -d' ' -f1
	(cd "$BATS_TEST_TMPDIR/esp" && find . -type f | sort | xargs sha256sum)
}

# running: the running slot (root-a and root-a-verity), the state partition, the GPT entries of
# both, and the ESP's running entry.
running() {
	local disk=$BATS_TEST_TMPDIR/disk.raw
	sfdisk -d "$disk" | grep -E 'name="(root-a|root-a-verity|state)"'
	sfdisk -d "$disk" | awk -F'[=,]' '/name="(root-a|root-a-verity|state)"/ {print $2, $4}' |
		while read -r start size; do dd if="$disk" bs=512 skip="$start" count="$size" status=none | sha256sum; done
	sha256sum "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V1.efi" "$BATS_TEST_TMPDIR/esp/loader/credentials/kcc-pcrsig_$V1.cred"
}

# refused_nothing_written BUNDLE PATTERN [KEY]
refused_nothing_written() {
	local before
	before=$(fingerprint)
	run upd apply --key "${3:-$KEY}" "$1"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "kcc-update: apply: "*$2* ]]
	[ "$(fingerprint)" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/run/reboot-required" ]
}

@test "kcc-update status: the running slot a, blessed, and an empty slot b" {
	run upd status
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg v "$V1" --arg rh "$(cat "$I/roothash")" --argjson e "$EPOCH" '
		.running.slot == "a" and .running.version == $v and .running.roothash == $rh and
		.running.blessed == true and .running.security_epoch == $e and
		.other.slot == "b" and .other.state == "empty" and .staged_update == null and
		.reboot_required == false and .next_boot == $v'
	# a counted (not yet blessed) running entry: tries left shown, and apply refuses
	mv "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V1.efi" "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V1+2-1.efi"
	upd status | jq -e '.running.blessed == false and .running.tries_left == 2'
	run upd apply --key "$KEY" "$BATS_FILE_TMPDIR/v2.bundle"
	[ "$status" -eq 1 ]
	[[ "$output" == "kcc-update: apply: refused: the running boot ($V1) is not blessed yet"* ]]
}

@test "kcc-update apply: wrong key, tampered manifest, a downgrade below the epoch: one line, nothing written" {
	local b=$BATS_TEST_TMPDIR/t.bundle
	refused_nothing_written "$BATS_FILE_TMPDIR/v2.bundle" "bad signature" "$TOP/build/keys/update-signing-public-key.pem"
	cp "$BATS_FILE_TMPDIR/v2.bundle" "$b"
	printf 'X' | dd of="$b" bs=1 seek=40 conv=notrunc status=none
	refused_nothing_written "$b" "bad signature"
	refused_nothing_written "$BATS_FILE_TMPDIR/0.9.0.bundle" "security epoch $((EPOCH - 1)), below this node's $EPOCH: refused (downgrade)"
	head -c 100 "$BATS_FILE_TMPDIR/v2.bundle" >"$b"
	refused_nothing_written "$b" "truncated"
}

@test "kcc-update apply: a truncated or tampered payload is refused; the running slot and state are untouched, slot b is not bootable" {
	local b=$BATS_TEST_TMPDIR/t.bundle before
	before=$(running)
	head -c 5000000 "$BATS_FILE_TMPDIR/v2.bundle" >"$b"
	run upd apply --key "$KEY" "$b"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "kcc-update: apply: "*"truncated: the stream ends in part root.erofs"* ]]
	[ "$(running)" = "$before" ]
	upd status | jq -e '.other.state == "empty" and .reboot_required == false'
	sfdisk -d "$BATS_TEST_TMPDIR/disk.raw" | grep -c 'name="_empty", attrs="GUID:63"' | grep -qx 2
	cp "$BATS_FILE_TMPDIR/v2.bundle" "$b"
	printf 'X' | dd of="$b" bs=1 seek=3000000 conv=notrunc status=none
	run upd apply --key "$KEY" "$b"
	[ "$status" -eq 1 ]
	[[ "$output" == "kcc-update: apply: "*"does not match its hash"* ]]
	[ "$(running)" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/run/reboot-required" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR/esp/EFI/Linux" | grep -v "kcc-node_$V1.efi")" ]
}

@test "kcc-update apply: a good bundle is staged in slot b (also from a pipe), status shows it, twice is safe, cancel removes it" {
	local before
	before=$(running)
	run upd apply --key "$KEY" - <"$BATS_FILE_TMPDIR/v2.bundle"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[ "$(running)" = "$before" ]
	[ -f "$BATS_TEST_TMPDIR/run/reboot-required" ]
	[ -f "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+3.efi" ]
	cmp "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+3.efi" "$I/kcc-node.efi"
	cmp "$BATS_TEST_TMPDIR/esp/loader/credentials/kcc-pcrsig_$V2.cred" "$I/tpm2-pcr-signature.json"
	sfdisk -d "$BATS_TEST_TMPDIR/disk.raw" | grep -i "uuid=${RH2:0:8}-${RH2:8:4}-${RH2:12:4}-${RH2:16:4}-${RH2:20:12}, name=\"root-b\"$"
	sfdisk -d "$BATS_TEST_TMPDIR/disk.raw" | grep -i "uuid=${RH2:32:8}-${RH2:40:4}-${RH2:44:4}-${RH2:48:4}-${RH2:52:12}, name=\"root-b-verity\"$"
	start=$(sfdisk -d "$BATS_TEST_TMPDIR/disk.raw" | awk -F'[=,]' '/name="root-b"/ {print $2}')
	cmp -n "$(stat -c %s "$I/root.erofs")" "$I/root.erofs" <(dd if="$BATS_TEST_TMPDIR/disk.raw" bs=512 skip="$start" status=none)
	upd status | jq -e --arg v "$V2" '.other.state == "staged" and .other.version == $v and .other.tries_left == 3 and
		.staged_update == $v and .next_boot == $v and .reboot_required == true'
	# again: nothing written
	local fp
	fp=$(fingerprint)
	run upd apply --key "$KEY" "$BATS_FILE_TMPDIR/v2.bundle"
	[ "$status" -eq 0 ]
	[ "$output" = "apply: $V2 already staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[ "$(fingerprint)" = "$fp" ]
	# cancel: the entry goes, the slot is empty again, the sentinel goes
	run upd cancel
	[ "$status" -eq 0 ]
	[ "$output" = "cancel: the staged update $V2 is removed" ]
	upd status | jq -e '.other.state == "empty" and .staged_update == null and .reboot_required == false'
	[ ! -e "$BATS_TEST_TMPDIR/run/reboot-required" ]
	[ "$(running)" = "$before" ]
}

@test "kcc-update rollback: the other slot's installed version boots next; refused when there is none" {
	run upd rollback
	[ "$status" -eq 1 ]
	[[ "$output" == "kcc-update: rollback: refused: the other slot b holds no bootable version" ]]
	upd apply --key "$KEY" "$BATS_FILE_TMPDIR/v2.bundle"
	# a staged update boots next already; then, as if slot b held an older blessed version
	run upd rollback
	[ "$output" = "rollback: $V2 boots next already" ]
	rm "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V2+3.efi"
	printf 'uki' >"$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_0.5.0.efi"
	rm -f "$BATS_TEST_TMPDIR/run/reboot-required"
	upd status | jq -e '.other.version == "0.5.0" and .other.state == "installed" and .reboot_required == false'
	run upd rollback
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "rollback: 0.5.0 (slot b) boots after the next reboot" ]
	[ -f "$BATS_TEST_TMPDIR/esp/EFI/Linux/kcc-node_$V1+0-1.efi" ]
	upd status | jq -e '.next_boot == "0.5.0" and .reboot_required == true'
	[ -f "$BATS_TEST_TMPDIR/run/reboot-required" ]
}

@test "kcc-update apply: usage errors (https without a CA, no operand) exit 100" {
	run upd apply --key "$KEY" https://example.invalid/b
	[ "$status" -eq 100 ]
	[[ "$output" == *"https needs a CA (update.ca of the node configuration)"* ]]
	run upd apply
	[ "$status" -eq 100 ]
}

@test "kcc-update apply http://: the bundle streamed from an HTTP server; a 404 is one line" {
	local port pid
	port=$((20000 + RANDOM % 20000))
	python3 -m http.server --bind 127.0.0.1 --directory "$BATS_FILE_TMPDIR" "$port" >/dev/null 2>&1 &
	pid=$!
	# wait until it answers (no fixed sleep)
	for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/cmdline" && break; sleep 0.1; done
	run upd apply --key "$KEY" "http://127.0.0.1:$port/v2.bundle"
	run2=$output st2=$status
	run upd apply --key "$KEY" "http://127.0.0.1:$port/nothing.bundle"
	kill "$pid"
	echo "$run2"
	[ "$st2" -eq 0 ]
	[ "$run2" = "apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[ "$status" -eq 111 ]
	[[ "$output" == "kcc-update: http://127.0.0.1:$port/nothing.bundle: HTTP status 404" ]]
}

@test "kcc-update serve: status and apply through the socket (mode 0600, root peers only); a bad request is answered 100" {
	# a directory other users can enter (bats' own are 0700), so that the socket's mode is tested
	local sockdir pid sock
	sockdir=$(mktemp -d)
	chmod 755 "$sockdir"
	sock=$sockdir/update.sock
	"$UPD" serve --key "$KEY" --socket="$sock" "${NODE[@]}" 2>"$BATS_TEST_TMPDIR/serve.log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ "$(stat -c %a "$sock")" = 600 ]
	run "$UPD" status --socket="$sock"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.other.state == "empty"'
	run "$UPD" apply --socket="$sock" "$BATS_FILE_TMPDIR/v2.bundle"
	s1=$status o1=$output
	run "$UPD" apply --socket="$sock" "$BATS_FILE_TMPDIR/0.9.0.bundle"
	s2=$status o2=$output
	# not root: the mode refuses the connect; with the mode opened, the peer check refuses
	run setpriv --reuid=1000 --regid=1000 --clear-groups "$UPD" status --socket="$sock"
	s3=$status o3=$output
	chmod 666 "$sock"
	run setpriv --reuid=1000 --regid=1000 --clear-groups "$UPD" status --socket="$sock"
	s4=$status o4=$output
	bad=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); print(s.recv(200).decode().strip())' "$sock")
	kill "$pid"
	rm -rf "$sockdir"
	echo "$o1 / $o2 / $bad"
	[ "$s1" -eq 0 ]
	[ "$o1" = "apply: $V2 staged in slot b (root hash $RH2); it boots after the next reboot" ]
	[ "$s2" -eq 1 ]
	[[ "$o2" == "kcc-update: apply: "*"below this node's $EPOCH: refused (downgrade)" ]]
	[[ "$bad" == "100 bad request"* ]]
	echo "$o3 / $o4"
	[ "$s3" -eq 111 ]
	[[ "$o3" == *"Permission denied"* ]]
	[ "$s4" -eq 1 ]
	[ "$o4" = "kcc-update: refused: only root may use the update socket" ]
	[ -f "$BATS_TEST_TMPDIR/run/reboot-required" ]
	grep -q "kcc-update serve: apply: $V2 staged in slot b" "$BATS_TEST_TMPDIR/serve.log"
}
