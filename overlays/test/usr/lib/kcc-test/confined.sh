# Run by the confined test service (busybox sh). Root, but without capabilities: /var is root's,
# so only Landlock can refuse the write; unshare -U needs no capability, so only seccomp can.
echo "confined: write /var: $(touch /var/confined-probe 2>&1 && echo allowed)"
echo "confined: read /etc: $(cat /etc/hostname 2>&1 >/dev/null && echo allowed)"
echo "confined: unshare: $(busybox unshare -U true 2>&1 && echo allowed)"
echo "confined: own /tmp: $(touch /tmp/mine 2>&1 && ls -A /tmp)"
exec sleep 100000
