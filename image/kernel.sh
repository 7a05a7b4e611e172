#!/usr/bin/env bash
# kernel.sh [--config-only] OUT: kcc-node's own kernel, built from Debian's linux-source package
# (pinned in packages.lock at the version of the pinned linux-image) with allnoconfig plus
# kernel-config/build/*.config and kernel-config/fragments/*.config, merged by the kernel's
# merge_config.sh; CONFIG_MODULES=n. Writes OUT/vmlinuz (bzImage), OUT/vmlinux (ELF, for BTF) and
# OUT/kernel.config (the merged .config), OUT/kernel-release, OUT/System.map.
# The merged config must pass kconfig-check with every option of kernel-config/build/ required
# (kcc-node's own choices) and the fragments' required ones, before anything is compiled.
# Cached in KCC_KERNEL_CACHE (default build/kernel): the build directory is keyed by the source
# version and the merged config's sha256, the merged config by the inputs' sha256, so a warm run
# extracts and compiles nothing. Reproducible: the timestamp is the source package's, user, host
# and build salt are fixed (CONFIG_BUILD_SALT in kernel-config/build/base.config).
# Environment: KCC_KERNEL_JOBS (make -j, default nproc), KCC_BIN (kconfig-check).
# Exit codes: 0 ok, 100 bad input (config check failed), 111 fetch, extraction or build failed.
set -euo pipefail
export LC_ALL=C TZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"

config_only=
[ "${1:-}" = --config-only ] && { config_only=1; shift; }
[ $# -eq 1 ] || bad_input "usage: kernel.sh [--config-only] OUT"
out=$1
lock=${KCC_PACKAGES_LOCK:-$here/packages.lock}
debs=${DEB_CACHE:-$top/build/debs}
cache=${KCC_KERNEL_CACHE:-$top/build/kernel}
bin=${KCC_BIN:-$top/build/bin}
frag_dir=$top/kernel-config
[ -x "$bin/kconfig-check" ] || bad_input "$bin/kconfig-check is missing; run make first"

src_pkg=$(awk '/^linux-source-/ {print $1}' "$lock")
[ -n "$src_pkg" ] || bad_input "no kernel source (linux-source-*) pinned in $lock"
src_ver=$(awk -v n="$src_pkg" '$1 == n {print $2}' "$lock")
img_ver=$(awk '/^linux-image-/ {print $2}' "$lock")
[ -z "$img_ver" ] || [ "$src_ver" = "$img_ver" ] ||
	bad_input "$src_pkg $src_ver is not the version of the pinned kernel image ($img_ver)"
fragments=("$frag_dir"/build/*.config "$frag_dir"/fragments/*.config)

mkdir -p "$cache" "$out"
# physical and absolute, as the compiler sees it (the prefix maps of kmake must match it)
cache=$(cd "$cache" && pwd -P)
# one kernel.sh at a time per cache (make and an image build may both ask for it)
exec 9>"$cache/.lock"
flock 9
# What decides the merged config: the source package, the fragments, this script, the toolchain.
inputs=$( {
	awk -v n="$src_pkg" '$1 == n' "$lock"
	for f in "${fragments[@]}"; do echo "== ${f#"$frag_dir"/}"; cat "$f"; done
	cat "$0"
	gcc --version | head -n1
	pahole --version
} | sha256sum | cut -c1-16)

src=$cache/src-$src_ver
source_tree() {
	[ -f "$src/.kcc-extracted" ] && return 0
	local deb tmp
	deb=$("$here/fetch-debs.sh" "$debs" "$src_pkg" | head -n1)
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$src.tmp" --wildcards './usr/src/linux-source-*.tar.xz' ||
		die "cannot unpack $deb"
	tar -xJf "$src.tmp"/usr/src/linux-source-*.tar.xz -C "$src.tmp" || die "cannot extract the kernel source"
	# (a redirection does not expand a pattern: name the one tarball and the one tree it holds)
	local tarball=("$src.tmp"/usr/src/linux-source-*.tar.xz) tree=("$src.tmp"/linux-source-*/)
	[ ${#tarball[@]} -eq 1 ] && [ ${#tree[@]} -eq 1 ] && [ -d "${tree[0]}" ] ||
		die "$deb: expected one kernel source tarball holding one linux-source tree"
	# the build timestamp: the source tarball's (set by Debian's package build), not today's
	date -u -r "${tarball[0]}" '+%Y-%m-%d %H:%M:%S UTC' >"${tree[0]}.kcc-timestamp"
	mv "${tree[0]}" "$src"
	rm -rf "$src.tmp"
	touch "$src/.kcc-extracted"
}

# Paths of this machine stay out of the debug information (and so out of the build id, which the
# bzImage carries): the source tree becomes /usr/src/linux, the build directory (the compiler's
# working directory, named without a trailing slash) /usr/src/linux-obj.
# pahole encodes BTF with the kernel's flags but one thread: with -j (pahole 1.22 and later) the
# order of the types, and so vmlinux's .BTF, .BTF_ids, the build id and the bzImage, change from
# one build to the next (two cold builds of the same inputs differed there, nowhere else).
kmake() {
	local map="-fdebug-prefix-map=$src/=/usr/src/linux/ -fdebug-prefix-map=$1=/usr/src/linux-obj"
	local btf
	btf=$(PAHOLE=pahole "$src/scripts/pahole-flags.sh" | sed 's/\(^\| \)-j\( \|$\)/ /g')
	nice -n 10 make -s -C "$src" O="$1" ARCH=x86_64 LOCALVERSION= KCFLAGS="$map" KAFLAGS="$map" \
		PAHOLE_FLAGS="$btf" \
		KBUILD_BUILD_TIMESTAMP="$(cat "$src/.kcc-timestamp")" \
		KBUILD_BUILD_USER=kcc-node KBUILD_BUILD_HOST=kcc-node KBUILD_BUILD_VERSION=1 "${@:2}"
}

# The merged config, cached by the inputs' hash.
merged=$cache/config-$inputs
if [ ! -f "$merged" ]; then
	source_tree
	tmp=$cache/merge.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# -n: allnoconfig as the base, then the fragments; merge_config.sh reports requested values
	# that did not land, kconfig-check below refuses them.
	(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -n -O "$tmp" "${fragments[@]}") \
		>"$tmp/merge.log" 2>&1 || { tail -n 20 "$tmp/merge.log" >&2; die "merge_config.sh failed"; }
	rc=0
	"$bin/kconfig-check" --quiet "$tmp/.config" "${fragments[@]}" >"$tmp/check.txt" || rc=$?
	case $rc in
	0) ;;
	1) grep -E '^(missing|weaker) +required' "$tmp/check.txt" >&2
	   bad_input "the merged kernel config lacks required options (kernel-config/build or fragments)" ;;
	*) bad_input "the kernel config could not be checked (kconfig-check exit $rc)" ;;
	esac
	! grep -E '^CONFIG_[A-Z0-9_]+=m$' "$tmp/.config" >&2 ||
		bad_input "the merged kernel config builds modules; kcc-node's kernel has everything built in"
	mv "$tmp/.config" "$merged"
	rm -rf "$tmp"
fi
install -m 0644 "$merged" "$out/kernel.config"
[ -n "$config_only" ] && exit 0

# keyed by the merged config and by how it is compiled (kmake), so a change of the build's flags
# does not reuse a kernel built with the old ones
cfg_sum=$( { cat "$merged"; declare -f kmake; } | sha256sum | cut -c1-16)
obj=$cache/obj-$src_ver-$cfg_sum
if [ ! -f "$obj/.kcc-built" ]; then
	source_tree
	mkdir -p "$obj"
	cp "$merged" "$obj/.config"
	echo "kernel: building $src_pkg $src_ver ($cfg_sum) in $obj; this takes minutes" >&2
	kmake "$obj" olddefconfig
	cmp -s "$merged" "$obj/.config" || die "olddefconfig changed the merged config"
	kmake "$obj" -j"${KCC_KERNEL_JOBS:-$(nproc)}" bzImage >"$obj/build.log" 2>&1 ||
		{ tail -n 30 "$obj/build.log" >&2; die "the kernel build failed (see $obj/build.log)"; }
	kmake "$obj" kernelrelease >"$obj/kernel-release"
	touch "$obj/.kcc-built"
fi
install -m 0644 "$obj/arch/x86/boot/bzImage" "$out/vmlinuz"
ln -sf "$obj/vmlinux" "$out/vmlinux"
install -m 0644 "$obj/kernel-release" "$out/kernel-release"
install -m 0644 "$obj/System.map" "$out/System.map"
