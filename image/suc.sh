#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The system-upgrade-controller contract of an image (docs/upgrades.md, "system-upgrade-controller"):
#   suc.sh KCC_SUC BUNDLE VERSION OUT_DIR
# writes OUT_DIR/kcc-node-upgrade_VERSION.oci.tar, an OCI image layout in a tar (what
# `skopeo copy oci-archive:FILE docker://REGISTRY/kcc-node-upgrade:VERSION` pushes), whose one
# layer holds /kcc-suc (static) and /kcc-node.bundle, and OUT_DIR/plan.yaml, the Plan that runs
# it (`prepare` stages, `upgrade` reboots). Reproducible: fixed times, owners and order, gzip -n.
# KCC_SUC_IMAGE: the image's name in the Plan (default kcc-node-upgrade, a registry prefix goes here).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: suc.sh KCC_SUC BUNDLE VERSION OUT_DIR" >&2; exit 100; }
suc=$1 bundle=$2 version=$3 out=$4
image=${KCC_SUC_IMAGE:-kcc-node-upgrade}
mtime=${SOURCE_DATE_EPOCH:-0}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT

det_tar() { # det_tar DIR OUT: a tar of DIR's content, the same bytes for the same files
	tar --sort=name --mtime="@$mtime" --owner=0 --group=0 --numeric-owner --format=posix \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf "$2" .
}
blob() { # blob FILE MEDIATYPE: moves FILE into the layout, prints its descriptor
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$w/oci/blobs/sha256/$d"
	jq -cn --arg m "$2" --arg d "sha256:$d" --argjson s "$s" '{mediaType: $m, digest: $d, size: $s}'
}

mkdir -p "$w/root" "$w/oci/blobs/sha256" "$out"
install -m 0755 "$suc" "$w/root/kcc-suc"
install -m 0644 "$bundle" "$w/root/kcc-node.bundle"
det_tar "$w/root" "$w/layer.tar"
diff_id=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
gzip -n -1 "$w/layer.tar"
layer=$(blob "$w/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)
jq -cn --arg diff "sha256:$diff_id" '{architecture: "amd64", os: "linux",
	config: {Entrypoint: ["/kcc-suc"], Cmd: ["upgrade"]},
	rootfs: {type: "layers", diff_ids: [$diff]}}' >"$w/config.json"
config=$(blob "$w/config.json" application/vnd.oci.image.config.v1+json)
jq -cn --argjson c "$config" --argjson l "$layer" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: [$l]}' >"$w/manifest.json"
manifest=$(blob "$w/manifest.json" application/vnd.oci.image.manifest.v1+json)
jq -cn --argjson m "$manifest" --arg v "$version" \
	'{schemaVersion: 2, manifests: [$m + {annotations: {"org.opencontainers.image.ref.name": $v}}]}' >"$w/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
det_tar "$w/oci" "$out/kcc-node-upgrade_$version.oci.tar"

cat >"$out/plan.yaml" <<PLAN
# kcc-node $version for rancher's system-upgrade-controller (docs/upgrades.md). Push the image
# first: skopeo copy oci-archive:kcc-node-upgrade_$version.oci.tar docker://REGISTRY/$image:$version
apiVersion: upgrade.cattle.io/v1
kind: Plan
metadata:
  name: kcc-node
  namespace: system-upgrade
spec:
  version: "$version"
  concurrency: 1
  serviceAccountName: system-upgrade
  nodeSelector:
    matchExpressions:
      - {key: kcc-node.io/os, operator: Exists}
  cordon: true
  prepare:
    image: $image
    command: ["/kcc-suc"]
    args: ["prepare"]
  upgrade:
    image: $image
    command: ["/kcc-suc"]
    args: ["upgrade"]
PLAN
echo "suc: $out/kcc-node-upgrade_$version.oci.tar ($(stat -c %s "$out/kcc-node-upgrade_$version.oci.tar") bytes), $out/plan.yaml"
