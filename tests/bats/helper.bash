# Shared by the builder's BATS tests.
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=$TOP/image/build.sh
TEST_IMAGE=${KCC_TEST_IMAGE:-$TOP/build/test}
PROD_IMAGE=${KCC_PROD_IMAGE:-$TOP/build/prod}

# A copy of the overlays to break on purpose.
overlay_copy() {
	cp -R "$TOP/overlays" "$1"
}
