#!/usr/bin/env bash
# elf-closure.sh LIBROOT ELF...: prints "SONAME PATH" for every shared library the ELF files need,
# recursively, found under LIBROOT's library folders; plus "INTERP PATH" for the dynamic loader.
# Exit codes: 0 ok, 111 a needed library is missing.
set -euo pipefail
root=$(readlink -f "$1")
shift
dirs=("$root/lib/x86_64-linux-gnu" "$root/usr/lib/x86_64-linux-gnu" "$root/lib64" "$root/usr/lib64" "$root/lib" "$root/usr/lib")
declare -A seen=()
queue=("$@")
interp_done=0
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	if [ $interp_done -eq 0 ]; then
		interp=$(readelf -l "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
		if [ -n "$interp" ]; then
			p=
			for d in "${dirs[@]}"; do
				if [ -e "$d/$(basename "$interp")" ]; then p=$(readlink -f "$d/$(basename "$interp")"); break; fi
			done
			case "$p" in "$root"/*) ;; *) echo "elf-closure: loader $interp not found under $root" >&2; exit 111 ;; esac
			echo "INTERP $p"
			interp_done=1
		fi
	fi
	for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${seen[$lib]:-}" ] && continue
		seen[$lib]=1
		found=
		for d in "${dirs[@]}"; do
			if [ -e "$d/$lib" ]; then found=$(readlink -f "$d/$lib"); break; fi
		done
		case "$found" in "$root"/*) ;; *) echo "elf-closure: $f needs $lib, not found in the unpacked packages" >&2; exit 111 ;; esac
		echo "$lib $found"
		queue+=("$found")
	done
done
