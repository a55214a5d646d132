// SPDX-License-Identifier: GPL-2.0
/*
 * High-rate ring-buffer producer for the delivery benchmark: one record per system call
 * entered by target_tgid (a process looping on getppid makes ~10^5-10^6 calls/s).
 * no_wakeup = true submits with BPF_RB_NO_WAKEUP, for consumers that poll periodically
 * instead of waiting on the epoll fd (no wakeup -> no self-feeding context switches).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "syscall_events.h"

const volatile __u32 target_tgid = 0;	/* 0 = every process (do not: floods) */
const volatile bool no_wakeup = false;

DECLARE_RINGBUF(events, 4 * 1024 * 1024);

/* Slot 0: records produced (submitted or dropped), to compare with what JS received. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

const struct syscall_event *unused_syscall_event __attribute__((unused));

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct syscall_event *e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (target_tgid && (pid_tgid >> 32) != target_tgid)
		return 0;
	percpu_counter_add(&produced, 1);
	e = RINGBUF_RESERVE_OR_COUNT(events, events_drops, sizeof(*e));
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = pid_tgid >> 32;
	e->syscall_nr = id;
	bpf_ringbuf_submit(e, no_wakeup ? BPF_RB_NO_WAKEUP : 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
