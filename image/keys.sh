#!/usr/bin/env bash
# keys.sh KEYDIR: creates the development Secure Boot keys (PK, KEK, db) on first use, with their
# EFI signature lists and signed .auth updates for enrollment. Never committed; production keys are
# passed in by path (make image KEYS=/path). Exit codes: 0 ok, 111 openssl or efitools failed.
set -euo pipefail
dir=$1
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
[ -f db.key ] && [ -f db.crt ] && [ -f PK.auth ] && exit 0
[ -f guid ] || cat /proc/sys/kernel/random/uuid >guid
guid=$(cat guid)
for k in PK KEK db; do
	[ -f $k.key ] || openssl req -new -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-subj "/CN=kcc-node development $k/" -keyout $k.key -out $k.crt 2>/dev/null
	cert-to-efi-sig-list -g "$guid" $k.crt $k.esl >/dev/null
done
sign-efi-sig-list -g "$guid" -k PK.key -c PK.crt PK PK.esl PK.auth >/dev/null
sign-efi-sig-list -g "$guid" -k PK.key -c PK.crt KEK KEK.esl KEK.auth >/dev/null
sign-efi-sig-list -g "$guid" -k KEK.key -c KEK.crt db db.esl db.auth >/dev/null
chmod 600 ./*.key
echo "keys: created development Secure Boot keys in $dir (never commit them)" >&2
