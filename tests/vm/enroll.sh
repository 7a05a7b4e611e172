#!/usr/bin/env bash
# enroll.sh IMAGE_DIR: prints the path of an OVMF variable store with our development Secure Boot
# keys (PK, KEK, db from build/keys or $KCC_KEYS) enrolled, making it on first use. OVMF in setup
# mode boots a small unsigned enrollment UKI (busybox) that writes the signed updates to efivarfs.
# Exit codes: 0 ok, 100 usage, 111 enrollment failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=${1:?usage: enroll.sh IMAGE_DIR}
keys=${KCC_KEYS:-$top/build/keys}
[ -f "$keys/PK.auth" ] || { echo "enroll: no keys in $keys; build an image first" >&2; exit 100; }
cache=$top/build/ovmf
mkdir -p "$cache"
vars=$cache/vars-$(cat "$keys/PK.crt" "$keys/KEK.crt" "$keys/db.crt" | sha256sum | cut -c1-16).fd
[ -f "$vars" ] && { echo "$vars"; exit 0; }

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/root/sb" "$t/root/bin"
for k in PK KEK db; do
	{ printf '\x27\x00\x00\x00'; cat "$keys/$k.auth"; } >"$t/root/sb/$k.var"
done
deb=$("$top/image/fetch-debs.sh" "$top/build/debs" busybox-static)
dpkg-deb -x "$deb" "$t/bb"
kdeb=$("$top/image/fetch-debs.sh" "$top/build/debs" "$(awk '/^linux-image-/ {print $1}' "$top/image/packages.lock")")
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$t" --wildcards --no-anchored 'efivarfs.ko'
efi_ko=$(find "$t/lib" -name efivarfs.ko | head -n1)
[ -n "$efi_ko" ] || { echo "enroll: no efivarfs.ko in the kernel package" >&2; exit 111; }
cat >"$t/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox insmod /efivarfs.ko
/bin/busybox mount -t efivarfs efivarfs /sys/firmware/efi/efivars
EV=/sys/firmware/efi/efivars
/bin/busybox dd if=/sb/db.var of=$EV/db-d719b2cb-3d3a-4596-a3bc-dad00e67656f bs=65536 2>/dev/null &&
/bin/busybox dd if=/sb/KEK.var of=$EV/KEK-8be4df61-93ca-11d2-aa0d-00e098032b8c bs=65536 2>/dev/null &&
/bin/busybox dd if=/sb/PK.var of=$EV/PK-8be4df61-93ca-11d2-aa0d-00e098032b8c bs=65536 2>/dev/null &&
echo "ENROLL: OK"
/bin/busybox poweroff -f
INIT
{
	echo "dir bin 755"; echo "dir sb 755"; echo "dir dev 755"
	echo "nod dev/console 600 c 5 1"
	echo "file init 755 $t/root/init"
	echo "file bin/busybox 755 $t/bb/bin/busybox"
	echo "file efivarfs.ko 644 $efi_ko"
	for k in PK KEK db; do echo "file sb/$k.var 644 $t/root/sb/$k.var"; done
} | "$top/build/bin/mkcpio" >"$t/initrd.cpio"
echo "console=ttyS0 panic=-1" >"$t/cmdline"
echo 'ID=kcc-enroll' >"$t/osrel"
SOURCE_DATE_EPOCH=0 "$top/image/mkuki.sh" "$image/vmlinuz" "$t/initrd.cpio" "$t/cmdline" "$t/osrel" "$t/enroll.efi"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$t/vars.fd"
timeout 120 qemu-system-x86_64 -accel tcg -machine q35,smm=on -m 512 -no-reboot -net none \
	-global driver=cfi.pflash01,property=secure,value=on \
	-drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on \
	-drive if=pflash,format=raw,unit=1,file="$t/vars.fd" -display none -monitor none \
	-serial file:"$t/enroll.log" -kernel "$t/enroll.efi" || true
grep -q 'ENROLL: OK' "$t/enroll.log" || { echo "enroll: enrollment failed:" >&2; tail -20 "$t/enroll.log" >&2; exit 111; }
mv "$t/vars.fd" "$vars"
echo "$vars"
