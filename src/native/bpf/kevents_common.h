/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the kevents_*.bpf.c objects: the event ring and the task identity helpers. */
#ifndef AUTOTRACER_KEVENTS_COMMON_H
#define AUTOTRACER_KEVENTS_COMMON_H

DECLARE_RINGBUF(events, 64 * 1024);

static __always_inline __u64 task_cgroup_v2(struct task_struct *p)
{
	return BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);
}

/* The v1 memory hierarchy's cgroup of p (its kn->id = the directory inode); 0 if none. */
static __always_inline __u64 task_cgroup_memory(struct task_struct *p)
{
	int id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css;
	struct cgroup *cg;

	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return 0;
	css = BPF_CORE_READ(p, cgroups, subsys[id]);
	if (!css)
		return 0;
	cg = BPF_CORE_READ(css, cgroup);
	if (!cg)
		return 0;
	/* On a v2-only controller this is the v2 cgroup again; harmless duplicate. */
	return BPF_CORE_READ(cg, kn, id);
}

/* Fills e (zeroed first) with the identity of `subject` and of current (the trigger). */
static __always_inline void kev_fill(struct kev_event *e, __u32 kind, struct task_struct *subject)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->pid = BPF_CORE_READ(subject, pid);
	e->tgid = BPF_CORE_READ(subject, tgid);
	BPF_CORE_READ_STR_INTO(&e->comm, subject, comm);
	e->cgroup_v2 = task_cgroup_v2(subject);
	e->cgroup_memory = task_cgroup_memory(subject);
	/* Not bpf_get_current_task_btf() (5.11): the low half is current->pid on any kernel. */
	e->trigger_pid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(e->trigger_comm, sizeof(e->trigger_comm));
}

static __always_inline struct kev_event *kev_reserve(__u32 kind, struct task_struct *subject)
{
	struct kev_event *e = RINGBUF_RESERVE_OR_COUNT(events, events_drops, sizeof(*e));

	if (e)
		kev_fill(e, kind, subject);
	return e;
}

#endif
