#!/usr/bin/env bash
# build.sh --variant prod|test --out DIR [--keys DIR] [--version V] [--epoch N] [--recovery-key PEM]:
# builds a kcc-node image without privileges (version: image/update.sh default_version; epoch:
# image/security-epoch; --recovery-key: an operator's RSA or EC public key, and the state volume gets
# a recovery keyslot encrypted to it, docs/measured-boot.md "Recovery key"; --test-cmdline WORDS, test
# variant only: words added to the kernel command line, for the broken releases of VM tests, e.g.
# kcc_test.unready=kcc-kubelet in tests/vm/long/68-rollout.bats).
# PCR-signing-key rollover (docs/measured-boot.md): --next-pcr-keys DIR puts the next public keys
# (DIR/tpm2-pcr[-test]-public-key.pem for UKIs, DIR/tpm2-pcr-direct[-test]-public-key.pem for
# direct boots) into the initramfs, where kcc-init re-seals to them; --prev-pcr-keys DIR (the
# previous public keys, same names) makes this image's approvals also name the previous key's
# security-epoch index, which nodes re-sealed to this image's key keep.
# Outputs in DIR: root.erofs, root.verity, roothash, vmlinuz, kernel.config (its configuration),
# initramfs.cpio.zst, cmdline, tpm2-pcr-signature.json (the UKI's signed PCR 4 + 11 policy, on the
# ESP as \loader\credentials\kcc-pcrsig_VERSION.cred), kernel-config.txt (what
# kernel-config/kconfig-check found lacking in the kernel), kcc-node.efi (signed UKI),
# kcc-node.unsigned.efi, loader.efi (systemd-boot, signed with the db key), reference-values.json
# and its signature reference-values.json.sig (the PCR 11 values an attestation verifier accepts for
# this image, docs/attestation.md), disk.raw, disk.qcow2, kcc-node_VERSION.bundle (docs/upgrades.md),
# suc/plan.yaml and suc/kcc-node-upgrade_VERSION.oci.tar (image/suc.sh),
# manifest.json.
# The kernel is kcc-node's own (image/kernel.sh, no modules); KCC_KERNEL=debian packs the pinned
# Debian kernel and its modules instead (docs/kernel-config.md), untested by make check.
# Reproducible: the same inputs and SOURCE_DATE_EPOCH give byte-identical outputs.
# Exit codes: 0 ok, 100 bad input (option, overlay, service file, package), 111 system failure.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/lib.sh"
. "$here/update.sh"

variant=prod out= keys= kubelet= version= epoch= recovery_key= test_cmdline= next_keys= prev_keys=
usage_line="usage: build.sh --variant prod|test --out DIR [--keys DIR] [--kubelet FILE] [--version V] [--epoch N] [--recovery-key PEM] [--test-cmdline WORDS] [--next-pcr-keys DIR] [--prev-pcr-keys DIR]"
while [ $# -gt 0 ]; do
	case $1 in
	--variant) variant=${2:-}; shift 2 ;;
	--out) out=${2:-}; shift 2 ;;
	--keys) keys=${2:-}; shift 2 ;;
	--version) version=${2:-}; [ -n "$version" ] || bad_input "--version needs a value"; shift 2 ;;
	--epoch) epoch=${2:-}; [ -n "$epoch" ] || bad_input "--epoch needs a value"; shift 2 ;;
	--kubelet) kubelet=${2:-}; [ -n "$kubelet" ] || bad_input "--kubelet needs a file"; shift 2 ;;
	--recovery-key) recovery_key=${2:-}; [ -n "$recovery_key" ] || bad_input "--recovery-key needs a file"; shift 2 ;;
	--test-cmdline) test_cmdline=${2:-}; shift 2 ;;
	--next-pcr-keys) next_keys=${2:-}; [ -d "$next_keys" ] || bad_input "--next-pcr-keys needs a folder"; shift 2 ;;
	--prev-pcr-keys) prev_keys=${2:-}; [ -d "$prev_keys" ] || bad_input "--prev-pcr-keys needs a folder"; shift 2 ;;
	*) bad_input "unknown option '$1' ($usage_line)" ;;
	esac
done
# Upstream mode: the given kubelet binary with Debian's containerd and runc (docs/kubelet.md).
if [ -n "$kubelet" ]; then
	[ -f "$kubelet" ] && [ -r "$kubelet" ] || bad_input "--kubelet $kubelet: no such readable file"
	[ "$(head -c 4 "$kubelet" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		bad_input "--kubelet $kubelet: not an ELF executable"
	kubelet=$(readlink -f "$kubelet")
fi
if [ -n "$recovery_key" ]; then
	openssl pkey -pubin -in "$recovery_key" -noout 2>/dev/null ||
		bad_input "--recovery-key $recovery_key: not a PEM public key"
	recovery_key=$(readlink -f "$recovery_key")
fi
case $variant in prod | test) ;; *) bad_input "--variant must be prod or test, not '$variant'" ;; esac
if [ -n "$test_cmdline" ]; then
	[ "$variant" = test ] || bad_input "--test-cmdline is for test images only"
	[[ $test_cmdline =~ ^[A-Za-z0-9_.=,-]+( [A-Za-z0-9_.=,-]+)*$ ]] ||
		bad_input "--test-cmdline '$test_cmdline': words of A-Z a-z 0-9 _ . = , - separated by one space"
fi
[ -n "$out" ] || bad_input "--out DIR is required"
version_epoch "$version" "$epoch"
# The TPM's anti-rollback bit field (kcc-pcr sign --epoch) holds epochs 0..63.
[ "$epoch" -le 63 ] || bad_input "security epoch $epoch: the TPM's anti-rollback bit field holds epochs 0..63"
bin=${KCC_BIN:-$top/build/bin}
keys=${keys:-$top/build/keys}
cache=${DEB_CACHE:-$top/build/debs}
# Test images get kcc-init-test and kcc-update-test: kcc-init with the test-only fault hooks
# (init/test-hooks.h), kcc-update with the slot writer's (update/test-fault.h).
kcc_init=kcc-init kcc_update=kcc-update
[ "$variant" = test ] && kcc_init=kcc-init-test kcc_update=kcc-update-test
for b in $kcc_init kcc-sysinit kcc-sandbox kcc-ctl kcc-dhcp-hook kcc-pcr kcc-attest kcc-forward mkcpio kconfig-check mkbundle $kcc_update kcc-suc; do
	[ -x "$bin/$b" ] || bad_input "$bin/$b is missing; run make first"
done
overlays=${KCC_OVERLAYS:-$top/overlays}
lock=${KCC_PACKAGES_LOCK:-$here/packages.lock}
export KCC_PACKAGES_LOCK=$lock
[ -f "$lock" ] || bad_input "no package lock $lock; run make pin"
# overlays/common is required; overlays/<variant> is optional (prod has none yet).
[ -d "$overlays/common" ] || bad_input "overlay $overlays/common is missing"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 1700000000)
fi
export SOURCE_DATE_EPOCH
mkdir -p "$out"
out=$(cd "$out" && pwd)
w=$out/.work
rm -rf "$w"
mkdir -p "$w"

# --- kernel choice (image/kernel.sh): own (default) or debian -------------------------------------
kernel_kind=${KCC_KERNEL:-own}
case $kernel_kind in own | debian) ;; *) bad_input "KCC_KERNEL must be own or debian, not '$kernel_kind'" ;; esac
kernel_pkg=$(awk '/^linux-image-/ {print $1}' "$lock")
[ -n "$kernel_pkg" ] || bad_input "no kernel (linux-image-*) pinned in $lock"
kver=${kernel_pkg#linux-image-}
# own: the kernel image package is not needed, its source is (image/kernel.sh fetches it)
[ "$kernel_kind" = debian ] || kernel_pkg=
# --- end kernel choice --------------------------------------------------------------------------
# containerd and runc only go into upstream-mode images
lib_pkgs=$(awk -v up="${kubelet:+1}" '$1 !~ /^linux-(image|source)-/ && $1 != "busybox-static" &&
	(up || ($1 != "containerd" && $1 != "runc")) {print $1}' "$lock")

fetch() {
	local pkgs=($kernel_pkg $lib_pkgs busybox-static)
	"$here/fetch-debs.sh" "$cache" "${pkgs[@]}" >"$w/debs"
}

unpack() {
	mkdir -p "$w/kernel" "$w/pkgs"
	while read -r deb; do
		case $(basename "$deb") in
		linux-image-*) dpkg-deb -x "$deb" "$w/kernel" ;;
		*) dpkg-deb -x "$deb" "$w/pkgs" ;;
		esac
	done <"$w/debs"
	[ "$kernel_kind" = own ] && return 0
	[ -f "$w/kernel/boot/vmlinuz-$kver" ] || bad_input "kernel package has no vmlinuz-$kver"
	depmod -b "$w/kernel" "$kver"
}

# kcc-node's kernel (cached in build/kernel, image/kernel.sh), or the Debian package's: vmlinuz
# and kernel.config into the output, its release into $w/kernel-release.
kernel() {
	if [ "$kernel_kind" = own ]; then
		KCC_BIN=$bin "$here/kernel.sh" "$w/own-kernel"
		install -m 0644 "$w/own-kernel/vmlinuz" "$out/vmlinuz"
		install -m 0644 "$w/own-kernel/kernel.config" "$out/kernel.config"
		cp "$w/own-kernel/kernel-release" "$w/kernel-release"
	else
		install -m 0644 "$w/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
		install -m 0644 "$w/kernel/boot/config-$kver" "$out/kernel.config"
		echo "$kver" >"$w/kernel-release"
	fi
}

# The kernel must have every option kernel-config/ requires (KCC_KCONFIG_FRAGMENTS: other fragments);
# kcc-node's own kernel also every option of kernel-config/build/.
kconfig() {
	local cfg=$out/kernel.config rc=0 frags=${KCC_KCONFIG_FRAGMENTS:-$top/kernel-config/fragments/*.config}
	[ -f "$cfg" ] || bad_input "kernel package has no config-$kver to check"
	[ "$kernel_kind" = debian ] || frags="$frags $top/kernel-config/build/*.config"
	# shellcheck disable=SC2086
	"$bin/kconfig-check" --quiet "$cfg" $frags \
		>"$out/kernel-config.txt" || rc=$?
	case $rc in
	0) ;;
	1) grep -E '^(missing|weaker) +required' "$out/kernel-config.txt" >&2
	   bad_input "kernel $(cat "$w/kernel-release") lacks options kcc-node requires (see $out/kernel-config.txt)" ;;
	*) bad_input "kernel-config fragments could not be checked (kconfig-check exit $rc)" ;;
	esac
}

# Copies ELF binaries and their library closure (from the unpacked packages) into a tree.
install_elf() {
	local dst=$1
	shift
	mkdir -p "$dst/usr/lib/x86_64-linux-gnu" "$dst/usr/lib64"
	"$here/elf-closure.sh" "$w/pkgs" "$@" >"$w/closure" || exit 111
	while read -r name path; do
		if [ "$name" = INTERP ]; then
			name=$(basename "$path")
			ln -sf "../lib/x86_64-linux-gnu/$name" "$dst/usr/lib64/$name"
		fi
		install -m 0755 "$path" "$dst/usr/lib/x86_64-linux-gnu/$name"
	done <"$w/closure"
}

merged_usr() {
	local dst=$1
	mkdir -p "$dst/usr/bin" "$dst/usr/sbin" "$dst/usr/lib" "$dst/usr/lib64"
	ln -sfn usr/bin "$dst/bin"
	ln -sfn usr/sbin "$dst/sbin"
	ln -sfn usr/lib "$dst/lib"
	ln -sfn usr/lib64 "$dst/lib64"
}

os_release() {
	cat <<-OSR
	NAME="kcc-node"
	ID=kcc-node
	PRETTY_NAME="kcc-node ($variant)"
	VARIANT_ID=$variant
	IMAGE_ID=kcc-node
	IMAGE_VERSION=$version
	KCC_SECURITY_EPOCH=$epoch
	OSR
}

rootfs() {
	local r=$w/root
	merged_usr "$r"
	mkdir -p "$r"/{dev,proc,sys,run,tmp,var,etc/kcc/services}
	install -m 0755 -s "$bin/$kcc_init" "$r/usr/sbin/kcc-init"
	# the system stage's PID 1 (static, libc only) and the services' chain-loader
	install -D -m 0755 -s "$bin/kcc-sysinit" "$r/usr/lib/kcc/kcc-sysinit"
	install -D -m 0755 -s "$bin/kcc-sandbox" "$r/usr/lib/kcc/kcc-sandbox"
	install -m 0755 -s "$bin/kcc-ctl" "$r/usr/bin/kcc-ctl"
	install -m 0755 -s "$bin/kcc-pcr" "$r/usr/bin/kcc-pcr"
	# the attestation client (docs/attestation.md)
	install -m 0755 -s "$bin/kcc-attest" "$r/usr/bin/kcc-attest"
	# the security events' forwarder (docs/events.md)
	install -m 0755 -s "$bin/kcc-forward" "$r/usr/bin/kcc-forward"
	install -m 0755 -s "$bin/kcc-kubelet" "$r/usr/bin/kcc-kubelet"
	install -m 0755 -s "$bin/$kcc_update" "$r/usr/bin/kcc-update"
	install -m 0755 "$w/pkgs/usr/bin/crun" "$r/usr/bin/crun"
	# the network services: DHCP and NTP/NTS clients (docs/node-config.md); no shell hooks, no
	# chronyc. dhcpcd's one hook writes the lease's name servers where /etc/resolv.conf points
	# (the root is read-only; /run/dns is written at boot, lib/config/resolv-conf.h).
	install -m 0755 "$w/pkgs/usr/sbin/dhcpcd" "$r/usr/sbin/dhcpcd"
	install -m 0755 "$w/pkgs/usr/sbin/chronyd" "$r/usr/sbin/chronyd"
	install -m 0755 -s "$bin/kcc-dhcp-hook" "$r/usr/lib/kcc/kcc-dhcp-hook"
	ln -sfn ../run/dns/resolv.conf "$r/etc/resolv.conf"
	if [ -n "$kubelet" ]; then
		install -m 0755 "$kubelet" "$r/usr/bin/kubelet"
		for f in usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/ctr usr/sbin/runc; do
			install -D -m 0755 "$w/pkgs/$f" "$r/$f"
		done
		ln -sf ../sbin/runc "$r/usr/bin/runc"
	fi
	install_elf "$r" "$r/usr/sbin/kcc-init" "$r/usr/lib/kcc/kcc-sandbox" "$r/usr/bin/kcc-ctl" "$r/usr/bin/kcc-pcr" \
		"$r/usr/bin/kcc-attest" "$r/usr/bin/kcc-forward" "$r/usr/bin/kcc-kubelet" "$r/usr/bin/kcc-update" "$r/usr/bin/crun" "$r/usr/sbin/dhcpcd" "$r/usr/sbin/chronyd" \
		${kubelet:+"$r/usr/bin/kubelet" "$r/usr/bin/containerd" "$r/usr/bin/containerd-shim-runc-v2" "$r/usr/bin/ctr" "$r/usr/sbin/runc"}
	# the default static pod's image: an OCI layout of busybox-static (blobs, not host binaries)
	"$here/oci-busybox.sh" "$w/pkgs/bin/busybox" "$r/usr/share/kcc-kubelet/images/busybox" \
		"$(awk '$1 == "busybox-static" {v = $2; sub(/^[0-9]+:/, "", v); sub(/-.*/, "", v); print v}' "$lock")"
	os_release >"$r/usr/lib/os-release"
	install_update_key "$r"
	ln -sf ../usr/lib/os-release "$r/etc/os-release"
	if [ "$variant" = test ]; then
		[ -x "$bin/kcc-test-probe" ] || bad_input "$bin/kcc-test-probe is missing; run make first"
		install -D -m 0755 -s "$bin/kcc-test-probe" "$r/usr/lib/kcc-test/probe"
		[ -x "$bin/kcc-test-hostile" ] || bad_input "$bin/kcc-test-hostile is missing; run make first"
		install -D -m 0755 -s "$bin/kcc-test-hostile" "$r/usr/lib/kcc-test/hostile"
		install -m 0755 "$w/pkgs/bin/busybox" "$r/usr/bin/busybox"
		for a in $("$r/usr/bin/busybox" --list); do
			[ -e "$r/usr/bin/$a" ] || ln -s busybox "$r/usr/bin/$a"
		done
	fi
	for o in common ${kubelet:+upstream} "$variant"; do
		if [ -d "$overlays/$o" ]; then
			cp -R --no-preserve=ownership "$overlays/$o/." "$r/"
		fi
	done
	if [ -n "$kubelet" ]; then
		# the upstream kubelet replaces kcc-kubelet (overlays/upstream makes containerd the runtime)
		rm -f "$r/etc/kcc/services/kcc-kubelet.conf"
	fi
	"$bin/kcc-init" check-services "$r/etc/kcc/services" >/dev/null ||
		bad_input "the overlays' service files are invalid (see above)"
	find "$r" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

erofs() {
	local uuid
	uuid=$(derive_uuid erofs "$(cd "$w/root" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)")
	rm -f "$out/root.erofs"
	mkfs.erofs --quiet -zlz4hc -T"$SOURCE_DATE_EPOCH" -U"$uuid" --all-root "$out/root.erofs" "$w/root" ||
		die "mkfs.erofs failed"
}

verity() {
	local salt uuid
	salt=$(sha256sum "$out/root.erofs" | cut -d' ' -f1)
	uuid=$(derive_uuid verity "$salt")
	rm -f "$out/root.verity"
	veritysetup format --salt="$salt" --uuid="$uuid" "$out/root.erofs" "$out/root.verity" >"$w/verity.txt" ||
		die "veritysetup format failed"
	awk '/^Root hash:/ {print $3}' "$w/verity.txt" >"$out/roothash"
	[ "$(wc -c <"$out/roothash")" -eq 65 ] || die "no root hash from veritysetup"
}

# KCC_KERNEL=debian: the modules of initrd-modules.conf and their closure into the initramfs.
initrd_modules() {
	local i=$1 m mdir=$1/usr/lib/modules/$kver
	grep -v '^\s*#' "$here/initrd-modules.conf" | grep -v '^\s*$' >"$i/etc/kcc/modules.conf"
	sed 's/^?//' "$i/etc/kcc/modules.conf" >"$w/modules.list"
	mkdir -p "$mdir"
	cp "$w/kernel/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$mdir/"
	while read -r m; do
		modprobe -d "$w/kernel" -S "$kver" --show-depends "$m" >>"$w/modules.deps" ||
			bad_input "kernel module $m is not in $kernel_pkg"
	done <"$w/modules.list"
	for m in $(awk '$1 == "insmod" {print $2}' "$w/modules.deps" | sort -u); do
		local rel=${m#"$w/kernel/lib/modules/$kver/"}
		install -D -m 0644 "$m" "$mdir/$rel"
	done
	depmod -b "$i" "$kver"
}

initramfs() {
	local i=$w/initrd list=$w/initrd.list
	merged_usr "$i"
	mkdir -p "$i"/{dev,proc,sys,run,sysroot,etc/kcc}
	install -m 0755 -s "$bin/$kcc_init" "$i/usr/sbin/kcc-init"
	install -m 0755 "$w/pkgs/sbin/mke2fs" "$i/usr/sbin/mke2fs"
	install_elf "$i" "$i/usr/sbin/kcc-init" "$i/usr/sbin/mke2fs"
	# Direct kernel boots have no UKI stub to hand over .pcrpkey/.pcrsig: a policy for this
	# command line, signed with the separate direct-boot key.
	mkdir -p "$i/etc/kcc/direct"
	install -m 0644 "$direct_key-public-key.pem" "$i/etc/kcc/direct/tpm2-pcr-public-key.pem"
	"$bin/kcc-pcr" sign --direct-cmdline "$(cat "$out/cmdline")" --epoch "$epoch" \
		${prev_keys:+--epoch-index-of "$prev_direct"} --private-key "$direct_key-private-key.pem" \
		--public-key "$direct_key-public-key.pem" >"$i/etc/kcc/direct/tpm2-pcr-signature.json" ||
		die "signing the direct-boot PCR policy failed"
	# The next PCR signing keys (a rollover, init/state-rollover.h), covered by PCR 11 like
	# everything in the initramfs of a UKI.
	if [ -n "$next_keys" ]; then
		install -m 0644 "$next_uki" "$i/etc/kcc/next-pcr-public-key.pem"
		install -m 0644 "$next_direct" "$i/etc/kcc/direct/next-pcr-public-key.pem"
	fi
	# The operator's public key for the recovery keyslot (init/recovery.h); in the initramfs, so
	# a UKI's PCR 11 covers it.
	[ -z "$recovery_key" ] || install -m 0644 "$recovery_key" "$i/etc/kcc/recovery-key.pem"
	os_release >"$i/usr/lib/os-release"
	cp "$i/usr/lib/os-release" "$i/etc/initrd-release"
	ln -sf usr/sbin/kcc-init "$i/init"
	if [ "$kernel_kind" = own ]; then
		echo "# kcc-node's kernel has every driver built in and loads no module" >"$i/etc/kcc/modules.conf"
	else
		initrd_modules "$i"
	fi
	# mkcpio sorts the entries itself.
	(cd "$i" && find . -mindepth 1 -printf '%y %P %m %l\n') | while read -r t p mode l; do
		case $t in
		d) echo "dir $p $mode" ;;
		f) echo "file $p $mode $i/$p" ;;
		l) echo "slink $p $l" ;;
		esac
	done >"$list"
	echo "nod dev/console 600 c 5 1" >>"$list"
	echo "nod dev/null 666 c 1 3" >>"$list"
	"$bin/mkcpio" <"$list" >"$w/initramfs.cpio" || die "mkcpio failed"
	zstd -q -19 -f "$w/initramfs.cpio" -o "$out/initramfs.cpio.zst"
}

# The PCR policy keys of this variant: test images are signed with their own pair, never with a
# production one (a test UKI keeps every capability; it must not unlock a production node).
sfx=
[ "$variant" = test ] && sfx=-test
uki_key=$keys/tpm2-pcr$sfx direct_key=$keys/tpm2-pcr-direct$sfx
next_uki=$next_keys/tpm2-pcr$sfx-public-key.pem next_direct=$next_keys/tpm2-pcr-direct$sfx-public-key.pem
prev_uki=$prev_keys/tpm2-pcr$sfx-public-key.pem prev_direct=$prev_keys/tpm2-pcr-direct$sfx-public-key.pem
pcr_keys() {
	local fp k
	"$here/keys.sh" "$keys"
	for k in "$uki_key" "$direct_key"; do
		[ -f "$k-private-key.pem" ] && [ -f "$k-public-key.pem" ] ||
			bad_input "no PCR signing key pair $k-{private,public}-key.pem"
	done
	fp() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
	if [ "$variant" = test ]; then
		for k in tpm2-pcr tpm2-pcr-direct; do
			[ -f "$keys/$k-public-key.pem" ] || continue
			fp=$(fp "$keys/$k-public-key.pem")
			if [ "$fp" = "$(fp "$uki_key-public-key.pem")" ] || [ "$fp" = "$(fp "$direct_key-public-key.pem")" ]; then
				bad_input "refusing to sign a test image with the production PCR key $k (test images need their own tpm2-pcr-test and tpm2-pcr-direct-test keys)"
			fi
		done
	fi
	[ "$(fp "$uki_key-public-key.pem")" != "$(fp "$direct_key-public-key.pem")" ] ||
		bad_input "the UKI and direct-boot PCR keys must differ"
	# A rollover's keys: public keys only, RSA as kcc-pcr signs with; never this image's own.
	for k in ${next_keys:+"$next_uki" "$next_direct"} ${prev_keys:+"$prev_uki" "$prev_direct"}; do
		[ -n "$(fp "$k")" ] && openssl pkey -pubin -in "$k" -noout -text 2>/dev/null | grep -q 'Public-Key' ||
			bad_input "no PCR public key $k (--next-pcr-keys/--prev-pcr-keys)"
	done
	if [ -n "$next_keys" ]; then
		[ "$(fp "$next_uki")" != "$(fp "$uki_key-public-key.pem")" ] &&
			[ "$(fp "$next_direct")" != "$(fp "$direct_key-public-key.pem")" ] ||
			bad_input "--next-pcr-keys: a next key is this image's own signing key"
	fi
	update_keys
}

cmdline() {
	echo "console=ttyS0,115200 loglevel=6 printk.devkmsg=on panic=-1 kcc.roothash=$(cat "$out/roothash")${test_cmdline:+ $test_cmdline}" >"$out/cmdline"
}

# The boot loader: Debian's systemd-boot (package systemd-boot-efi, the host's: image/deps.sh), signed
# with the db key. It boots the newest UKI in \EFI\Linux and counts its tries (docs/upgrades.md).
loader() {
	local src=${KCC_LOADER_EFI:-/usr/lib/systemd/boot/efi/systemd-bootx64.efi}
	[ -f "$src" ] || bad_input "no systemd-boot at $src (package systemd-boot-efi)"
	at_source_date sbsign --key "$keys/db.key" --cert "$keys/db.crt" --output "$out/loader.efi" \
		"$src" 2>"$w/sbsign.log" || { cat "$w/sbsign.log" >&2; die "sbsign of the loader failed"; }
}

# The UKI carries its PCR public key (.pcrpkey, measured into PCR 11) but no .pcrsig: its policy
# also covers PCR 4, which holds the firmware's Authenticode digests of the loader and of the UKI
# itself, so the signature cannot be inside the image it approves. It goes on the ESP as
# \loader\credentials\kcc-pcrsig_VERSION.cred, which systemd-stub hands to the initrd in
# /.extra/global_credentials whatever the loader renamed the UKI to while counting. The UKI key
# never signs a policy of PCR 11 alone: after booting another signed kernel, PCR 11 can be
# replayed from user space, PCR 4 cannot. PCR 4: the loader, then the UKI (KCC_PCR4_PE lists
# further PE images the firmware loads before the loader, in order). --epoch: the approvals
# also check the TPM's security-epoch bit field (docs/measured-boot.md, "Security epoch").
uki() {
	local pub=$uki_key-public-key.pem pe=() f
	"$here/mkuki.sh" "$out/vmlinuz" "$out/initramfs.cpio.zst" "$out/cmdline" "$w/root/usr/lib/os-release" \
		"$out/kcc-node.unsigned.efi" "$pub"
	at_source_date sbsign --key "$keys/db.key" --cert "$keys/db.crt" --output "$out/kcc-node.efi" \
		"$out/kcc-node.unsigned.efi" 2>"$w/sbsign.log" || { cat "$w/sbsign.log" >&2; die "sbsign failed"; }
	for f in ${KCC_PCR4_PE:-}; do pe+=(--pe "$f"); done
	"$bin/kcc-pcr" sign --uki "$out/kcc-node.efi" "${pe[@]}" --pe "$out/loader.efi" --pe "$out/kcc-node.efi" --epoch "$epoch" \
		${prev_keys:+--epoch-index-of "$prev_uki"} --private-key "$uki_key-private-key.pem" --public-key "$pub" >"$out/tpm2-pcr-signature.json" ||
		die "signing the PCR 4 + 11 policy failed"
}

# The reference values of attestation (docs/attestation.md): PCR 11 at the phase "ready", for the
# UKI and (pcr11_direct, accepted by a verifier's test policy only) for a direct boot with this
# command line, signed (RSA PKCS#1 v1.5, SHA-256) with the variant's reference-values key.
references() {
	local k=$keys/reference-values$sfx uki direct
	[ -f "$k-private-key.pem" ] || bad_input "no reference-values signing key $k-private-key.pem"
	uki=$("$bin/kcc-pcr" predict --uki "$out/kcc-node.efi" --phase ready) ||
		die "predicting the UKI's PCR 11 failed"
	direct=$("$bin/kcc-pcr" predict --direct-cmdline "$(cat "$out/cmdline")" --phase ready) ||
		die "predicting the direct boot's PCR 11 failed"
	uki=${uki##*=} direct=${direct##*=} # "11:sha256=HEX"
	printf '{"version":1,"pcr11":["%s"],"pcr11_direct":["%s"]}\n' "$uki" "$direct" >"$out/reference-values.json"
	openssl dgst -sha256 -sign "$k-private-key.pem" -out "$out/reference-values.json.sig" \
		"$out/reference-values.json" || die "signing the reference values failed"
}

disk() {
	"$here/mkdisk.sh" "$out" "$w" "$version"
	rm -f "$out/disk.qcow2"
	qemu-img convert -f raw -O qcow2 "$out/disk.raw" "$out/disk.qcow2"
}

# The system-upgrade-controller's Plan and upgrade image (docs/upgrades.md), into suc/; the folder
# is this step's alone: an earlier build's archive (another version) does not stay beside it.
suc_image() {
	rm -rf "$out/suc"
	"$top/image/suc.sh" "$bin/kcc-suc" "$out/$bundle_name" "$version" "$out/suc" >/dev/null
}

# A PCR key's fingerprint as tokens record it (kcc-pkfp, systemd's pkfp: SHA-256 of the PKCS#1
# RSAPublicKey).
pcr_fp() { openssl rsa -pubin -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }

manifest() {
	local f first=1
	{
		echo "{"
		echo "  \"variant\": \"$variant\","
		echo "  \"kernel\": \"$(cat "$w/kernel-release")\","
		echo "  \"roothash\": \"$(cat "$out/roothash")\","
		echo "  \"version\": \"$version\","
		echo "  \"security_epoch\": $epoch,"
		[ -z "$next_keys" ] || echo "  \"next_pcr_public_keys\": {\"uki\": \"$(pcr_fp "$next_uki")\", \"direct\": \"$(pcr_fp "$next_direct")\"},"
		[ -z "$prev_keys" ] || echo "  \"prev_pcr_public_keys\": {\"uki\": \"$(pcr_fp "$prev_uki")\", \"direct\": \"$(pcr_fp "$prev_direct")\"},"
		echo "  \"bundle\": \"$bundle_name\","
		echo "  \"source_date_epoch\": $SOURCE_DATE_EPOCH,"
		[ -z "$kubelet" ] ||
			echo "  \"upstream_kubelet\": {\"sha256\": \"$(sha256sum "$kubelet" | cut -d' ' -f1)\"},"
		echo "  \"packages\": {"
		awk -v up="${kubelet:+1}" 'up || ($1 != "containerd" && $1 != "runc") {printf "%s    \"%s\": \"%s\"", (n++ ? ",\n" : ""), $1, $2} END {print ""}' "$lock"
		echo "  },"
		echo "  \"artifacts\": {"
		for f in root.erofs root.verity roothash vmlinuz kernel.config initramfs.cpio.zst cmdline tpm2-pcr-signature.json kcc-node.efi kcc-node.unsigned.efi loader.efi reference-values.json reference-values.json.sig disk.raw disk.qcow2 "$bundle_name"; do
			[ $first -eq 1 ] || echo ","
			first=0
			printf '    "%s": {"sha256": "%s", "size": %s}' "$f" "$(sha256sum "$out/$f" | cut -d' ' -f1)" "$(stat -c %s "$out/$f")"
		done
		echo
		echo "  }"
		echo "}"
	} >"$out/manifest.json"
}

echo "build: kcc-node $variant image $version (security epoch $epoch) into $out (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
step keys pcr_keys
step fetch fetch
step unpack unpack
step kernel kernel
step kconfig kconfig
step rootfs rootfs
step erofs erofs
step verity verity
step cmdline cmdline
step initramfs initramfs
step loader loader
step uki uki
step references references
step disk disk
step bundle bundle
step suc suc_image
step manifest manifest
rm -rf "$w"
echo "build: done: root hash $(cat "$out/roothash")"
