// SPDX-License-Identifier: GPL-2.0
/*
 * oom, for kernels whose oom/mark_victim passes only `int pid` (before 6.9, unless the
 * task-argument change was backported; src/native/features.ts picks by BTF). Reading that
 * argument as a task pointer, as kevents_oom.bpf.c does, gives zeros there.
 *
 * The OOM killer sends the victim SIGKILL just before mark_oom_victim() (__oom_kill_process),
 * in the same task: signal_generate names the victim task, so its identity, cgroups and
 * total_vm are stashed by pid there and joined at mark_victim. The classic tracepoint's
 * record starts with `int pid` after the 8-byte common header in both shapes, so this
 * object also works (and is tested) on kernels with the newer shape. When no SIGKILL
 * preceded (a victim already exiting is marked without one), the event carries the pid
 * only and user space resolves the rest while /proc/<pid> lasts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "kevents.h"
#include "kevents_common.h"

#define KEV_SIGKILL 9

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct kev_event);
} sigkilled SEC(".maps");

/* One scratch record per CPU: kev_event is too big for the 512-byte stack with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kev_event);
} scratch SEC(".maps");

SEC("tp_btf/signal_generate")
int BPF_PROG(kev_oom_sigkill, int sig, struct kernel_siginfo *info, struct task_struct *task)
{
	__u32 zero = 0, pid;
	struct kev_event *e;
	struct mm_struct *mm;

	if (sig != KEV_SIGKILL || !task)
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	kev_fill(e, KEV_OOM_VICTIM, task);
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		e->extra = BPF_CORE_READ(mm, total_vm);
	pid = e->pid;
	bpf_map_update_elem(&sigkilled, &pid, e, BPF_ANY);
	return 0;
}

/* The classic mark_victim record: common header, then the victim pid in every kernel. */
struct kev_mark_victim_record {
	__u64 common;
	int pid;
};

SEC("tracepoint/oom/mark_victim")
int kev_oom_pid(struct kev_mark_victim_record *ctx)
{
	__u32 pid = ctx->pid;
	struct kev_event *snap = bpf_map_lookup_elem(&sigkilled, &pid);
	struct kev_event *e = RINGBUF_RESERVE_OR_COUNT(events, events_drops, sizeof(*e));

	if (!e)
		return 0;
	if (snap) {
		__builtin_memcpy(e, snap, sizeof(*e));
		e->time_ns = bpf_ktime_get_ns();
	} else {
		__builtin_memset(e, 0, sizeof(*e));
		e->time_ns = bpf_ktime_get_ns();
		e->kind = KEV_OOM_VICTIM;
		e->pid = pid;
		e->trigger_pid = bpf_get_current_pid_tgid() & 0xffffffff;
		bpf_get_current_comm(e->trigger_comm, sizeof(e->trigger_comm));
	}
	bpf_ringbuf_submit(e, 0);
	if (snap)
		bpf_map_delete_elem(&sigkilled, &pid);
	return 0;
}

const struct kev_event *unused_kev_event __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
