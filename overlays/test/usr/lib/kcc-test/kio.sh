# kcc-kubelet's image and I/O side against hostile local input (busybox sh), sourced by agent.sh
# when kcc_test.kio=1 is on the command line (tests/vm/61-kubelet-io.bats): slow HTTP clients,
# non-regular manifest files, /pods for a user who is not root, import bombs, and a container
# named like the pod's volume folder.

m=/var/lib/kcc-kubelet/manifests
images=/var/lib/kcc-kubelet/images
probe=/usr/lib/kcc-test/probe
ms() { awk '{printf "%d", $1 * 1000}' /proc/uptime; }
kline() { kcc-kubelet pods 2>&1 | grep "^$1 "; }
# (busybox wget -T prints nothing: timeout(1) bounds it instead)
healthz() { timeout 5 wget -q -O - http://127.0.0.1:10248/healthz 2>&1; }

if ! wait_for 'kline kcc-web/web | grep -q " Running .*yes "' 600; then
	fail kio-web-ready "$(kcc-kubelet pods 2>&1 | tr '\n' '|')"
fi

# A manifest that is rejected: its message must not reach the redacted /pods.
cp /usr/lib/kcc-test/manifests/bad.yaml "$m/bad.yaml"

# 40 clients (more than the kubelet's 32 connections) each sending one byte every 0.4 s, as a
# request line that never ends: /healthz keeps answering within the 2 s deadline meanwhile, and
# every slow client is cut off (408, or closed to make room) soon after it.
slow() {
	for c in G E T ' ' / h e a l t h z ' ' H T T P / 1 . 1; do
		printf '%s' "$c" || return
		sleep 0.4
	done
}
rm -f /tmp/kio-slow.*
t_start=$(ms)
for n in $(seq 40); do
	slow | nc 127.0.0.1 10248 >"/tmp/kio-slow.$n" 2>&1 &
done
sleep 0.5
answers= worst=0
for i in 1 2 3; do
	t0=$(ms)
	a=$(healthz)
	dt=$(($(ms) - t0))
	[ "$dt" -gt "$worst" ] && worst=$dt
	answers="$answers $a"
	sleep 0.3
done
if [ "$answers" = " ok ok ok" ] && [ "$worst" -lt 2000 ]; then
	pass kio-healthz-while-slow "ok ok ok, each in $worst ms or less, 40 slow clients connected"
else
	fail kio-healthz-while-slow "answers:$answers, worst $worst ms"
fi
if wait_for '[ -z "$(pidof nc)" ]' 100; then
	late=$(grep -l '408 Request Timeout' /tmp/kio-slow.* 2>/dev/null | wc -l)
	pass kio-slow-cut-off "40 slow clients cut off within $(($(ms) - t_start)) ms ($late answered 408)"
else
	fail kio-slow-cut-off "$(pidof nc | wc -w) slow clients still connected after $(($(ms) - t_start)) ms"
fi
wait

# Files named *.yaml that are not regular files, or too large: each is refused with one log line
# (the host asserts it), while a pod added after them starts. Its container is named "volumes"
# and its emptyDir volume "rootfs": were containers and volumes one namespace in the pod's folder,
# the volume would be the container's own root.
mkfifo "$m/x.yaml"
ln -s /dev/zero "$m/zero.yaml"
dd if=/dev/zero of="$m/huge.yaml" bs=1M count=2 2>/dev/null
printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: after-fifo}' 'spec:' \
	'  volumes: [{name: rootfs, emptyDir: {}}]' '  containers:' '  - name: volumes' \
	'    image: busybox:latest' \
	'    command: [/bin/sh, -c, "if [ -e /data/bin ]; then echo volume-is-root; else echo volume-separate; fi; exec sleep 1000"]' \
	'    volumeMounts: [{name: rootfs, mountPath: /data}]' \
	'    securityContext: {runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}' \
	>"$m/after-fifo.yaml"
if wait_for 'kline default/after-fifo | grep -q " Running "' 900; then
	pass kio-fifo-manifest "$(kline default/after-fifo); healthz $(healthz)"
else
	fail kio-fifo-manifest "$(kcc-kubelet pods 2>&1 | tr '\n' '|')"
fi
if wait_for 'grep -qh "stdout F volume-" /var/log/pods/default_after-fifo_*/volumes/0.log 2>/dev/null' 300; then
	l=$(grep -h "stdout F volume-" /var/log/pods/default_after-fifo_*/volumes/0.log)
	echo "$l" | grep -q 'volume-separate$' && pass kio-container-named-volumes "$l" ||
		fail kio-container-named-volumes "$l"
else
	fail kio-container-named-volumes "no output: $(kline default/after-fifo)"
fi
rm -f "$m/x.yaml" "$m/zero.yaml" "$m/huge.yaml"

# /pods on 127.0.0.1 for a user who is not root: no host PIDs, no messages; the full status only
# over the root-only socket.
wait_for 'kline default/bad | grep -q Failed' 100
full=$(kcc-kubelet pods --json 2>&1)
red=$("$probe" as-user 65534 /usr/bin/timeout 5 /usr/bin/wget -q -O - http://127.0.0.1:10248/pods 2>&1)
if echo "$full" | grep -q '"pid":[0-9]' && echo "$full" | grep -q stdinOnce &&
	echo "$red" | grep -q '"name":"web"' && ! echo "$red" | grep -qE '"pid"|"message"|stdinOnce'; then
	pass kio-pods-redacted "$(echo "$red" | head -c 300)"
else
	fail kio-pods-redacted "user 65534 got: $(echo "$red" | head -c 400); root got: $(echo "$full" | head -c 200)"
fi
out=$("$probe" as-user 65534 /usr/bin/kcc-kubelet pods 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'Permission denied (the full status is for root' &&
	pass kio-pods-socket-root-only "exit $rc: $out" || fail kio-pods-socket-root-only "exit $rc: $out"

# Import bombs: 1 MiB of gzip that unpacks to a file of 600 MiB (more than the per-import limit
# and the free space of /var), and 5000 empty files (more than 4096 entries). Each is refused with
# its limit named and leaves nothing on /var; the pods keep running.
rm -rf /tmp/bb && mkdir /tmp/bb && truncate -s 600M /tmp/bb/zeros
tar -C /tmp/bb -cf - zeros 2>/dev/null | head -c 512 >/tmp/bb.hdr
gzip -c /tmp/bb.hdr >/tmp/bomb.tar.gz
dd if=/dev/zero bs=1M count=1 2>/dev/null | gzip -c >/tmp/bb.z
for i in 1 2 3 4 5 6 7 8 9 10; do cat /tmp/bb.z /tmp/bb.z >/tmp/bb.z2 && mv /tmp/bb.z2 /tmp/bb.z; done
cat /tmp/bb.z >>/tmp/bomb.tar.gz
rm -rf /tmp/bb /tmp/bb.z /tmp/bb.hdr
mkdir /tmp/fb && (cd /tmp/fb && seq 5000 | xargs touch) && tar -C /tmp/fb -czf /tmp/files.tar.gz . && rm -rf /tmp/fb
for bomb in bomb files; do
	before_ls=$(ls -A "$images" | tr '\n' ' ')
	before_kb=$(df -k /var | awk 'NR == 2 {print $3}')
	out=$(kcc-kubelet import "/tmp/$bomb.tar.gz" --name "$bomb" 2>&1)
	rc=$?
	after_ls=$(ls -A "$images" | tr '\n' ' ')
	after_kb=$(df -k /var | awk 'NR == 2 {print $3}')
	grew=$((after_kb - before_kb))
	if [ $rc -eq 1 ] && echo "$out" | grep -qE 'import refused: .*more than [0-9]+ (bytes unpacked|entries) \(' &&
		[ "$before_ls" = "$after_ls" ] && [ "$grew" -lt 1024 ]; then
		pass "kio-import-$bomb" "exit $rc: $out; $images: $after_ls; /var grew $grew KiB"
	else
		fail "kio-import-$bomb" "exit $rc: $out; $images before: $before_ls, after: $after_ls; /var grew $grew KiB"
	fi
done
rm -f /tmp/bomb.tar.gz /tmp/files.tar.gz

st=$(kcc-ctl status 2>&1 | grep '^kcc-kubelet ')
h=$(healthz)
if echo "$st" | grep -q 'running pid=[0-9]* restarts=0$' && [ "$h" = ok ] &&
	kline kcc-web/web | grep -q " Running " && kline default/after-fifo | grep -q " Running "; then
	pass kio-pods-still-running "$st; healthz $h; $(kline kcc-web/web)"
else
	fail kio-pods-still-running "$st; healthz $h; $(kcc-kubelet pods 2>&1 | tr '\n' '|')"
fi
