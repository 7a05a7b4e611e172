#!/usr/bin/env bash
# customize.sh ROOT: mmdebstrap's customize hook for the bench-compare reference image (runs on the
# host with the chroot's /dev, /proc and /sys mounted). Environment: REF_KVER, REF_KERNEL (own:
# kcc-node's kernel, no modules; debian), REF_MODULES (the pinned kernel package unpacked; for own,
# only boot/config-REF_KVER), REF_OVERLAY, REF_STANDIN, REF_VAR_PARTUUID, REF_DRIVERS.
set -euo pipefail
r=$1
# The pinned kernel's modules, as its package would install them (its vmlinuz is booted directly).
# kcc-node's own kernel has every driver built in: an empty module tree (what kmod finds)
mkdir -p "$r/usr/lib/modules"
if [ "$REF_KERNEL" = own ]; then
	mkdir -p "$r/usr/lib/modules/$REF_KVER"
	cp -a "$REF_MODULES/boot/config-$REF_KVER" "$r/boot/"
	chroot "$r" depmod "$REF_KVER" 2>/dev/null
	kernel_args=(--no-kernel)
else
	cp -a "$REF_MODULES/lib/modules/$REF_KVER" "$r/usr/lib/modules/"
	cp -a "$REF_MODULES/boot/config-$REF_KVER" "$REF_MODULES/boot/System.map-$REF_KVER" "$r/boot/"
	chroot "$r" depmod "$REF_KVER"
	kernel_args=(--drivers "$REF_DRIVERS")
fi
cp -R --no-preserve=ownership "$REF_OVERLAY/." "$r/"
install -m 0755 "$REF_STANDIN" "$r/usr/libexec/kcc-standin-kubelet"
cat >"$r/etc/crypttab" <<-CT
	# the LUKS2 /var, unlocked by systemd-cryptsetup with its TPM2 token (enrolled on first boot)
	var PARTUUID=$REF_VAR_PARTUUID none luks,tpm2-device=auto,headless=true
CT
cat >"$r/etc/fstab" <<-FS
	# the root is the erofs on dm-verity named on the kernel command line (roothash=)
	/dev/mapper/var /var ext4 defaults,nosuid,nodev 0 2
	tmpfs /tmp tmpfs nosuid,nodev,mode=1777 0 0
FS
# A read-only root: systemd keeps a transient machine ID when the file is empty.
: >"$r/etc/machine-id"
chroot "$r" systemctl enable kcc-standin-kubelet.service kcc-reference-report.service
# dracut 059 as Debian ships it (no configuration file: not host-only, every dracut module whose
# tools are installed) plus the verity generator; the kernel modules limited to kcc-node's own
# initrd list (REF_DRIVERS, what host-only would pick for this VM; none on kcc-node's own kernel)
# and zstd like kcc-node's initrd, so that the sizes compare contents, not a generic driver set or
# a compressor.
chroot "$r" dracut --quiet --force --no-hostonly --add systemd-veritysetup --zstd \
	"${kernel_args[@]}" --kver "$REF_KVER" "/boot/initrd.img-$REF_KVER"
