#!/usr/bin/env bats
# The node configuration (docs/node-config.md): read from qemu fw_cfg or SMBIOS type 11, measured
# into PCR 12 before it is parsed, applied (host name, static network); a bad one is refused line
# by line and the node boots on, unjoined.
load helper

setup_file() {
	cfg=$BATS_FILE_TMPDIR/node.json
	cat >"$cfg" <<-'JSON'
	{
	  "version": 1,
	  "hostname": "cfg-node-1",
	  "network": {"mode": "static", "interface": "eth0", "address": "10.0.2.15/24",
	              "gateway": "10.0.2.2", "dns": ["10.0.2.3", "192.0.2.53"]},
	  "kubelet": {"max-pods": 20}
	}
	JSON
	# One node, two boots: the first (fw_cfg) provisions /var, the second (another document, from
	# SMBIOS) must unlock it: PCR 12 is in no sealing policy.
	disk_copy "$BATS_FILE_TMPDIR/node.raw"
	mkdir -p "$BATS_FILE_TMPDIR/node.tpm"
	node=(--disk "$BATS_FILE_TMPDIR/node.raw" --tpm-state "$BATS_FILE_TMPDIR/node.tpm")
	vm_boot fwcfg --mode direct --timeout 120 "${node[@]}" --fw-cfg "$cfg" --until 'kcc-test: agent done'
	# Two mistakes in one document, handed over as SMBIOS OEM strings (base64, after another
	# vendor's string).
	bad=$(printf '{"version": 1, "hostname": "bad-node", "network": {"mode": "static", "address": "10.0.2.15"}, "kubelt": {}}' |
		base64 -w0)
	echo "$bad" >"$BATS_FILE_TMPDIR/bad.b64"
	vm_boot smbios --mode direct --timeout 120 "${node[@]}" --smbios-11 'io.systemd.credential:x=y' \
		--smbios-11 "io.kcc-node.config.b64=$bad" --until 'kcc-test: agent done'
}

@test "node config: fw_cfg's document is measured into PCR 12 and applied" {
	sum=$(sha256sum "$BATS_FILE_TMPDIR/node.json" | cut -d' ' -f1)
	size=$(stat -c %s "$BATS_FILE_TMPDIR/node.json")
	assert_log fwcfg "kcc-init: node config: from fw_cfg, $size bytes, sha256 $sum, measured into PCR 12"
	# The event in the log carries the document's digest, and the log replays to the TPM (PCR 12
	# included: the agent's eventlog check compares every PCR the log names).
	assert_log fwcfg "kcc-test: INFO node-config-event=$sum$"
	assert_log fwcfg 'kcc-test: PASS eventlog:'
	assert_log fwcfg "kcc-test: INFO node-config=valid fw_cfg $sum hostname=cfg-node-1$"
	assert_log fwcfg 'kcc-init: host name cfg-node-1'
	# A static network and no time servers: neither network service starts, and the log says so.
	assert_log fwcfg 'kcc-init: network: eth0 up with 10\.0\.2\.15/24, default route'
	# its name servers, where the image's /etc/resolv.conf points
	assert_log fwcfg 'kcc-init: node config: name servers 10\.0\.2\.3 192\.0\.2\.53 \(/run/dns/resolv\.conf\)'
	assert_log fwcfg 'kcc-test: INFO resolv=nameserver 10\.0\.2\.3 nameserver 192\.0\.2\.53$'
	assert_log fwcfg 'kcc-init: node config: no time servers, no time service'
	assert_log fwcfg 'kcc-init: dhcpcd: not started, /run/kcc/dhcpcd.conf does not exist'
	assert_log fwcfg 'kcc-init: chronyd: not started, /run/kcc/chrony.conf does not exist'
	assert_log fwcfg 'kcc-init: services started'
	refute_log fwcfg 'kcc-test: FAIL'
}

@test "node config: a bad document from SMBIOS is refused with one line per error; the node boots unjoined" {
	sum=$(base64 -d "$BATS_FILE_TMPDIR/bad.b64" | sha256sum | cut -d' ' -f1)
	assert_log smbios 'kcc-init: node config \(smbios\): config: .network.address: must be ADDRESS/PREFIX'
	assert_log smbios 'kcc-init: node config \(smbios\): config: .kubelt: unknown member'
	assert_log smbios "kcc-init: node config: refused \\(smbios, sha256 $sum\\): the node stays unjoined"
	# Measured all the same (a verifier sees what was offered), and nothing of it applied.
	assert_log smbios "kcc-test: INFO node-config-event=$sum$"
	assert_log smbios "kcc-test: INFO node-config=invalid smbios $sum hostname=kcc-node$"
	assert_log smbios 'kcc-test: INFO resolv=$'
	assert_log smbios 'kcc-init: services started'
	assert_log smbios 'kcc-test: PASS eventlog:'
}

@test "node config: another configuration (another PCR 12) still unlocks the node's /var" {
	assert_log fwcfg 'kcc-init: state: provisioned'
	assert_log smbios 'kcc-init: state: key unsealed by the TPM'
	assert_log smbios 'kcc-init: state volume mounted'
}
