#!/usr/bin/env bats
# kcc-pcr's security epoch against swtpm on the host (docs/measured-boot.md, "Security epoch"):
# sign --epoch, seal --signature, epoch, raise-epoch, and a "reboot" (swtpm restarted on the same
# state: PCRs back at zero, NV kept) after which an older image is refused.
load helper

PCR=$TOP/build/bin/kcc-pcr
CMDLINE="console=ttyS0 kcc.roothash=00"

setup_file() {
	S=$BATS_FILE_TMPDIR
	swtpm_start "$S"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$S/k.pem" 2>/dev/null
	openssl pkey -in "$S/k.pem" -pubout -out "$S/k.pub"
	head -c 64 /dev/urandom >"$S/secret"
	for e in 1 2; do
		"$PCR" sign --direct-cmdline "$CMDLINE" --epoch $e --private-key "$S/k.pem" \
			--public-key "$S/k.pub" >"$S/sig$e.json"
	done
}

teardown_file() {
	swtpm_stop "$BATS_FILE_TMPDIR"
}

setup() {
	swtpm_use
}

# What kcc-init extends on a direct boot up to PHASE.
boot_to() {
	"$PCR" extend 11 --sha256 "$(printf '.cmdline\0' | sha256sum | cut -c1-64)"
	"$PCR" extend 11 "$CMDLINE"
	for p in enter-initrd leave-initrd sysinit ready; do
		"$PCR" extend 11 $p
		[ "$p" != "$1" ] || return 0
	done
}

# raise N|own LIMIT E: the bless path's call, by the image of epoch E.
raise() {
	run "$PCR" raise-epoch "$1" --limit "$2" --public-key "$S/k.pub" --signature "$S/sig$3.json"
}

reboot_tpm() {
	kill "$(cat "$S/swtpm.pid")"
	while [ -S "$S/sock" ] && kill -0 "$(cat "$S/swtpm.pid")" 2>/dev/null; do sleep 0.1; done
	rm -f "$S/sock"
	swtpm_start "$S"
}

@test "kcc-pcr sign --epoch: the systemd-measure entry unchanged, plus the epoch's approval and its write approvals" {
	"$PCR" sign --direct-cmdline "$CMDLINE" --private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/plain.json"
	[ "$(jq -c '.sha256[0]' "$S/plain.json")" = "$(jq -c '.sha256[0]' "$S/sig1.json")" ]
	jq -e '.sha256 | length == 2' "$S/sig1.json"
	jq -e '.sha256[1]."kcc-epoch" == 1 and .sha256[1].pcrs == [11]' "$S/sig1.json"
	jq -e '.sha256[1].pol != .sha256[0].pol' "$S/sig1.json"
	# The write approval at `ready` and the provisioning's bit-less first write (no PCRs).
	jq -e '."kcc-epoch-write" | length == 2 and .[0].pcrs == [] and .[1].pcrs == [11]' "$S/sig1.json"
	# Same epoch, same key and command line: the same policy digests (reproducible).
	"$PCR" sign --direct-cmdline "$CMDLINE" --epoch 1 --private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/again.json"
	[ "$(jq -c '[.sha256[].pol, ."kcc-epoch-write"[].pol]' "$S/again.json")" = \
	  "$(jq -c '[.sha256[].pol, ."kcc-epoch-write"[].pol]' "$S/sig1.json")" ]
	# --value: no phase to predict, so no write approval at ready (the first write needs no PCR).
	"$PCR" sign --value "$(printf '%064d' 0)" --epoch 3 --private-key "$S/k.pem" --public-key "$S/k.pub" >"$S/value.json"
	jq -e '(."kcc-epoch-write" | length == 1 and .[0].pcrs == []) and .sha256[1]."kcc-epoch" == 3' "$S/value.json"
}

@test "kcc-pcr sign --epoch, raise-epoch: bad input is exit 100 with one line" {
	run "$PCR" sign --direct-cmdline x --epoch 64 --private-key "$S/k.pem" --public-key "$S/k.pub"
	[ "$status" -eq 100 ]
	[[ "$output" == *"--epoch takes 0..63"* ]]
	run "$PCR" sign --direct-cmdline x --epoch -1 --private-key "$S/k.pem" --public-key "$S/k.pub"
	[ "$status" -eq 100 ]
	run "$PCR" raise-epoch 2 --public-key "$S/k.pub" --signature "$S/sig2.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"usage: kcc-pcr raise-epoch N|own --limit L"* ]]
	run "$PCR" raise-epoch x --limit 2 --public-key "$S/k.pub" --signature "$S/sig2.json"
	[ "$status" -eq 100 ]
	[[ "$output" == *"'x' is not a security epoch"* ]]
	run "$PCR" epoch extra
	[ "$status" -eq 100 ]
}

@test "kcc-pcr seal --signature, raise-epoch at ready, then an older image is refused and the newer unseals" {
	run "$PCR" epoch
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not defined"* ]]
	boot_to enter-initrd
	"$PCR" seal --public-key "$S/k.pub" --signature "$S/sig1.json" <"$S/secret" >"$S/sealed.json"
	jq -e '."kcc-policy-ref" == "kcc-node/pcr-policy/v3" and has("kcc-epoch-nv") and has("kcc-epoch-nv-tr")' "$S/sealed.json"
	[ "$("$PCR" epoch | jq -c .)" = '{"nv_index":"0x01000cc0","bits":"0x0000000000000000","epoch":0}' ]
	"$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig1.json" <"$S/sealed.json" | cmp - "$S/secret"
	# In the initrd no write approval matches: refused, nothing written.
	raise 1 2 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"only a running image, at phase ready, may raise the security epoch"* ]]
	"$PCR" extend 11 leave-initrd
	"$PCR" extend 11 sysinit
	"$PCR" extend 11 ready
	# Above the limit (the lowest epoch installed) or the image's own epoch: refused.
	raise 2 1 2
	[ "$status" -eq 1 ] && [[ "$output" == *"above the limit 1"* ]]
	raise 2 2 1
	[ "$status" -eq 1 ] && [[ "$output" == *"above this image's own (1)"* ]]
	[ "$("$PCR" epoch | jq -r .epoch)" = 0 ]
	# The epoch-2 image, blessed, raises to its own epoch (2); again: nothing to write.
	raise own 2 2
	[ "$status" -eq 0 ] && [[ "$output" == *"raised to 2"* ]]
	raise 2 2 2
	[ "$status" -eq 0 ] && [[ "$output" == *"at security epoch 2 or above already"* ]]
	[ "$("$PCR" epoch | jq -c .)" = '{"nv_index":"0x01000cc0","bits":"0x0000000000000006","epoch":2}' ]
	reboot_tpm
	boot_to enter-initrd
	run "$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig1.json" <"$S/sealed.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"this image's security epoch 1 is below the node's 2"* ]]
	run "$PCR" unseal --any-entry --public-key "$S/k.pub" --signature "$S/sig1.json" <"$S/sealed.json"
	[ "$status" -eq 1 ]
	"$PCR" unseal --public-key "$S/k.pub" --signature "$S/sig2.json" <"$S/sealed.json" | cmp - "$S/secret"
}
