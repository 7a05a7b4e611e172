#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A small node-upgrade pipeline (docs/upgrades.md, "A rollout"): moves nodes in pull mode to one
# bundle, one node at a time, and halts at the first node that rolls back.
#   pipeline-rollout.sh [--timeout S] BUNDLE NODE...
# NODE is CHANNEL_DIR:SOCKET: the directory the node's update.url names (the bundle is published
# there as kcc-node.bundle) and the node's update socket (kcc-update status --socket), or, for a
# real fleet, a forwarded one. For each node in order: publish, then wait until it runs the
# bundle's version blessed (next node) or reports it rolled back (halt: the next nodes are left
# untouched). Exit 0: every node upgraded; 1: halted (rollback or time-out); 100: usage.
set -euo pipefail
timeout=600
[ "${1:-}" = --timeout ] && { timeout=$2; shift 2; }
[ $# -ge 2 ] || { echo "usage: pipeline-rollout.sh [--timeout S] BUNDLE CHANNEL_DIR:SOCKET..." >&2; exit 100; }
upd=${KCC_UPDATE:-kcc-update}
bundle=$1
shift
version=$("$upd" info "$bundle" | jq -r .version)
echo "pipeline: rolling out $version to $# node(s), one at a time"
i=0
for node in "$@"; do
	i=$((i + 1))
	channel=${node%%:*} sock=${node#*:}
	cp "$bundle" "$channel/.kcc-node.bundle.tmp"
	mv "$channel/.kcc-node.bundle.tmp" "$channel/kcc-node.bundle"
	echo "pipeline: node $i: $version published"
	deadline=$(($(date +%s) + timeout))
	while :; do
		st=$("$upd" status --socket="$sock" 2>/dev/null || true)
		if jq -e --arg v "$version" '.running.version == $v and .running.blessed' <<<"$st" >/dev/null 2>&1; then
			echo "pipeline: node $i: $version running, blessed"
			break
		fi
		if jq -e --arg v "$version" '.rolled_back and .other.version == $v' <<<"$st" >/dev/null 2>&1; then
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
