#!/usr/bin/env bash
# recovery-open.sh [--test] VOLUME PRIVATE-KEY [NAME]: opens a kcc-node state volume with the
# operator's recovery key, offline, on a rescue machine (docs/measured-boot.md, "Recovery key").
#   VOLUME       the state partition (a block device, or an image file of it)
#   PRIVATE-KEY  the operator's private key (PEM, RSA or EC) whose public half the image carried
#   NAME         the device-mapper name (default kcc-state-recovery: /dev/mapper/NAME)
#   --test       only check that the key opens the recovery keyslot; nothing is activated
# The recovery passphrase goes from `openssl cms -decrypt` straight into cryptsetup's standard
# input: it is never printed nor written to a file.
# Needs cryptsetup (2.4 or later), openssl, jq, base64. Exit codes: 0 opened (or, with --test,
# the key opens it), 1 refused (the key does not decrypt the envelope or the passphrase opens no
# keyslot), 100 usage or no recovery token, 111 a tool is missing or failed.
set -euo pipefail
usage() { echo "recovery-open: $*" >&2; exit 100; }
test_only=0
[ "${1:-}" = --test ] && { test_only=1; shift; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage "usage: recovery-open.sh [--test] VOLUME PRIVATE-KEY [NAME]"
vol=$1 key=$2 name=${3:-kcc-state-recovery}
for t in cryptsetup openssl jq base64; do
	command -v $t >/dev/null || { echo "recovery-open: $t is missing" >&2; exit 111; }
done
[ -r "$vol" ] || usage "$vol: cannot read it"
[ -r "$key" ] || usage "$key: cannot read it"
meta=$(cryptsetup luksDump --dump-json-metadata "$vol" 2>/dev/null) || usage "$vol: no LUKS2 header"
id=$(jq -r '[.tokens | to_entries[] | select(.value.type == "kcc-recovery") | .key][0] // empty' <<<"$meta")
[ -n "$id" ] || usage "$vol has no kcc-recovery token (provisioned without a recovery key)"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cryptsetup token export --token-id "$id" "$vol" | jq -r '."kcc-cms"' | base64 -d >"$tmp/envelope.der" ||
	{ echo "recovery-open: token $id of $vol has no readable envelope" >&2; exit 111; }
open=(cryptsetup open --type luks2 --key-file - "$vol" "$name")
[ $test_only -eq 1 ] && open=(cryptsetup open --type luks2 --test-passphrase --key-file - "$vol")
# pipefail: a key that does not decrypt the envelope fails the pipe, as does a wrong passphrase.
if openssl cms -decrypt -binary -inform DER -in "$tmp/envelope.der" -inkey "$key" 2>"$tmp/openssl.err" |
	"${open[@]}"; then
	[ $test_only -eq 1 ] && echo "recovery-open: the key opens the recovery keyslot of $vol" ||
		echo "recovery-open: $vol is open as /dev/mapper/$name"
	exit 0
fi
echo "recovery-open: refused: this key does not open $vol ($(head -1 "$tmp/openssl.err"))" >&2
exit 1
