// SPDX-License-Identifier: GPL-2.0
/*
 * The cheapest useful hot path: count sched_switch per CPU. Used by the benchmark to
 * measure the per-invocation cost of a tp_btf program (run_time_ns / run_cnt) and by
 * the functional tests as an "is it attached and firing" probe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

/* Slot 0: sched_switch invocations on this CPU. Per-CPU, so no atomic needed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} switches SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(count_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	percpu_counter_add(&switches, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
