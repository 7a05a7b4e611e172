# Sourced by build.sh: the image version, the security epoch, the update-signing keys and the
# update bundle (docs/upgrades.md, "Update bundle"). Uses build.sh's variables (top, here, bin,
# keys, out, w, variant).

# The default version, derived from the tree so that the same tree gives the same version: the
# last commit's date (UTC) and short hash, "-dirty-" and a hash of the uncommitted diff when there
# is one. Sorts by commit date, as the boot loader sorts UKIs by version. No '+' (the loader's try
# counter follows the version in a UKI's file name).
default_version() {
	local v d
	v=$(git -C "$top" log -1 --format='%cd.g%h' --date=format-local:%Y%m%d.%H%M%S 2>/dev/null) || v=
	[ -n "$v" ] || { echo 0.dev; return; }
	d=$(git -C "$top" diff HEAD 2>/dev/null | sha256sum | cut -c1-8)
	git -C "$top" diff --quiet HEAD 2>/dev/null || v=$v-dirty-$d
	echo "$v"
}

# version_epoch VERSION EPOCH: checks and sets $version and $epoch (EPOCH empty: image/security-epoch).
version_epoch() {
	version=${1:-$(default_version)}
	[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$ ]] ||
		bad_input "version '$version' must be 1..64 of A-Z a-z 0-9 . _ ~ - (starting with a letter or digit)"
	epoch=${2:-$(grep -v '^#' "$here/security-epoch" | tr -d ' \n')}
	[[ $epoch =~ ^[0-9]{1,5}$ ]] && [ "$epoch" -le 65535 ] ||
		bad_input "security epoch '$epoch' must be a number in 0..65535"
	bundle_name=kcc-node_$version.bundle
}

# The update-signing key of this variant (Ed25519): test images have their own, never the
# production one (a test image keeps every capability; no node must accept it as an update).
update_key() {
	if [ "$variant" = test ]; then echo "$keys/update-signing-test"; else echo "$keys/update-signing"; fi
}
update_keys() {
	local fp update_key
	update_key=$(update_key)
	[ -f "$update_key-private-key.pem" ] && [ -f "$update_key-public-key.pem" ] ||
		bad_input "no update-signing key pair $update_key-{private,public}-key.pem"
	fp() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
	if [ "$variant" = test ] && [ -f "$keys/update-signing-public-key.pem" ] &&
		[ "$(fp "$keys/update-signing-public-key.pem")" = "$(fp "$update_key-public-key.pem")" ]; then
		bad_input "refusing to sign a test image with the production update-signing key (test images need their own update-signing-test key)"
	fi
}

# The public key the node checks bundles against, on the verity root.
install_update_key() {
	install -D -m 0644 "$(update_key)-public-key.pem" "$1/usr/lib/kcc/update-key.pem"
}

# The bundle, then its verification by kcc-update against the key the root carries.
bundle() {
	[ -x "$bin/mkbundle" ] && [ -x "$bin/kcc-update" ] || bad_input "$bin/mkbundle or kcc-update is missing; run make first"
	rm -f "$out"/kcc-node_*.bundle
	"$bin/mkbundle" --key "$(update_key)-private-key.pem" --version "$version" --epoch "$epoch" \
		--variant "$variant" --roothash "$(cat "$out/roothash")" --out "$out/$bundle_name" \
		"$out/root.erofs" "$out/root.verity" "$out/kcc-node.efi" "$out/tpm2-pcr-signature.json" ||
		die "mkbundle failed"
	"$bin/kcc-update" verify-bundle --key "$w/root/usr/lib/kcc/update-key.pem" "$out/$bundle_name" >/dev/null ||
		die "the bundle just written does not verify"
}
