// SPDX-License-Identifier: GPL-2.0
/*
 * Empty programs on the scheduler hooks waitrate uses. They do nothing, so what they cost
 * is the floor every tp_btf program on these hooks pays: the tracepoint dispatch
 * (__bpf_trace_run: recursion guard, RCU, the call) and, with BPF stats on, the two
 * clock reads around the run that run_time_ns itself measures. The waitrate bench
 * reports its programs against this floor, measured in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_wakeup, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(floor_wakeup_new, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(floor_migrate, struct task_struct *p, int dest_cpu)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
