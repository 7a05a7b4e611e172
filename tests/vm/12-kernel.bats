#!/usr/bin/env bats
# kcc-node's own kernel (image/kernel.sh, docs/kernel-config.md): the configuration it runs with is
# the merged one the build wrote next to the image, byte for byte, and no module can ever load.
load helper

setup_file() {
	vm_boot kernel --mode direct --timeout 120
}

@test "kernel: the running kernel is kcc-node's, with the merged config byte for byte (/proc/config.gz)" {
	release=$(jq -r .kernel "$IMAGE/manifest.json")
	[[ "$release" == *-kcc ]]
	assert_log kernel "kcc-test: INFO kernel-release=$release\$"
	assert_log kernel "kcc-test: INFO kernel-config-sha256=$(sha256sum <"$IMAGE/kernel.config" | cut -d' ' -f1)\$"
	[ "$(jq -r '.artifacts["kernel.config"].sha256' "$IMAGE/manifest.json")" = \
		"$(sha256sum <"$IMAGE/kernel.config" | cut -d' ' -f1)" ]
}

@test "kernel: no module can load: none shipped, signatures enforced, no key to verify one, loading disabled" {
	assert_log kernel 'kcc-init: no kernel modules to load: /etc/kcc/modules.conf is empty, the kernel has its drivers built in'
	assert_log kernel 'kcc-test: INFO module-sig-enforce=Y$'
	assert_log kernel 'kcc-test: INFO builtin-trusted-keys=empty$'
	assert_log kernel "kcc-test: INFO lib-modules=ls: /usr/lib/modules: No such file or directory ls: /lib/modules: No such file or directory \$"
	assert_log kernel 'kcc-test: PASS refused-init-module: init-module EPERM'
	grep -q '^CONFIG_MODULE_SIG_FORCE=y$' "$IMAGE/kernel.config"
	grep -q '^CONFIG_MODULE_SIG_KEY=""$' "$IMAGE/kernel.config"
	! grep -q '=m$' "$IMAGE/kernel.config"
}
