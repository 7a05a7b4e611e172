# Security events to the host's collector (tests/vm/85-events.bats, docs/events.md), sourced by
# agent.sh when the node configuration names a SIEM. Provokes what the host asserts on, once the
# node has joined (the forwarder's client certificate is the join's): a service crash (the
# sleeper killed: PID 1's KCC-SERVICE-CRASH on the event socket), one BPF LSM
# denial, then a flood of them (the rate limit's suppression summary), and a seccomp refusal in a
# sandbox (the kernel's audit record: KCC-SECCOMP-DENIED). Then it waits (bounded) for
# the host to say it has what it needs (http://10.0.2.100:8080/done, a stand-in control channel),
# so the node stays up while the host stops and restarts its collector.
if wait_for '[ -s /run/kcc-identity/node.crt ]' 3000; then
	pass events-joined "$(ls -l /run/kcc-identity | tr -s ' ' | tr '\n' ' ')"
else
	fail events-joined "no /run/kcc-identity/node.crt after 300 s"
fi
# Both services' profiles as the kernel sees them (docs/security-profiles.md): uid, gid,
# effective capabilities, no_new_privs, seccomp mode. The host compares them.
for svc in kcc-attest kcc-forward; do
	p=$(head -n1 /sys/fs/cgroup/services/$svc/cgroup.procs 2>/dev/null)
	echo "kcc-test: INFO profile-$svc: $([ -n "$p" ] && awk '/^(Uid|Gid|CapEff|NoNewPrivs|Seccomp):/ {printf "%s %s ", $1, $2}' /proc/$p/status)"
done
# The secret the verifier released with the join (docs/attestation.md, "Released secrets"), offered
# to a pod as a read-only secret volume; a secret it did not release keeps its pod waiting.
if wait_for '[ -e /run/kcc-identity/secrets/db-password ]' 600; then
	pass secret-released "$(ls -ln /run/kcc-identity/secrets | tr -s ' ' | tr '\n' ' ')"
else
	fail secret-released "no /run/kcc-identity/secrets/db-password"
fi
cp /usr/lib/kcc-test/secret-pods/* /var/lib/kcc-kubelet/manifests/
if wait_for 'grep -q "stdout F secret=" /var/log/pods/default_secret_*/c/0.log 2>/dev/null' 600; then
	pass secret-volume "$(grep -h "stdout F\|stderr F" /var/log/pods/default_secret_*/c/0.log | cut -d' ' -f3- | tr '\n' ' ')"
else
	fail secret-volume "no output from the secret pod: $(kcc-kubelet pods 2>&1 | grep secret)"
fi
if wait_for 'kcc-kubelet pods --json 2>/dev/null | grep -q "not-released.* was not released to this node"' 300; then
	pass secret-missing "the pod naming not-released waits: CreateContainerConfigError"
else
	fail secret-missing "$(kcc-kubelet pods --json 2>&1 | head -c 600)"
fi
# The BPF LSM refuses one service's signals to another: the kernel kills the sleeper's cgroup.
sp=$(pid_of_sleeper)
echo 1 >/sys/fs/cgroup/services/sleeper/cgroup.kill &&
	pass events-crash "killed the sleeper (pid $sp)" || fail events-crash "cgroup.kill of the sleeper"
kill -HUP 1 2>/dev/null && fail events-denial "kill -HUP 1 delivered" || pass events-denial "kill -HUP 1 refused"
i=0
while [ $i -lt 200 ]; do
	kill -HUP 1 2>/dev/null
	i=$((i + 1))
done
# A dangerous call a sandboxed service's seccomp filter refuses, logged by the kernel as an audit
# record (the stacked log filter, docs/events.md "From the audit stream"): unshare from busybox,
# under the default service profile, as uid 4242 (no service has it).
mkdir -p /tmp/audit-probe
echo 'exec = /usr/bin/busybox unshare -U true' >/tmp/audit-probe/audit-probe.conf
if out=$(/usr/lib/kcc/kcc-sandbox /tmp/audit-probe audit-probe 4242:4242 2>&1); then
	fail events-seccomp "unshare allowed in the sandbox: $out"
else
	pass events-seccomp "unshare refused in the sandbox: $out"
fi
pass events-provoked "1 crash, 1 + 200 denials, 1 seccomp refusal"
if wait_for 'busybox wget -q -O /dev/null http://10.0.2.100:8080/done 2>/dev/null' 3000; then
	pass events-host-done "the host has the events"
else
	fail events-host-done "the host did not say done within 300 s"
fi
