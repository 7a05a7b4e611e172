#!/usr/bin/env bash
# Pins every package of packages.list to the version apt offers now: writes packages.lock with
# "NAME VERSION SHA256" lines. Run it (make pin) when Debian moves a pinned version away.
# Exit codes: 0 written, 111 a package could not be found or fetched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${DEB_CACHE:-$here/../build/debs}
mkdir -p "$cache"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
grep -v '^\s*#' "$here/packages.list" | grep -v '^\s*$' | while read -r name; do
	ver=$(apt-cache policy "$name" | awk '/Candidate:/ {print $2}')
	# the kernel source at the version of the kernel image (listed before it), whatever is newer
	case $name in
	linux-image-*) kernel_ver=$ver ;;
	linux-source-*) ver=${kernel_ver:?linux-source-* must follow linux-image-* in packages.list} ;;
	esac
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		echo "pin: no candidate version for $name (apt-get update?)" >&2
		exit 111
	fi
	(cd "$cache" && apt-get download -q "$name=$ver" >/dev/null 2>&1) ||
		{ echo "pin: cannot download $name=$ver" >&2; exit 111; }
	deb=$(ls "$cache/${name}_${ver//:/%3a}_"{amd64,all}.deb 2>/dev/null | head -n1)
	echo "$name $ver $(sha256sum "$deb" | cut -d' ' -f1)"
done >"$tmp"
mv "$tmp" "$here/packages.lock"
trap - EXIT
echo "pin: wrote $(wc -l <"$here/packages.lock") packages to packages.lock"
