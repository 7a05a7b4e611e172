#!/usr/bin/env bash
# mkuki.sh VMLINUZ INITRD CMDLINE OSREL OUT [PCRPKEY [PCRSIG]]: a Unified Kernel Image from
# systemd's EFI stub. The stub measures .linux, .osrel, .cmdline, .initrd and .pcrpkey into PCR 11
# (never .pcrsig, which holds the signature of that very value), passes .pcrpkey and .pcrsig to the
# initrd in /.extra, and under Secure Boot ignores command-line overrides. Section addresses are
# fixed; the stub must end below them.
# Exit codes: 0 ok, 100 bad input, 111 objcopy failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 5 ] && [ $# -le 7 ] || bad_input "usage: mkuki.sh VMLINUZ INITRD CMDLINE OSREL OUT [PCRPKEY [PCRSIG]]"
extra=()
if [ $# -ge 6 ]; then
	[ -s "$6" ] || bad_input "PCR public key $6 is missing or empty"
	extra+=(--add-section .pcrpkey="$6" --change-section-vma .pcrpkey=0x50000)
fi
if [ $# -ge 7 ]; then
	[ -s "$7" ] || bad_input "PCR signature $7 is missing or empty"
	extra+=(--add-section .pcrsig="$7" --change-section-vma .pcrsig=0x40000)
fi
stub=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
[ -f "$stub" ] || bad_input "no EFI stub at $stub (package systemd-boot-efi)"
for f in "$1" "$2" "$3" "$4"; do [ -s "$f" ] || bad_input "UKI input $f is missing or empty"; done
# The end of the stub's last section must stay below .osrel at 0x20000.
end=0
while read -r _ name size vma _; do
	case $name in .*) [ $((0x$vma + 0x$size)) -gt "$end" ] && end=$((0x$vma + 0x$size)) ;; esac
done < <(objdump -h "$stub" | grep -E '^ +[0-9]+ ')
[ "$end" -lt $((0x20000)) ] || die "the EFI stub ends at $end, above .osrel at 0x20000"
ksize=$(stat -c %s "$1")
[ "$ksize" -lt $((0x1000000)) ] || bad_input "kernel larger than 16 MiB does not fit below .initrd"
rm -f "$5"
objcopy \
	--add-section .osrel="$4" --change-section-vma .osrel=0x20000 \
	--add-section .cmdline="$3" --change-section-vma .cmdline=0x30000 \
	--add-section .linux="$1" --change-section-vma .linux=0x2000000 \
	--add-section .initrd="$2" --change-section-vma .initrd=0x3000000 \
	"${extra[@]}" "$stub" "$5" || die "objcopy failed"
# objcopy stamps the PE header with the current time; use SOURCE_DATE_EPOCH instead.
pe=$(od -An -tu4 -j60 -N4 "$5" | tr -d ' ')
printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((SOURCE_DATE_EPOCH & 255)) $(((SOURCE_DATE_EPOCH >> 8) & 255)) $(((SOURCE_DATE_EPOCH >> 16) & 255)) $(((SOURCE_DATE_EPOCH >> 24) & 255)))" |
	dd of="$5" bs=1 seek=$((pe + 8)) conv=notrunc status=none
# objcopy's PE checksum covers its own timestamp; UEFI ignores the field, so zero it (sbsign
# writes a fresh one into the signed image).
printf '\0\0\0\0' | dd of="$5" bs=1 seek=$((pe + 88)) conv=notrunc status=none
