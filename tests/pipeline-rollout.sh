#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A small node-upgrade pipeline (docs/upgrades.md, "A rollout"): moves nodes in pull mode to one
# bundle, one node at a time, and halts at the first node that rolls back.
#   pipeline-rollout.sh [--timeout S] BUNDLE NODE...
# NODE is CHANNEL_DIR:STATUS: the directory the node's update.url names (the bundle is published
# there as kcc-node.bundle) and where the node's `kcc-update status` is read: its update socket
# (kcc-update status --socket, or a forwarded one), or http://HOST:PORT/status, the node's
# read-only status endpoint (update.status-port; no shell, no socket, no credentials: what a
# pipeline outside the node reads). For each node in order: publish, then wait until it runs the
# bundle's version blessed (next node) or reports it rolled back (halt: the next nodes are left
# untouched). Exit 0: every node upgraded; 1: halted (rollback or time-out); 100: usage.
set -euo pipefail
timeout=600
[ "${1:-}" = --timeout ] && { timeout=$2; shift 2; }
[ $# -ge 2 ] || { echo "usage: pipeline-rollout.sh [--timeout S] BUNDLE CHANNEL_DIR:SOCKET|CHANNEL_DIR:http://HOST:PORT/status..." >&2; exit 100; }
upd=${KCC_UPDATE:-kcc-update}
bundle=$1
shift
version=$("$upd" info "$bundle" | jq -r .version)
# status WHERE: the node's kcc-update status JSON (nothing while it is down or rebooting)
status() {
	case $1 in
	http://*) curl -fsS --max-time 10 "$1" ;;
	*) "$upd" status --socket="$1" ;;
	esac
}
echo "pipeline: rolling out $version to $# node(s), one at a time"
i=0
for node in "$@"; do
	i=$((i + 1))
	channel=${node%%:*} where=${node#*:}
	cp "$bundle" "$channel/.kcc-node.bundle.tmp"
	mv "$channel/.kcc-node.bundle.tmp" "$channel/kcc-node.bundle"
	echo "pipeline: node $i: $version published"
	deadline=$(($(date +%s) + timeout))
	while :; do
		st=$(status "$where" 2>/dev/null || true)
		# no answer (the node is down, its endpoint has no status yet): jq -e of no input is true
		if [ -z "$st" ]; then
			:
		elif jq -e --arg v "$version" '.running.version == $v and .running.blessed' <<<"$st" >/dev/null 2>&1; then
			echo "pipeline: node $i: $version running, blessed"
			break
		elif jq -e --arg v "$version" '.rolled_back and .other.version == $v' <<<"$st" >/dev/null 2>&1; then
			echo "pipeline: node $i: $version rolled back (running $(jq -r .running.version <<<"$st")): halted, $(($# - i)) node(s) left untouched"
			exit 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "pipeline: node $i: not on $version after ${timeout}s: halted"
			exit 1
		fi
		sleep 1
	done
done
echo "pipeline: $version on all $# node(s)"
