// SPDX-License-Identifier: GPL-2.0
/*
 * Counts calls of a user-space function (attachUprobe; the tests use libc's getppid).
 * target_tgid restricts the count to one process even when the probe is attached
 * system-wide (pid -1).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

/* Count only this process (tgid); 0 = every process. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("uprobe")
int count_call(struct pt_regs *ctx)
{
	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	percpu_counter_add(&calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
