// SPDX-License-Identifier: GPL-2.0
/*
 * Streams execs through the ring buffer `events`. The rodata knob comm_prefix /
 * comm_prefix_len keeps a consumer to its own processes (tests run several consumers
 * at once, each spawning binaries whose names carry a distinct prefix).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "exec_events.h"

/* Only report execs whose new comm starts with comm_prefix[0..comm_prefix_len). 0 = all. */
const volatile char comm_prefix[AT_TASK_COMM_LEN] = {};
const volatile __u32 comm_prefix_len = 0;

DECLARE_RINGBUF(events, 256 * 1024);

/* Puts struct exec_event into the object's BTF so its layout can be checked from TS. */
const struct exec_event *unused_exec_event __attribute__((unused));

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	char comm[AT_TASK_COMM_LEN];
	struct exec_event *e;

	bpf_get_current_comm(comm, sizeof(comm));
	if (comm_prefix_len && !comm_has_prefix(comm, comm_prefix, comm_prefix_len))
		return 0;

	e = RINGBUF_RESERVE_OR_COUNT(events, events_drops, sizeof(*e));
	if (!e)
		return 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = p->pid;
	e->tgid = p->tgid;
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	__builtin_memcpy(e->comm, comm, sizeof(comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
