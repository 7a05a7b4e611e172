#!/usr/bin/env bash
# oci-busybox.sh BUSYBOX OUTDIR VERSION: writes an OCI image layout of Debian's busybox-static
# (/bin/busybox, its applets as links, /www/index.html) into OUTDIR, named busybox:VERSION and
# busybox:latest. Reproducible: sorted tar, fixed owners and times (SOURCE_DATE_EPOCH), gzip -n.
# Exit codes: 0 ok, 100 bad input, 111 failure.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: oci-busybox.sh BUSYBOX OUTDIR VERSION" >&2; exit 100; }
bb=$1 out=$2 version=$3
[ -x "$bb" ] || { echo "oci-busybox: $bb is not an executable" >&2; exit 100; }
: "${SOURCE_DATE_EPOCH:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

r=$tmp/root
mkdir -p "$r/bin" "$r/www" "$r/tmp" "$r/etc"
install -m 0755 "$bb" "$r/bin/busybox"
for a in $("$bb" --list); do
	[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
done
chmod 1777 "$r/tmp"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
printf '<!doctype html><title>kcc-node</title><p>kcc-node static pod: busybox httpd</p>\n' \
	>"$r/www/index.html"

blobs=$out/blobs/sha256
rm -rf "$out"
mkdir -p "$blobs"
# put FILE: moves a blob into place, prints "digest size"
put() {
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$blobs/$d"
	echo "sha256:$d $s"
}

tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
	--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	-C "$r" -cf "$tmp/layer.tar" .
diff_id=sha256:$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
gzip -n -9 "$tmp/layer.tar"
read -r layer_digest layer_size < <(put "$tmp/layer.tar.gz")

created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
cat >"$tmp/config.json" <<EOF
{"architecture":"amd64","os":"linux","created":"$created","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["$diff_id"]}}
EOF
read -r config_digest config_size < <(put "$tmp/config.json")

cat >"$tmp/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$config_digest","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"$layer_digest","size":$layer_size}]}
EOF
read -r manifest_digest manifest_size < <(put "$tmp/manifest.json")

entry() {
	printf '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}' \
		"$manifest_digest" "$manifest_size" "$1"
}
printf '{"schemaVersion":2,"manifests":[%s,%s]}\n' "$(entry "busybox:$version")" "$(entry busybox:latest)" \
	>"$out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}\n' >"$out/oci-layout"
find "$out" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
