# make bench-compare: medians and kcc/reference ratios of the runs (tests/bench-compare.sh).
# Input variables: $k, $r (the runs' figures), $kp $ku $rp $ru (initramfs sizes in bytes, packed
# and unpacked), $rm (the reference's manifest), $accel, $cores, $date.
def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
	else ($a / $b * 1000 | round) / 1000 end;
def pair($a; $b): {kcc: $a, reference: $b, ratio: ratio($a; $b)};
def med($runs; $key): [$runs[] | .[$key] | select(. != null)] | median;
# the run whose time to kubelet ready is the median (the lower middle one for an even count)
def median_run: sort_by(.kubelet_ready_ms) | .[(length - 1) / 2 | floor];
{
	date: $date,
	machine: {host_cores: ($cores | tonumber), accelerator: $accel},
	runs: ($k | length),
	reference: $rm[0],
	metrics: {
		"kernel start to kubelet exec (ms)": pair(med($k; "kubelet_exec_ms"); med($r; "kubelet_exec_ms")),
		"kernel start to kubelet ready (ms)": pair(med($k; "kubelet_ready_ms"); med($r; "kubelet_ready_ms")),
		"kernel start to /var unlocked (ms)": pair(med($k; "unlocked_ms"); med($r; "unlocked_ms")),
		"PID 1 RSS (KiB)": pair(med($k; "pid1_rss_kb"); med($r; "pid1_rss_kb")),
		"PID 1 Private_Dirty (KiB)": pair(med($k; "pid1_private_dirty_kb"); med($r; "pid1_private_dirty_kb")),
		"initramfs packed (KiB)": pair($kp / 1024 | floor; $rp / 1024 | floor),
		"initramfs unpacked (KiB)": pair($ku / 1024 | floor; $ru / 1024 | floor),
		"TPM commands, kernel start to unlock": pair(med($k; "tpm_commands"); med($r; "tpm_commands")),
		"  the same without ContextSave/Load": pair(med($k; "tpm_commands_without_context_swaps");
			med($r; "tpm_commands_without_context_swaps"))
	},
	median_run: {kcc: ($k | median_run), reference: ($r | median_run)},
	runs_kcc: $k,
	runs_reference: $r
}
