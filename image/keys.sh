#!/usr/bin/env bash
# keys.sh KEYDIR: creates the development keys on first use: Secure Boot (PK, KEK, db, with their
# EFI signature lists and signed .auth updates for enrollment) and the RSA keys that sign PCR
# policies, one pair per variant and boot path: tpm2-pcr-* (production UKIs), tpm2-pcr-direct-*
# (production direct kernel boots), tpm2-pcr-test-* and tpm2-pcr-direct-test-* (test images: a test
# image keeps every capability and has fault hooks, so nothing it is signed with may approve a
# production node's state key). Each is separate, so no policy of one unseals a disk provisioned
# under another (the token pins the key's fingerprint); the Ed25519 keys that sign update bundles,
# update-signing-* and update-signing-test-*; the RSA keys that sign the attestation reference
# values next to each image (docs/attestation.md), reference-values-* and
# reference-values-test-* (RSA PKCS#1 v1.5: deterministic, so builds stay byte-identical). Never committed;
# production keys are passed in by path (build.sh --keys DIR). Exit codes: 0 ok, 111 failed.
set -euo pipefail
dir=$1
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
# rsa_pair NAME WHAT: NAME-{private,public}-key.pem, RSA 2048, unless they exist.
rsa_pair() {
	[ ! -f "$1-private-key.pem" ] || return 0
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1-private-key.pem" 2>/dev/null
	openssl pkey -in "$1-private-key.pem" -pubout -out "$1-public-key.pem"
	chmod 600 "$1-private-key.pem"
	echo "keys: created $2 $1 in $dir (never commit it)" >&2
}
for k in tpm2-pcr tpm2-pcr-direct tpm2-pcr-test tpm2-pcr-direct-test; do
	rsa_pair $k "PCR signing key"
done
# The update-signing keys (Ed25519, docs/upgrades.md): update-signing for production bundles,
# update-signing-test for test images.
for k in update-signing update-signing-test; do
	if [ ! -f $k-private-key.pem ]; then
		openssl genpkey -algorithm ED25519 -out $k-private-key.pem 2>/dev/null
		openssl pkey -in $k-private-key.pem -pubout -out $k-public-key.pem
		chmod 600 $k-private-key.pem
		echo "keys: created update-signing key $k in $dir (never commit it)" >&2
	fi
done
for k in reference-values reference-values-test; do
	rsa_pair $k "reference-values signing key"
done
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
