#!/bin/sh
# First boot of the bench-compare reference image: LUKS2 on the var partition named in
# /etc/crypttab, its key enrolled by systemd-cryptenroll in the TPM (sealed to PCR 7, the
# systemd-cryptenroll default), the enrolment key wiped, then ext4 inside.
set -eu
k() { echo "kcc-reference: $*" >/dev/kmsg; }
src=$(awk '$1 == "var" {print $2}' /etc/crypttab)
case $src in PARTUUID=*) dev=/dev/disk/by-partuuid/${src#PARTUUID=} ;; *) k "FAIL provision: no var in /etc/crypttab"; exit 1 ;; esac
udevadm wait --timeout=60 "$dev"
umask 077
key=/run/kcc-reference-enrol.key
head -c 48 /dev/urandom | base64 -w0 >"$key"
cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$key" "$dev"
systemd-cryptenroll --unlock-key-file="$key" --tpm2-device=auto --tpm2-pcrs=7 \
	--wipe-slot=password "$dev"
rm -f "$key"
/lib/systemd/systemd-cryptsetup attach var "$dev" - tpm2-device=auto,headless=true
mkfs.ext4 -q -L var /dev/mapper/var
/lib/systemd/systemd-cryptsetup detach var
k "provisioned /var (LUKS2, TPM2 token)"
