#!/usr/bin/env bash
# bench-compare-svg.sh RESULT.json: the boot timelines of the median run of kcc-node and of the
# reference side by side as an SVG on stdout: one bar per system, one segment per phase (kernel,
# initrd, switch-root, services/kubelet), on one time scale.
set -euo pipefail
jq -r '
def phases: ["kernel", "initrd", "switch-root", "services/kubelet"];
def colour: {"kernel": "#8da0cb", "initrd": "#fc8d62", "switch-root": "#e78ac3", "services/kubelet": "#66c2a5"};
(.median_run | [.kcc.kubelet_ready_ms, .reference.kubelet_ready_ms] | max) as $max
| (760 / $max) as $px
| def bar($y; $name; $run):
	"<text x=\"10\" y=\"\($y + 22)\" font-size=\"14\">\($name)</text>",
	(phases[] as $p | $run.phases_ms[$p] as $seg
	 | select($seg[0] != null and $seg[1] != null and $seg[1] >= $seg[0])
	 | "<rect x=\"\(120 + $seg[0] * $px)\" y=\"\($y)\" width=\"\(($seg[1] - $seg[0]) * $px)\" height=\"34\" fill=\"\(colour[$p])\"><title>\($p): \($seg[0])-\($seg[1]) ms</title></rect>"),
	"<text x=\"\(124 + $run.kubelet_ready_ms * $px)\" y=\"\($y + 22)\" font-size=\"12\">ready \($run.kubelet_ready_ms) ms</text>";
"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"190\" font-family=\"sans-serif\">",
"<rect width=\"1000\" height=\"190\" fill=\"white\"/>",
"<text x=\"10\" y=\"20\" font-size=\"14\">Kernel start to kubelet ready, median of \(.runs) unlock boots (\(.machine.accelerator), \(.machine.host_cores) cores, \(.date))</text>",
bar(40; "kcc-node"; .median_run.kcc),
bar(90; "systemd+dracut"; .median_run.reference),
(phases | to_entries[] | "<rect x=\"\(120 + .key * 170)\" y=\"150\" width=\"14\" height=\"14\" fill=\"\(colour[.value])\"/><text x=\"\(140 + .key * 170)\" y=\"162\" font-size=\"12\">\(.value)</text>"),
"</svg>"' "$1"
