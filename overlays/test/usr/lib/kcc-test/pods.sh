# kcc-kubelet checks (busybox sh), sourced by agent.sh when kcc_test.pods=1 is on the command line:
# the default web pod, then the test manifests dropped into the writable manifest folder.

kpods() { kcc-kubelet pods 2>&1; }
kjson() { kcc-kubelet pods --json 2>/dev/null; }
# pod_line NS/NAME: its line of `kcc-kubelet pods`
pod_line() { kpods | grep "^$1 "; }
# ctr_pid NAME: the pid of the first container of pod NAME (from the JSON status)
ctr_pid() {
	kjson | sed 's/},{"namespace"/\n/g' | grep "\"name\":\"$1\"" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p' | head -n1
}
status_field() { awk -v k="$2" '$1 == k":" {$1 = ""; print substr($0, 2)}' "/proc/$1/status"; }
# ctr_ids PID Uid|Gid: the ids as the container sees them (its user namespace: "0 BASE 65536")
ctr_ids() {
	status_field "$1" "$2" | awk -v b="$(awk '{print $2}' "/proc/$1/uid_map")" \
		'{for (i = 1; i <= NF; i++) printf "%s%d", (i > 1 ? " " : ""), $i - b}'
}

h=$(wget -q -O - http://127.0.0.1:10248/healthz 2>&1)
[ "$h" = ok ] && pass kubelet-healthz "$h" || fail kubelet-healthz "$h"
h=$(wget -q -O - --post-data=x http://127.0.0.1:10248/pods 2>&1)
echo "$h" | grep -q "405" && pass kubelet-read-only "POST refused: $h" || fail kubelet-read-only "$h"

if wait_for 'pod_line kcc-web/web | grep -q " Running .*yes "' 300; then
	pass pod-web-ready "$(pod_line kcc-web/web)"
else
	fail pod-web-ready "$(kpods)"
fi
page=$(wget -q -O - http://127.0.0.1:8080/ 2>&1)
echo "$page" | grep -q "kcc-node static pod" && pass pod-web-http "$page" || fail pod-web-http "$page"

# The web container's profile, as the kernel reports it.
wp=$(ctr_pid web)
if [ -n "$wp" ]; then
	prof="$(ctr_ids "$wp" Uid) $(status_field "$wp" CapEff) $(status_field "$wp" CapBnd) NoNewPrivs:$(status_field "$wp" NoNewPrivs) Seccomp:$(status_field "$wp" Seccomp)"
	cg=$(cut -d: -f3 "/proc/$wp/cgroup")
	limits="$(cat "/sys/fs/cgroup$cg/memory.max") $(cat "/sys/fs/cgroup$cg/cpu.max") $(cat "/sys/fs/cgroup$cg/pids.max")"
	echo "$prof" | grep -q '^65534 65534 65534 65534 0000000000000000 0000000000000000 NoNewPrivs:1 Seccomp:2$' &&
		pass pod-web-profile "$prof" || fail pod-web-profile "$prof"
	echo "$cg $limits" | grep -qE '^/kubepods/pod[0-9a-f-]+/httpd 33554432 50000 100000 1024$' &&
		pass pod-web-cgroup "$cg $limits" || fail pod-web-cgroup "$cg $limits"
else
	fail pod-web-profile "no pid for web: $(kjson)"
	fail pod-web-cgroup "no pid"
fi

# Inside a pod, the node's seccomp policy (the one its services get): no user namespace, clone3
# ENOSYS (libc falls back to clone), no io_uring. The probe goes into the web container's root
# (on /var, read-only inside) and runs there through crun exec with the container's profile,
# started from the runtime's cgroup as the kubelet's exec probes are (crun list and exec signal
# the container to see it runs: the BPF LSM lets only the runtime signal pods).
if [ -n "$wp" ]; then
	for r in /var/lib/kcc-kubelet/pods/*/containers/httpd/rootfs; do cp /usr/lib/kcc-test/probe "$r/kcc-probe"; done
	out=$(sh -c 'echo $$ >/sys/fs/cgroup/services/kcc-kubelet/cgroup.procs || exit 1
		cr="crun --root /run/kcc-kubelet/crun"
		cid=$($cr list | awk -v p="$0" "\$2 == p {print \$1}")
		$cr exec "$cid" /kcc-probe ns && $cr exec "$cid" /kcc-probe uring' "$wp" 2>&1)
	expect_in pod- "$out" "unshare-newuser EPERM" "clone-newuser EPERM" "clone3 ENOSYS" \
		"clone-plain ok" "io-uring-setup EPERM"
fi

# Killing the container: the kubelet restarts it (the first restart at once) and it serves again.
# The BPF LSM refuses this agent's signals to the pods (it is a service, not the runtime): the
# kernel kills the container's cgroup.
[ -n "$cg" ] && echo 1 >"/sys/fs/cgroup$cg/cgroup.kill"
if wait_for 'pod_line kcc-web/web | grep -q "httpd=running,1,137/Error" && pod_line kcc-web/web | grep -q " yes "' 300; then
	pass pod-restart "$(pod_line kcc-web/web)"
else
	fail pod-restart "$(kpods)"
fi

# An OCI archive imported onto /var (the image's busybox layout under another name), then a pod
# that runs it.
rm -rf /tmp/imp && mkdir /tmp/imp && cp -R /usr/share/kcc-kubelet/images/busybox/. /tmp/imp/ &&
	sed -i 's/busybox:latest/imported:1/' /tmp/imp/index.json && tar -C /tmp/imp -cf /tmp/imp.tar .
out=$(kcc-kubelet import /tmp/imp.tar --name imported 2>&1)
echo "$out" | grep -q "every blob verified" && pass image-import "$out" || fail image-import "$out"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: imported}\nspec:\n  containers:\n  - name: c\n    image: imported:1\n    command: [/bin/sh, -c, "echo from-imported; exec sleep 1000"]\n' \
	>/var/lib/kcc-kubelet/manifests/imported.yaml

# More pods through the writable manifest folder on /var.
cp /usr/lib/kcc-test/manifests/* /var/lib/kcc-kubelet/manifests/
if wait_for 'pod_line default/bad | grep -q "Failed"' 100; then
	l=$(pod_line default/bad)
	echo "$l" | grep -q 'spec.containers\[0\].stdinOnce: unsupported field' &&
		pass pod-rejected "$l" || fail pod-rejected "$l"
else
	fail pod-rejected "$(kpods)"
fi
if wait_for 'pod_line default/oom | grep -q "hog=[a-z]*,[1-9][0-9]*,137/OOMKilled"' 400; then
	pass pod-oom "$(pod_line default/oom)"
else
	fail pod-oom "$(kpods)"
fi
if wait_for 'pod_line kcc-test/probes | grep -q "main=running,[1-9][0-9]*,137/Error" && pod_line kcc-test/probes | grep -q " yes "' 400; then
	pass pod-probes "$(pod_line kcc-test/probes)"
else
	fail pod-probes "$(kpods)"
fi
if wait_for 'pod_line default/netns | grep -q " Running .*yes "' 300; then
	# the host cannot reach it: port 8081 is on the pod's own loopback
	if h=$(wget -q -T 2 -O - http://127.0.0.1:8081/ 2>&1); then
		fail pod-netns-probe "the pod's port answers on the host: $h"
	else
		pass pod-netns-probe "$(pod_line default/netns); not on the host's loopback: $h"
	fi
else
	fail pod-netns-probe "$(kpods)"
fi
pp=$(ctr_pid probes)
if [ -n "$pp" ]; then
	prof="$(ctr_ids "$pp" Uid) $(status_field "$pp" CapEff) $(status_field "$pp" CapAmb) NoNewPrivs:$(status_field "$pp" NoNewPrivs) $(tr '\0' ' ' <"/proc/$pp/environ" | grep -o 'GREETING=hello') cwd=$(readlink "/proc/$pp/cwd" | sed 's|.*/rootfs||')"
	echo "$prof" | grep -q '^1000 1000 1000 1000 0000000000000400 0000000000000400 NoNewPrivs:1 GREETING=hello cwd=/scratch$' &&
		pass pod-probes-profile "$prof" || fail pod-probes-profile "$prof"
else
	fail pod-probes-profile "no pid: $(kjson)"
fi

# The CRI log of the probes pod: format, both streams, and the read-only mounts refusing writes.
log=$(ls /var/log/pods/kcc-test_probes_*/main/0.log 2>/dev/null)
if [ -n "$log" ] &&
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F started$' "$log" &&
	grep -qE 'Z stderr F to-stderr$' "$log" &&
	grep -q 'stdout F touch: /host-etc/x: Read-only file system' "$log" &&
	grep -q 'stdout F touch: /ro: Read-only file system' "$log"; then
	pass pod-cri-log "$log: $(head -c 300 "$log" | tr '\n' '|')"
else
	fail pod-cri-log "$log: $(head -c 600 "$log" 2>&1 | tr '\n' '|')"
fi

if wait_for 'grep -q "stdout F from-imported" /var/log/pods/default_imported_*/c/0.log 2>/dev/null' 300; then
	pass pod-imported-image "$(pod_line default/imported)"
else
	fail pod-imported-image "$(kpods)"
fi

# Through all of it the kubelet itself and PID 1 stayed up.
st=$(kcc-ctl status 2>&1)
echo "$st" | grep -q '^kcc-kubelet running pid=[0-9]* restarts=0$' && pass kubelet-up "$(echo "$st" | grep kubelet)" ||
	fail kubelet-up "$(echo $st)"
pod_line kcc-web/web | grep -q " Running " && pass pod-web-still-running "$(pod_line kcc-web/web)" ||
	fail pod-web-still-running "$(kpods)"

# The host fetches the page through qemu's port forward; the request shows in the pod's CRI log.
if wait_for 'grep -q "10.0.2.2" /var/log/pods/kcc-web_web_*/httpd/*.log 2>/dev/null' 900; then
	pass pod-host-request "$(grep -h '10.0.2.2' /var/log/pods/kcc-web_web_*/httpd/*.log | head -n1)"
else
	fail pod-host-request "no request from the host in the web pod's log"
fi
# The node's pod security policy and the kubelet's confinement (tests/vm/60-kubelet.bats).
. /usr/lib/kcc-test/pod-security.sh
echo "kcc-test: INFO pods: $(kpods | tr '\n' '|')"
