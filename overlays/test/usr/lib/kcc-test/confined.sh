# Run by the confined test service (busybox sh), as its own uid without capabilities: the
# read-only view refuses the write to /var (EROFS), only Landlock the listing of /var (root's, 0755)
# and the write to /dev/full (a device node: the read-only view does not stop it, without Landlock
# it fails with ENOSPC); unshare -U needs no capability, so only seccomp can refuse it.
echo "confined: uid $(id -u)"
echo "confined: write /var: $(touch /var/confined-probe 2>&1 && echo allowed)"
echo "confined: write /dev/full: $( (echo x >/dev/full) 2>&1 && echo allowed)"
echo "confined: list /var: $(ls /var 2>&1 >/dev/null || true)"
echo "confined: read /etc: $(cat /etc/hostname 2>&1 >/dev/null && echo allowed)"
echo "confined: unshare: $(busybox unshare -U true 2>&1 && echo allowed)"
echo "confined: own /tmp: $(touch /tmp/mine 2>&1 && ls -A /tmp)"
# The shell's builtin read: Landlock allows this process's /proc/self, not a child's.
view=
while read -r _ dir _ opts _; do [ "$dir" = /var ] && view=${opts%%,*}; done </proc/self/mounts
echo "confined: /var view: $view"
# The node's seccomp policy (clone without namespace flags, clone3 ENOSYS, no unshare or setns)
# and the BPF LSM (no signal to PID 1: signal 0, the same permission check, harmless where a
# weaker mode runs without the LSM), one line per check (tests/vm/50-hardening.bats).
{ /usr/lib/kcc-test/probe ns; /usr/lib/kcc-test/probe kill 1 0; } 2>&1 |
	while read -r l; do echo "confined: probe $l"; done
exec sleep 100000
