#!/usr/bin/env bash
# fetch-debs.sh CACHE [NAME...]: makes sure the pinned .deb of each package (all when none named)
# is in CACHE with the sha256 that packages.lock records; prints their paths.
# Exit codes: 0 ok, 100 unknown package, 111 download failed or checksum mismatch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cache=$1
shift
lock=${KCC_PACKAGES_LOCK:-$here/packages.lock}
[ -f "$lock" ] || bad_input "no $lock; run make pin"
mkdir -p "$cache"
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(cut -d' ' -f1 "$lock")
for name in "${names[@]}"; do
	line=$(awk -v n="$name" '$1 == n' "$lock")
	[ -n "$line" ] || bad_input "package '$name' is not pinned in packages.lock"
	read -r _ ver sum <<<"$line"
	deb="$cache/${name}_${ver//:/%3a}_amd64.deb"
	# architecture-independent packages (linux-source) are _all
	[ -f "$deb" ] || [ ! -f "${deb%_amd64.deb}_all.deb" ] || deb=${deb%_amd64.deb}_all.deb
	if [ ! -f "$deb" ]; then
		apt-cache show "$name" >/dev/null 2>&1 || bad_input "unknown package '$name' (not in Debian's lists; apt-get update?)"
		(cd "$cache" && apt-get download -q "$name=$ver" >/dev/null 2>&1) ||
			die "cannot download $name=$ver: Debian may have moved it on; run make pin"
		[ -f "$deb" ] || deb=${deb%_amd64.deb}_all.deb
	fi
	echo "$sum  $deb" | sha256sum --quiet -c - 2>/dev/null ||
		die "$deb does not have the pinned sha256 $sum"
	echo "$deb"
done
