#!/usr/bin/env bash
# run-vm.sh: boots a kcc-node image under qemu (KVM when it really works, else TCG) with a swtpm TPM.
#   --image DIR          build output (vmlinuz, initramfs.cpio.zst, cmdline, disk.raw, kcc-node.efi)
#   --mode direct|uefi   direct kernel boot (fast), or OVMF + Secure Boot + UKI from the ESP
#   --disk FILE          raw disk to boot (default: a throw-away overlay on DIR/disk.raw)
#   --cmdline STRING     replace the kernel command line (direct mode only)
#   --initrd FILE        replace the initramfs (direct mode only: another system on the same disk
#                        and TPM, as an attacker who boots another signed kernel would)
#   --vars FILE          OVMF variable store to use (uefi mode; default: enrolled test keys)
#   --vars-keep          boot on the --vars FILE itself, not a copy: the variables the guest writes
#                        stay in FILE for the next boot
#   --no-tpm             boot without a TPM
#   --tpm-state DIR      keep the TPM's state in DIR across boots (default: a fresh TPM each boot)
#   --tpm-log FILE       swtpm's log at level 20 (every TPM command it reads, in hex) into FILE
#   --timeout S          hard time limit (default 120); qemu is killed after it
#   --log FILE           serial console log (default: stdout)
#   --until REGEX        stop qemu as soon as the serial log matches (exit code 0 then)
#   --cad-on REGEX       press ctrl-alt-del on the guest's keyboard (qemu monitor) once the serial
#                        log matches: the kernel's own SIGINT to PID 1
#   --interactive        serial console on the terminal (make run)
#   --forward H:G        forward 127.0.0.1:H on the host to TCP port G of the guest (repeatable)
#   --guest-forward G:H  the guest's connections to 10.0.2.100:G go to 127.0.0.1:H on the host
#                        (a host service the guest may reach, e.g. kcc-verify; repeatable)
#   --print-accel        print the accelerator it would use (kvm or tcg) and exit
#   --fw-cfg FILE        hand FILE to the guest as qemu fw_cfg opt/io.kcc-node/config (node config)
#   --test-bundle FILE   hand FILE (an update bundle) to the guest as a second, read-only virtio disk
#                        (/dev/vdb, its size rounded up to 512 bytes: the guest reads its first N bytes)
#   --test-pause STEP    test images: kcc-init holds the boot after STEP (fw_cfg opt/io.kcc-node/test-pause,
#                        measured nowhere, unlike kcc_test.pause= on the command line), for a power cut
#   --smbios-11 STRING   an SMBIOS type 11 OEM string (repeatable; node config as
#                        io.kcc-node.config.b64=BASE64)
#   --reboots N          let the guest reboot (or be reset) N times in the same qemu, with the same
#                        TPM and disk, instead of exiting on the first reset (-no-reboot); boots are
#                        counted in the serial log (direct: "Linux version", uefi: the firmware's
#                        "BdsDxe: loading Boot"), and qemu is stopped (exit 0) when boot N+2
#                        starts. Needs --log. A poweroff still ends qemu.
#   --watchdog           an i6300esb hardware watchdog whose expiry resets the guest
#   --host-udp           lift restrict=on: the guest's UDP (and TCP) to 10.0.2.2:PORT reaches the
#                        host's 127.0.0.1:PORT (a stand-in NTP server on the host); qemu's guestfwd
#                        forwards TCP only. The guest can then reach what the host reaches.
# Exit codes: qemu's (0 after a guest poweroff), 124 on time-out, 100 usage, 111 set-up failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vars_keep=0 reboots= watchdog=0 test_pause= fwcfg= test_bundle= smbios=() restrict=on forwards= image= mode=direct disk= cmdline= initrd= vars= tpm=1 tpm_state= tpm_log= timeout_s=120 log= interactive=0 until= print_accel=0 cad_on=
usage() { echo "run-vm: $*" >&2; exit 100; }
while [ $# -gt 0 ]; do
	case $1 in
	--image) image=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--vars) vars=$2; shift 2 ;;
	--vars-keep) vars_keep=1; shift ;;
	--no-tpm) tpm=0; shift ;;
	--tpm-state) tpm_state=$2; shift 2 ;;
	--tpm-log) tpm_log=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--until) until=$2; shift 2 ;;
	--cad-on) cad_on=$2; shift 2 ;;
	--print-accel) print_accel=1; shift ;;
	--fw-cfg) fwcfg=$2; shift 2 ;;
	--test-pause)
		[[ ${2:-} =~ ^[a-z0-9-]+$ ]] || usage "--test-pause needs a step name"
		test_pause=$2; shift 2 ;;
	--test-bundle) test_bundle=$2; shift 2 ;;
	--smbios-11) smbios+=("$2"); shift 2 ;;
	--reboots)
		[[ ${2:-} =~ ^[0-9]+$ ]] || usage "--reboots needs a number"
		reboots=$2; shift 2 ;;
	--watchdog) watchdog=1; shift ;;
	--host-udp) restrict=off; shift ;;
	--forward)
		[[ ${2:-} =~ ^[0-9]+:[0-9]+$ ]] || usage "--forward needs HOSTPORT:GUESTPORT"
		forwards+=",hostfwd=tcp:127.0.0.1:${2%%:*}-:${2##*:}"; shift 2 ;;
	--guest-forward)
		[[ ${2:-} =~ ^[0-9]+:[0-9]+$ ]] || usage "--guest-forward needs GUESTPORT:HOSTPORT"
		# cmd: one connection to the host per guest connection (a tcp: chardev would be one
		# connection, opened when qemu starts)
		forwards+=",guestfwd=tcp:10.0.2.100:${2%%:*}-cmd:busybox nc 127.0.0.1 ${2##*:}"; shift 2 ;;
	*) usage "unknown option '$1'" ;;
	esac
done
if [ $print_accel -eq 0 ]; then
	[ -n "$image" ] && [ -d "$image" ] || usage "--image DIR is required"
fi
case $mode in direct | uefi) ;; *) usage "--mode must be direct or uefi" ;; esac

tmp=$(mktemp -d)
swtpm_pid= cad_pid= mon_pid=
cleanup() {
	[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null || true
	[ -n "$cad_pid" ] && kill "$cad_pid" 2>/dev/null || true
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# KVM only when it really works: a paused q35 guest with our CPU model must come up under KVM and
# quit cleanly through QMP (a broken KVM aborts while the vCPUs are reset, before any QMP command
# is served). KCC_ACCEL=tcg|kvm skips the probe; --print-accel prints the result and exits.
probe_accel() {
	local out
	[ -w /dev/kvm ] || { echo tcg; return; }
	out=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n' |
		timeout 30 qemu-system-x86_64 -accel kvm -cpu max -machine q35 -nodefaults \
			-display none -S -qmp stdio 2>/dev/null) && [[ "$out" == *'"return"'* ]] &&
		echo kvm || echo tcg
}
accel=${KCC_ACCEL:-}
[ -n "$accel" ] || accel=$(probe_accel)
if [ $print_accel -eq 1 ]; then
	echo "$accel"
	exit 0
fi

if [ -z "$disk" ]; then
	disk=$tmp/overlay.qcow2
	qemu-img create -q -f qcow2 -b "$(readlink -f "$image/disk.raw")" -F raw "$disk"
	fmt=qcow2
else
	fmt=$(qemu-img info --output=json "$disk" | sed -n 's/.*"format": "\(.*\)".*/\1/p')
fi

# qemu's user-mode network, restricted: the guest reaches nothing outside; forwards (both ways)
# still work (--host-udp lifts the restriction). Its built-in DHCP server answers either way.
# Under TCG the CPU model leaves out ERMS: the kernel then clears pages with rep stosq instead of
# rep stosb, which TCG emulates a byte at a time (init_on_free zeroing the freed initramfs at
# switch-root took 1.7-1.9 s with ERMS and 0.55 s without; docs/testing.md). KVM keeps the host's.
cpu=max
[ "$accel" != tcg ] || cpu=max,-erms
args=(-accel "$accel" -m 1024 -cpu "$cpu"
	-netdev "user,id=net0,restrict=$restrict$forwards" -device virtio-net-pci,netdev=net0,romfile=
	-drive "if=none,id=disk0,format=$fmt,file=$disk" -device virtio-blk-pci,drive=disk0)
if [ -z "$reboots" ]; then
	args+=(-no-reboot)
else
	[ -n "$log" ] || usage "--reboots needs --log"
	[ $interactive -eq 0 ] || usage "--reboots does not go with --interactive"
fi
[ $watchdog -eq 0 ] || args+=(-device i6300esb -action watchdog=reset)
if [ -n "$fwcfg" ]; then
	[ -f "$fwcfg" ] || usage "--fw-cfg $fwcfg: no such file"
	args+=(-fw_cfg "name=opt/io.kcc-node/config,file=$fwcfg")
fi
[ -z "$test_pause" ] || args+=(-fw_cfg "name=opt/io.kcc-node/test-pause,string=$test_pause")
if [ -n "$test_bundle" ]; then
	[ -f "$test_bundle" ] || usage "--test-bundle $test_bundle: no such file"
	args+=(-drive "if=none,id=bundle0,format=raw,readonly=on,file=$test_bundle" -device virtio-blk-pci,drive=bundle0)
fi
for s11 in "${smbios[@]}"; do
	# qemu's option parser: a comma in a value is written twice.
	args+=(-smbios "type=11,value=${s11//,/,,}")
done
if [ $interactive -eq 1 ]; then
	args+=(-nographic)
elif [ -n "$cad_on" ]; then
	[ -n "$log" ] || usage "--cad-on needs --log"
	: >"$log"
	mkfifo "$tmp/mon.in" "$tmp/mon.out"
	args+=(-display none -monitor "pipe:$tmp/mon" -serial "file:$log")
	cat "$tmp/mon.out" >/dev/null &
	mon_pid=$!
	(
		until grep -qaE "$cad_on" "$log"; do sleep 0.2; done
		echo 'sendkey ctrl-alt-delete' >"$tmp/mon.in"
	) &
	cad_pid=$!
else
	args+=(-display none -monitor none -serial "file:${log:-/dev/stdout}")
fi

if [ $tpm -eq 1 ]; then
	mkdir -p "$tmp/tpm" "${tpm_state:=$tmp/tpm}"
	log_opt=()
	[ -z "$tpm_log" ] || log_opt=(--log "file=$tpm_log,level=20,truncate")
	swtpm socket --tpmstate "dir=$tpm_state" --tpm2 --ctrl "type=unixio,path=$tmp/tpm/sock" \
		--flags startup-clear --terminate "${log_opt[@]}" >"$tmp/swtpm.log" 2>&1 &
	swtpm_pid=$!
	for _ in $(seq 50); do [ -S "$tmp/tpm/sock" ] && break; sleep 0.1; done
	[ -S "$tmp/tpm/sock" ] || { echo "run-vm: swtpm did not start" >&2; exit 111; }
	args+=(-chardev "socket,id=chrtpm,path=$tmp/tpm/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
		-device tpm-tis,tpmdev=tpm0)
fi

if [ "$mode" = direct ]; then
	args+=(-machine q35 -kernel "$image/vmlinuz" -initrd "${initrd:-$image/initramfs.cpio.zst}"
		-append "${cmdline:-$(cat "$image/cmdline")}")
else
	code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
	if [ -z "$vars" ]; then
		vars=$("$here/enroll.sh" "$image")
	fi
	varsfd=$tmp/vars.fd
	if [ $vars_keep -eq 1 ]; then
		varsfd=$vars
	else
		cp "$vars" "$varsfd"
	fi
	args+=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
		-drive "if=pflash,format=raw,unit=0,file=$code,readonly=on"
		-drive "if=pflash,format=raw,unit=1,file=$varsfd")
fi

set +e
if [ $interactive -eq 1 ]; then
	qemu-system-x86_64 "${args[@]}"
	exit $?
fi
if [ -z "$until" ] && [ -z "$reboots" ]; then
	timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 "${args[@]}"
	exit $?
fi
[ -n "$log" ] || usage "--until needs --log"
: >"$log"
boot_marker='Linux version'
[ "$mode" = uefi ] && boot_marker='BdsDxe: loading Boot'
timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 "${args[@]}" &
qpid=$!
while kill -0 "$qpid" 2>/dev/null; do
	if { [ -n "$until" ] && grep -qaE "$until" "$log"; } ||
		{ [ -n "$reboots" ] && [ "$(grep -caE "$boot_marker" "$log")" -gt $((reboots + 1)) ]; }; then
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		exit 0
	fi
	sleep 0.2
done
wait "$qpid"
exit $?
