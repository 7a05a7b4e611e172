# kcc-node in-guest test agent (busybox sh). Each check prints one line:
#   kcc-test: PASS NAME: detail     or     kcc-test: FAIL NAME: detail
# The host (tests/vm) asserts on these lines; the agent never decides a test's outcome alone.
# Kernel command line switches: kcc_test.poweroff=0 keeps the node up (make run VARIANT=test).

pass() { echo "kcc-test: PASS $1: $2"; }
fail() { echo "kcc-test: FAIL $1: $2"; }

# Waits up to $2 tenths of a second for command $1 to succeed.
wait_for() {
	n=0
	while [ $n -lt "$2" ]; do
		eval "$1" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# smbios_test NAME: the value of the SMBIOS OEM string io.kcc-node.test.NAME=VALUE, if the host
# passed one (run-vm.sh --smbios-11): a switch for UEFI boots, whose command line is the signed
# UKI's, measured into no bound PCR.
smbios_test() {
	cat /sys/firmware/dmi/entries/11-*/raw 2>/dev/null | tr '\0' '\n' |
		grep -ao "io\.kcc-node\.test\.$1=[a-z0-9:-]*" | head -n1 | cut -d= -f2
}

# The sleeper service execs sleep, so its cgroup holds exactly its main process.
pid_of_sleeper() {
	p=$(head -n1 /sys/fs/cgroup/services/sleeper/cgroup.procs 2>/dev/null)
	[ -n "$p" ] && echo "$p"
}

echo "kcc-test: agent started"

# Report, not judge: the host knows which boot mode it started.
sb=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
if [ -e "$sb" ]; then
	# 4 bytes of attributes, then the value; efivarfs files do not seek, so read them whole.
	echo "kcc-test: INFO secureboot=$(od -An -tu1 "$sb" | awk '{print $5}')"
else
	echo "kcc-test: INFO secureboot=none"
fi

echo "kcc-test: INFO pid1-rss-kb=$(awk '/^VmRSS:/ {print $2}' /proc/1/status)"
echo "kcc-test: INFO pid1-private-dirty-kb=$(awk '/^Private_Dirty:/ {print $2}' /proc/1/smaps_rollup)"
# Where PID 1's resident memory is, by mapping (for make bench).
echo "kcc-test: INFO pid1-rss-top=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {m = NF >= 6 ? $6 : "[anon]"; sub(".*/", "", m)} /^Rss:/ {r[m] += $2} END {for (k in r) print r[k], k}' /proc/1/smaps | sort -rn | head -6 | awk '{printf "%s:%s ", $2, $1}')"
# The cost of starting kcc-init (dynamic loading from the erofs root), as after switch_root.
t0=$(cut -d' ' -f1 /proc/uptime)
kcc-init check-services /etc/kcc/services >/dev/null
t1=$(cut -d' ' -f1 /proc/uptime)
echo "kcc-test: INFO exec-kcc-init-ms=$(echo "($t1 - $t0) * 1000" | bc 2>/dev/null || echo "$t0 $t1")"

# PID 1 is kcc-sysinit from the verity root, the small system-stage PID 1 ...
exe=$(readlink /proc/1/exe)
[ "$exe" = /usr/lib/kcc/kcc-sysinit ] && pass pid1 "PID 1 is $exe" || fail pid1 "PID 1 is '$exe'"
# ... which maps none of the heavy libraries: they run in short-lived helpers.
heavy=$(grep -oE 'lib(cryptsetup|tss2-[a-z-]+|crypto|ssl|bpf|seccomp|cap|kmod|blkid|json-c|devmapper)\.so[.0-9]*' /proc/1/maps |
	sort -u | tr '\n' ' ')
[ -z "$heavy" ] && pass pid1-libs "PID 1 maps $(grep -c . /proc/1/maps) areas, none of a heavy library" ||
	fail pid1-libs "PID 1 maps $heavy"

# The root is the erofs on dm-verity, read-only.
rootline=$(awk '$2 == "/" {print $1, $3, $4}' /proc/mounts | tail -n1)
case "$rootline" in
/dev/mapper/root\ erofs\ ro*) pass verity-root "$rootline" ;;
*) fail verity-root "$rootline" ;;
esac
status=$(cat /sys/block/dm-0/dm/name 2>/dev/null)
[ "$status" = root ] && pass dm-name "dm-0 is $status" || fail dm-name "dm-0 is '$status'"

# Writing under /usr fails with EROFS.
err=$(touch /usr/kcc-test-write 2>&1)
case "$err" in
*"Read-only file system"*) pass usr-erofs "$err" ;;
*) fail usr-erofs "touch /usr said '$err'" ;;
esac

# /var is the LUKS2 state volume: ext4 on dm-crypt, nosuid, nodev, noexec.
varline=$(awk '$2 == "/var" {print $1, $3, $4}' /proc/mounts | tail -n1)
case "$varline" in
/dev/mapper/state\ ext4\ rw,nosuid,nodev,noexec*) pass var-luks "$varline" ;;
*) fail var-luks "$varline" ;;
esac
dmtype=$(for d in /sys/block/dm-*; do [ "$(cat $d/dm/name)" = state ] && cat $d/dm/uuid; done)
case "$dmtype" in CRYPT-LUKS2-*) pass var-dm "dm uuid $dmtype" ;; *) fail var-dm "dm uuid '$dmtype'" ;; esac

# A marker on /var tells the host whether this boot found the data of an earlier one.
m=/var/lib/kcc-test/marker
if [ -s $m ]; then
	echo "kcc-test: INFO var-marker=found:$(cat $m)"
else
	mkdir -p /var/lib/kcc-test && cat /proc/sys/kernel/random/uuid >$m && sync
	echo "kcc-test: INFO var-marker=created:$(cat $m)"
fi

# State-key rotation (tests/vm/long/42-rotate.bats, make check-long): kcc_test.rotate=1 asks for one at the next boot;
# every boot says whether a request is pending.
case " $(cat /proc/cmdline) " in *" kcc_test.rotate=1 "*)
	out=$(kcc-ctl rotate-key 2>&1) && pass ctl-rotate-key "$out" || fail ctl-rotate-key "$out" ;;
esac
[ -e /var/lib/kcc/rotate-key ] && echo "kcc-test: INFO rotate-request=pending" ||
	echo "kcc-test: INFO rotate-request=none"
# Volume-key rotation (tests/vm/long/44-reencrypt.bats): kcc_test.rotate=volume asks for one and
# writes 8 MiB of random data whose digest every later boot prints.
b=/var/lib/kcc-test/blob
case " $(cat /proc/cmdline) " in *" kcc_test.rotate=volume "*)
	head -c 8388608 /dev/urandom >$b && sync
	out=$(kcc-ctl rotate-key --volume 2>&1) && pass ctl-rotate-volume "$out" ||
		fail ctl-rotate-volume "$out" ;;
esac
[ -s $b ] && echo "kcc-test: INFO var-blob=$(sha256sum <$b | cut -c1-64)"
[ -e /var/lib/kcc/rotate-volume-key ] && echo "kcc-test: INFO volume-request=pending" ||
	echo "kcc-test: INFO volume-request=none"

# The event log replays to the TPM's PCR 11 and 15, with the phases in order.
out=$(kcc-pcr log 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^replay 11:sha256=.* matches the TPM' &&
	echo "$out" | grep -q '^replay 15:sha256=.* matches the TPM'; then
	pass eventlog "$(echo "$out" | grep -c '') lines, PCR 11 and 15 match"
else
	fail eventlog "rc=$rc $(echo $out)"
fi
phases=$(echo "$out" | awk '$2 == "phase" {printf "%s ", $3}')
[ "$phases" = "enter-initrd leave-initrd sysinit ready " ] && pass phases "$phases" || fail phases "'$phases'"
log=/run/kcc/tpm2-measure.log
init11=$(grep '"pcr":11,' $log | grep initial-value | grep -o '"hashAlg":"sha256","digest":"[0-9a-f]*"' | cut -d'"' -f8)
echo "kcc-test: INFO pcr11-initial=$init11"
echo "kcc-test: INFO pcrs=$(kcc-pcr read 11,15)"
# The node configuration kcc-init was given (docs/node-config.md): its status, the host name it
# led to, and the PCR 12 event that measured it.
echo "kcc-test: INFO node-config=$(cat /run/kcc/node-config.status 2>/dev/null || echo missing) hostname=$(hostname)"
cfg12=$(grep '"pcr":12,' $log | grep '"node-config"' | grep -o '"hashAlg":"sha256","digest":"[0-9a-f]*"' | cut -d'"' -f8)
echo "kcc-test: INFO node-config-event=${cfg12:-none}"
# The resolver's settings of a static network (network.dns); with DHCP, net.sh waits for them.
[ -e /run/kcc/dhcpcd.conf ] || echo "kcc-test: INFO resolv=$(grep -v '^#' /etc/resolv.conf 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
# With a verifier in the node configuration: the attestation-gated join (docs/attestation.md,
# tests/vm/80-attest.bats, the verifier on the host), done by the kcc-attest service at every
# boot; the agent waits for its certificate.
if [ -e /run/kcc/verifier-ca.pem ]; then
	if wait_for '[ -s /run/kcc-identity/node.crt ]' 3000; then
		pass attest-join "joined as system:node:$(hostname) (the kcc-attest service: $(ls -l /run/kcc-identity | tr -s ' ' | tr '\n' ' '))"
	else
		fail attest-join "no /run/kcc-identity/node.crt after 300 s (guest clock $(date -u +%Y-%m-%dT%H:%M:%SZ))"
	fi
fi
# With a SIEM in the node configuration: the events the host's collector must see.
[ -e /run/kcc/siem-destination ] && . /usr/lib/kcc-test/events.sh

# After leave-initrd nothing can unseal the state key: not with the image's signature matched to
# the current PCR 11 (none matches), and not with its enter-initrd approval forced on the TPM.
unseal() {
	kcc-pcr unseal --public-key /run/kcc/tpm2-pcr-public-key.pem \
		--signature /run/kcc/tpm2-pcr-signature.json "$@" </run/kcc/state-token.json
}
err=$(unseal 2>&1 >/dev/null)
rc=$?
case "$rc:$err" in
1:*"no signature approves the current PCR 11"*) pass unseal-after-boot "rc=$rc $err" ;;
*) fail unseal-after-boot "rc=$rc $err" ;;
esac
err=$(unseal --any-entry 2>&1 >/dev/null)
rc=$?
case "$rc:$err" in
1:*"do not have the values the signature approves"*) pass unseal-forced "rc=$rc $err" ;;
*) fail unseal-forced "rc=$rc $err" ;;
esac

# The security epoch (docs/measured-boot.md): what the TPM holds, and a stand-in for the bless
# path's call, made when the host asks with the SMBIOS OEM string
# io.kcc-node.test.raise-epoch=N (not measured into a bound PCR, unlike the command line).
raise=$(smbios_test raise-epoch)
if [ -n "$raise" ]; then
	out=$(kcc-pcr raise-epoch "$raise" --limit "$raise" --public-key /run/kcc/tpm2-pcr-public-key.pem \
		--signature /run/kcc/tpm2-pcr-signature.json 2>&1)
	echo "kcc-test: INFO raise-epoch=$raise rc=$? $out"
fi
echo "kcc-test: INFO security-epoch=$(kcc-pcr epoch 2>&1)"

# Hardening: lockdown, module loading, kexec, each with the exact errno. kcc-node's kernel has no
# /dev/mem, /dev/port, /proc/kcore (ENOENT) and no kexec at all (ENOSYS); modules_disabled=1
# refuses init_module (EPERM) before the signature check would (an empty keyring, below).
[ "$(cat /sys/kernel/security/lockdown)" = "none integrity [confidentiality]" ] &&
	pass lockdown "$(cat /sys/kernel/security/lockdown)" || fail lockdown "$(cat /sys/kernel/security/lockdown)"
probe=$(/usr/lib/kcc-test/probe)
for want in "devmem ENOENT" "kcore ENOENT" "devport ENOENT" "lockdown-none EPERM" "init-module EPERM" \
	"kexec-load ENOSYS" "kexec-file-load ENOSYS"; do
	name=${want%% *}
	got=$(echo "$probe" | grep "^$name ")
	[ "$got" = "$want" ] && pass "refused-$name" "$got" || fail "refused-$name" "got '$got', want '$want'"
done
bad=
for kv in kernel/kptr_restrict=2 kernel/dmesg_restrict=1 \
	kernel/unprivileged_bpf_disabled=1 kernel/yama/ptrace_scope=2 \
	fs/protected_regular=2 kernel/modules_disabled=1; do
	[ "$(cat /proc/sys/${kv%=*})" = "${kv#*=}" ] || bad="$bad ${kv%=*}=$(cat /proc/sys/${kv%=*})"
done
# what the kernel does not have, it needs no sysctl for
for f in /proc/sys/kernel/kexec_load_disabled /proc/sys/kernel/sysrq /proc/sys/vm/unprivileged_userfaultfd \
	/proc/sysrq-trigger; do
	[ ! -e "$f" ] || bad="$bad $f-exists"
done
[ -z "$bad" ] && pass sysctls "as set by kcc-init" || fail sysctls "$bad"

# kcc-node's kernel (tests/vm/12-kernel.bats): its configuration as built in, and no way to load
# a module even without modules_disabled: signatures enforced, no key to verify one with.
echo "kcc-test: INFO kernel-release=$(uname -r)"
echo "kcc-test: INFO kernel-config-sha256=$(zcat /proc/config.gz | sha256sum | cut -d' ' -f1)"
echo "kcc-test: INFO module-sig-enforce=$(cat /sys/module/module/parameters/sig_enforce)"
echo "kcc-test: INFO builtin-trusted-keys=$(awk '$9 == ".builtin_trusted_keys:" {print $10}' /proc/keys)"
echo "kcc-test: INFO lib-modules=$(ls -d /usr/lib/modules /lib/modules 2>&1 | tr '\n' ' ')"
echo "kcc-test: INFO cgroup-controllers=$(cat /sys/fs/cgroup/cgroup.controllers) / $(cat /sys/fs/cgroup/cgroup.subtree_control) / $(cat /sys/fs/cgroup/services/cgroup.subtree_control)"
# Service profiles, read back from /proc and cgroupfs: sleeper (its own uid) and stubborn (uid 1000)
# hold CAP_NET_BIND_SERVICE (bit 10) and nothing else, no_new_privs; sleeper's cgroup limits.
caps_of() { awk '/^(CapEff|CapBnd|CapAmb|NoNewPrivs):/ {printf "%s%s ", $1, $2}' /proc/"$1"/status; }
want="CapEff:0000000000000400 CapBnd:0000000000000400 CapAmb:0000000000000400 NoNewPrivs:1 "
got=$(caps_of "$(pid_of_sleeper)")
[ "$got" = "$want" ] && pass profile-root "sleeper: $got" || fail profile-root "sleeper: '$got', want '$want'"
# Two filters: the policy's, and on top the one that logs its dangerous refusals (docs/events.md).
got=$(awk '/^(Seccomp|Seccomp_filters):/ {printf "%s%s ", $1, $2}' /proc/"$(pid_of_sleeper)"/status)
[ "$got" = "Seccomp:2 Seccomp_filters:2 " ] && pass profile-seccomp "sleeper: $got" || fail profile-seccomp "sleeper: '$got'"
[ "$(readlink /proc/"$(pid_of_sleeper)"/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] &&
	pass profile-mountns "sleeper in its own mount namespace" || fail profile-mountns "sleeper shares PID 1's mount namespace"
sp=$(head -n1 /sys/fs/cgroup/services/stubborn/cgroup.procs)
got=$(caps_of "$sp")
[ "$got" = "$want" ] && pass profile-user "stubborn: $got" || fail profile-user "stubborn: '$got', want '$want'"
cg=/sys/fs/cgroup/services/sleeper
got="$(cat $cg/memory.max) $(cat $cg/pids.max) $(cat $cg/cpu.max)"
[ "$got" = "67108864 16 50000 100000" ] && pass profile-cgroup "sleeper: $got" || fail profile-cgroup "sleeper: '$got'"
got=$(cat /sys/fs/cgroup/services/stubborn/pids.max)
[ "$got" = 1024 ] && pass profile-default-pids "stubborn pids.max $got" || fail profile-default-pids "stubborn pids.max '$got'"
# hog went over memory.max: OOM-killed by the kernel, restarted by PID 1.
if wait_for 'grep -q "^oom_kill [1-9]" /sys/fs/cgroup/services/hog/memory.events && [ -n "$(cat /sys/fs/cgroup/services/hog/cgroup.procs)" ]' 200; then
	pass oom-restart "$(grep oom_kill /sys/fs/cgroup/services/hog/memory.events | tr '\n' ' ')running again"
else
	fail oom-restart "$(cat /sys/fs/cgroup/services/hog/memory.events | tr '\n' ' ')"
fi

# BPF LSM: code runs only from the verity root. The same binary runs from the root and is refused
# from /tmp (exec allowed by the mount: the BPF LSM says EPERM) and /var, /run (noexec: EACCES).
P=/usr/lib/kcc-test/probe
expect() { # NAME WANT COMMAND...: one probe result line
	name=$1 want=$2
	shift 2
	got=$("$@" 2>&1 | head -n1)
	[ "$got" = "$want" ] && pass "$name" "$*: $got" || fail "$name" "$*: got '$got', want '$want'"
}
expect exec-root "exec ok" $P exec $P
for d in /tmp /var /run; do cp $P $d/kcc-probe-copy; done
expect exec-tmp "exec EPERM" $P exec /tmp/kcc-probe-copy
expect exec-var "exec EACCES" $P exec /var/kcc-probe-copy
expect exec-run "exec EACCES" $P exec /run/kcc-probe-copy
expect mmap-root "mmap-exec ok" $P mmap $P
expect mmap-tmp "mmap-exec EPERM" $P mmap /tmp/kcc-probe-copy
expect mprotect-tmp "mprotect-exec EPERM" sh -c "$P mmap /tmp/kcc-probe-copy | tail -n1"
expect ptrace-pid1 "ptrace EPERM" $P ptrace 1
expect ptrace-service "ptrace EPERM" $P ptrace "$(pid_of_sleeper)"
# Unless the image names this agent in bpf_allow_service (a test of that setting).
if grep -qx 'bpf_allow_service = test-agent' /etc/kcc/hardening.conf 2>/dev/null; then
	expect bpf-load "bpf-load ok" $P bpf
else
	expect bpf-load "bpf-load EPERM" $P bpf
fi
rm -f /tmp/kcc-probe-copy /var/kcc-probe-copy /run/kcc-probe-copy

# expect_in NAME-PREFIX OUTPUT WANT...: one check per wanted line of a probe's output.
expect_in() {
	pre=$1 out=$2
	shift 2
	for want in "$@"; do
		got=$(echo "$out" | grep "^${want%% *} ")
		[ "$got" = "$want" ] && pass "$pre${want%% *}" "$got" || fail "$pre${want%% *}" "got '$got', want '$want'"
	done
}
# The BPF LSM refuses what this agent (a service, root, every capability, no seccomp) could
# otherwise do: signal PID 1 or another service, make a user namespace (the container runtime
# only), reach BPF objects by id or pin (and the lock holds after trying), executable memory
# that is not a verity-root file's (W^X), copy-on-write pages of a root file made executable
# (execmod; the same mapping without copies may), writes through /proc/PID/mem, and opening a
# sysctl for writing (root with every capability: only the LSM refuses; reading stays allowed).
# SIGTERM to PID 1 would reboot: only where the BPF LSM is active (not in a weaker mode).
if grep -qw bpf /sys/kernel/security/lsm; then
	expect lsm-kill-pid1 "kill EPERM" $P kill 1 15
	# and from outside every service (the root cgroup, where only PID 1 lives): the rule that
	# no one but PID 1 signals PID 1, not the one that keeps services in their subtree
	# (signal 0: the same permission check, harmless)
	expect lsm-kill-pid1-root "kill EPERM" sh -c 'echo $$ >/sys/fs/cgroup/cgroup.procs && exec "$0" kill 1 0' $P
	# F_SETOWN: the kernel would send SIGTERM to PID 1; refused without an errno, the denial is
	# in PID 1's log and the boot goes on.
	expect lsm-sigio-pid1 "sigio ok" $P sigio 15
fi
expect lsm-kill-service "kill EPERM" $P kill "$(pid_of_sleeper)" 9
expect_in lsm- "$($P ns)" "unshare-newuser EPERM" "clone-newuser EPERM"
if ! grep -qx 'bpf_allow_service = test-agent' /etc/kcc/hardening.conf 2>/dev/null; then
	expect_in lsm- "$($P bpf-ids)" "map-by-id EPERM" "prog-by-id EPERM" "link-by-id EPERM" \
		"obj-get EPERM" "bpf-load-after EPERM"
fi
expect_in lsm- "$($P wx $P)" "anon-exec EPERM" "mprotect-rw-rx EPERM" "file-wx EPERM" \
	"proc-self-mem EPERM" "cow-exec EPERM" "mprotect-root-rx ok"
expect_in lsm- "$($P proc-sys)" "proc-sys-write EPERM" "proc-sys-read ok"

# The boot timeline exists as JSON once "services started" wrote it: the agent starts after
# sleeper only, so a kubelet's readiness may still be pending. Wait for the file (3 minutes at most).
if wait_for "grep -q '\"stages\":\[' /run/kcc/boot-timeline.json 2>/dev/null" 1800; then
	pass timeline "$(cat /run/kcc/boot-timeline.json)"
else
	fail timeline "no /run/kcc/boot-timeline.json"
fi

# Each service runs in its own cgroup.
p=$(pid_of_sleeper)
cg=$(cat /proc/"$p"/cgroup 2>/dev/null)
[ "$cg" = "0::/services/sleeper" ] && pass cgroup "sleeper pid $p in $cg" || fail cgroup "sleeper pid '$p' in '$cg'"

# A service with user = 1000:1000 runs with that uid and gid, and no supplementary groups.
# Every process of its cgroup (the shell and its sleep) must have them.
ok=0 bad=0 ids=
for sp in $(cat /sys/fs/cgroup/services/stubborn/cgroup.procs 2>/dev/null); do
	ids=$(awk '/^Uid:|^Gid:|^Groups:/ {printf "%s%s ", $1, $2}' /proc/"$sp"/status 2>/dev/null)
	[ "$ids" = "Uid:1000 Gid:1000 Groups: " ] && ok=$((ok + 1)) || [ -z "$ids" ] || bad=$((bad + 1))
done
[ $ok -gt 0 ] && [ $bad -eq 0 ] && pass user "$ok processes of stubborn: $ids" || fail user "stubborn: $ok right, $bad wrong ($ids)"

# Killing the test service restarts it (twice, to see the backoff grow).
for round in 1 2; do
	old=$(pid_of_sleeper)
	# The BPF LSM refuses this service's signals to another service: the kernel kills it.
	echo 1 >/sys/fs/cgroup/services/sleeper/cgroup.kill
	if wait_for 'new=$(pid_of_sleeper) && [ "$new" != "$old" ]' 100; then
		pass "restart-$round" "sleeper $old killed, now pid $new"
	else
		fail "restart-$round" "sleeper not restarted after kill of $old"
	fi
done

# The status of PID 1 over the control socket.
# (the restarted sleeper is "starting" until it writes its readiness line: wait for it)
if wait_for 'st=$(kcc-ctl status 2>&1) && echo "$st" | grep -q "^sleeper running pid=[0-9]* restarts=2$"' 100; then
	pass ctl-status "$(echo $st)"
else
	fail ctl-status "$(echo $st)"
fi

# An unknown request is refused with exit code 100.
kcc-ctl bogus >/dev/null 2>&1
rc=$?
[ $rc -eq 100 ] && pass ctl-usage "exit $rc" || fail ctl-usage "exit $rc"

# An orphan (its parent exits first) becomes PID 1's child and is reaped by PID 1 when it exits:
# this very process, not a count of zombies, and by waiting for it to vanish, not for a time.
sh -c 'sleep 2 & echo $! >/tmp/kcc-orphan.pid; exit 0'
op=$(cat /tmp/kcc-orphan.pid)
pp=$(awk '/^PPid:/ {print $2}' /proc/"$op"/status 2>/dev/null)
if [ "$pp" != 1 ]; then
	fail reap "orphan $op has parent '$pp', not PID 1"
elif wait_for '[ ! -e /proc/$op ]' 200; then
	pass reap "orphan $op adopted by PID 1 and reaped"
else
	fail reap "orphan $op not reaped: $(grep '^State:' /proc/"$op"/status)"
fi
rm -f /tmp/kcc-orphan.pid

# kcc-kubelet's resident memory once the default pod is up (make bench).
if [ -e /etc/kcc/services/kcc-kubelet.conf ]; then
	wait_for 'kcc-kubelet pods 2>/dev/null | grep -q "^kcc-web/web .* yes "' 300
	kp=$(head -n1 /sys/fs/cgroup/services/kcc-kubelet/cgroup.procs 2>/dev/null)
	echo "kcc-test: INFO kubelet-rss-kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$kp/status" 2>/dev/null)"
	echo "kcc-test: INFO kubelet-rss-top=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {m = NF >= 6 ? $6 : "[anon]"; sub(".*/", "", m)} /^Rss:/ {r[m] += $2} END {for (k in r) print r[k], k}' "/proc/$kp/smaps" | sort -rn | head -6 | awk '{printf "%s:%s ", $2, $1}')"
fi
# Upstream mode: containerd answers on its socket (a real gRPC call by ctr).
if [ -x /usr/bin/containerd ]; then
	v=$(ctr --address /run/containerd/containerd.sock version 2>&1 | tr '\n' ' ')
	echo "$v" | grep -q 'Server: *Version: *1\.' && pass containerd-answers "$v" || fail containerd-answers "$v"
fi

# DHCP and time, when the node configuration asked for them (tests/vm/16-net-time.bats).
[ -e /run/kcc/dhcpcd.conf ] || [ -e /run/kcc/chrony.conf ] && . /usr/lib/kcc-test/net.sh

# The kubelet's pods (tests/vm/60-kubelet.bats), only when asked: they take a while.
case " $(cat /proc/cmdline) " in *" kcc_test.pods=1 "*) . /usr/lib/kcc-test/pods.sh ;; esac
# The kubelet against hostile local input (tests/vm/61-kubelet-io.bats).
case " $(cat /proc/cmdline) " in *" kcc_test.kio=1 "*) . /usr/lib/kcc-test/kio.sh ;; esac
# The update path through kcc-update's socket (tests/vm/65-update.bats): the version, the slot and
# kcc-update's status on every boot (a boot after an update has the image's own command line:
# anything added would change PCR 11 and the state key would not unseal); the apply with
# kcc_test.update=apply.
. /usr/lib/kcc-test/update.sh

echo "kcc-test: agent done"
# How to end the boot: kcc_test.shutdown=ctl (default), signals, none. signals: the BPF LSM
# refuses every signal from user space to PID 1, so the host presses ctrl-alt-del (the kernel's
# SIGINT) when the agent asks for it.
# Or the SMBIOS OEM string io.kcc-node.test.shutdown=HOW, which no PCR of the verifier's reference
# values covers (a boot that must stay up past the agent, e.g. for a renewal: 70-upstream.bats).
how=ctl
for w in $(cat /proc/cmdline); do
	case $w in kcc_test.shutdown=*) how=${w#kcc_test.shutdown=} ;; esac
done
# (UEFI boots: the SMBIOS OEM string io.kcc-node.test.shutdown=HOW)
how=$(smbios_test shutdown | grep -x 'ctl\|signals\|none' || echo "$how")
case $how in
ctl) kcc-ctl poweroff ;;
signals)
	for s in TERM USR2 INT; do
		if err=$(kill -$s 1 2>&1); then
			fail "signal-pid1-$s" "kill -$s 1 delivered"
		else
			pass "signal-pid1-$s" "kill -$s 1: $err"
		fi
	done
	echo "kcc-test: INFO waiting for ctrl-alt-del"
	;;
none) ;;
esac
