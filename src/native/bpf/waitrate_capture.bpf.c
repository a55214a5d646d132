// SPDX-License-Identifier: GPL-2.0
/*
 * waitrate, capture window (attached for ~15 s after a spike): names who held the CPU
 * while a victim waited. Each CPU keeps a ring of its last WRC_RING run slices (cgroup,
 * host tgid); when a victim task is switched in after waiting [t0, now] on this CPU, the
 * overlap of every slice with that interval is added to matrix[victim][competitor] in
 * this CPU's slot. Exact within the ring depth; longer waits count WRC_STAT_TRUNCATED.
 * Also fills a log2(µs) histogram of the victim's waits. All writes are per-CPU or
 * per-task except `comms` (tgid -> comm of host tasks, written once per tgid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "sched_helpers.h"
#include "waitrate_capture.h"

#define ROOT_CGROUP 1

/* The victim cgroup (v2 id) to capture; 0 = every non-root cgroup (and root with track_root). */
const volatile __u64 target_cgroup = 0;
const volatile __u32 track_root = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wrc_cpu);
} cap_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WRC_MAX_PAIRS);
	__type(key, struct wrc_key);
	__type(value, __u64);
} matrix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WRC_MAX_COMMS);
	__type(key, __u32);
	__type(value, char[AT_TASK_COMM_LEN]);
} comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, WRC_MAX_VICTIMS);
	__type(key, __u64);
	__type(value, struct wrc_hist);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct wrc_task);
} cap_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WRC_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline bool is_victim(__u64 cg)
{
	if (!cg)
		return false;
	if (target_cgroup)
		return cg == target_cgroup;
	return track_root || cg != ROOT_CGROUP;
}

static __always_inline void start_wait(struct task_struct *p, __u64 cg, __u64 now, __u32 cpu)
{
	struct wrc_task *t = bpf_task_storage_get(&cap_tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!t)
		return;
	t->t_start = now;
	t->t0 = now;
	t->cgroup = cg;
	t->cpu = cpu;
}

static __always_inline void wakeup(struct task_struct *p)
{
	__u64 cg = task_cgroup(p);

	if (is_victim(cg))
		start_wait(p, cg, rq_clock_of(p), p->thread_info.cpu);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(cap_wakeup, struct task_struct *p)
{
	wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(cap_wakeup_new, struct task_struct *p)
{
	wakeup(p);
	return 0;
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(cap_migrate, struct task_struct *p, int dest_cpu)
{
	struct wrc_task *t = bpf_task_storage_get(&cap_tasks, p, 0, 0);
	__u64 now;

	if (!t || !t->t0 || t->cpu == (__u32)dest_cpu)
		return 0;
	now = rq_clock_of(p);
	if (now > t->t0)
		percpu_slot_add(&stats, WRC_STAT_MIGRATED_NS, now - t->t0);
	t->t0 = now;
	t->cpu = dest_cpu;
	return 0;
}

static __always_inline void matrix_add(__u64 victim, __u64 competitor, __u32 tgid, __u64 ns)
{
	struct wrc_key key = { .victim_cgroup = victim, .competitor_cgroup = competitor, .competitor_tgid = tgid };
	__u64 *v = bpf_map_lookup_elem(&matrix, &key);

	if (v) {
		*v += ns;
		return;
	}
	if (bpf_map_update_elem(&matrix, &key, &ns, BPF_NOEXIST)) {
		/* EEXIST: another CPU created it; our slot is still 0. */
		v = bpf_map_lookup_elem(&matrix, &key);
		if (v)
			*v += ns;
		else
			percpu_slot_add(&stats, WRC_STAT_MATRIX_FULL, 1);
	}
}

static __always_inline void hist_add(__u64 victim, __u64 wait_ns)
{
	struct wrc_hist *h = bpf_map_lookup_elem(&hist, &victim);
	struct wrc_hist zero = {};
	__u64 us = wait_ns / 1000;
	__u32 slot = 0;

	if (!h) {
		bpf_map_update_elem(&hist, &victim, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hist, &victim);
		if (!h) {
			percpu_slot_add(&stats, WRC_STAT_HIST_FULL, 1);
			return;
		}
	}
	while (us > 1 && slot < WRC_HIST_SLOTS - 1) {
		us >>= 1;
		slot++;
	}
	h->slots[slot & (WRC_HIST_SLOTS - 1)] += 1;
}

/* Adds the overlap of each remembered slice with [t0, now] to the victim's matrix row. */
static __always_inline __u64 attribute(struct wrc_cpu *r, __u64 victim, __u64 t0, __u64 now)
{
	__u64 attributed = 0;
	bool covered = false;

	for (int i = 0; i < WRC_RING; i++) {
		struct wrc_slice *sl;
		__u64 start, end;

		if ((__u64)i >= r->head)
			break;
		sl = &r->slices[(r->head - 1 - i) & (WRC_RING - 1)];
		if (sl->end_ns <= t0) {
			covered = true;
			break;
		}
		start = sl->start_ns > t0 ? sl->start_ns : t0;
		end = sl->end_ns < now ? sl->end_ns : now;
		if (end > start) {
			matrix_add(victim, sl->cgroup, sl->tgid, end - start);
			attributed += end - start;
		}
		if (sl->start_ns <= t0) {
			covered = true;
			break;
		}
	}
	if (!covered)
		percpu_slot_add(&stats, WRC_STAT_TRUNCATED, 1);
	return attributed;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cap_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	struct wrc_cpu *r = bpf_map_lookup_elem(&cap_cpu, &zero);
	struct wrc_task *t;
	__u64 now = rq_clock_of(next), next_cg;

	if (!r)
		return 0;
	/* 1. Remember the slice that just ended (idle slices too: cgroup 0). */
	if (r->last_switch_ns && now > r->last_switch_ns) {
		struct wrc_slice *sl = &r->slices[r->head & (WRC_RING - 1)];

		sl->start_ns = r->last_switch_ns;
		sl->end_ns = now;
		sl->cgroup = r->curr_cgroup;
		sl->tgid = r->curr_tgid;
		r->head++;
		if (r->curr_cgroup == ROOT_CGROUP && r->curr_tgid && !bpf_map_lookup_elem(&comms, &r->curr_tgid)) {
			char comm[AT_TASK_COMM_LEN];

			/* current is still prev here; its comm names the host process. */
			bpf_get_current_comm(comm, sizeof(comm));
			if (bpf_map_update_elem(&comms, &r->curr_tgid, comm, BPF_NOEXIST) == -7 /* E2BIG */)
				percpu_slot_add(&stats, WRC_STAT_COMMS_FULL, 1);
		}
	}
	r->last_switch_ns = now;

	/* 2. A preempted victim starts waiting here. */
	if (prev->pid && (preempt || prev_state == 0)) {
		__u64 prev_cg = r->curr_cgroup ? r->curr_cgroup : task_cgroup(prev);

		if (is_victim(prev_cg))
			start_wait(prev, prev_cg, now, cpu);
	}

	/* 3. next runs from now on. */
	next_cg = next->pid ? task_cgroup(next) : 0;
	r->curr_cgroup = next_cg;
	r->curr_tgid = next_cg == ROOT_CGROUP ? next->tgid : 0;
	if (!next->pid)
		return 0;

	/* 4. A victim's wait ends: attribute it. */
	t = bpf_task_storage_get(&cap_tasks, next, 0, 0);
	if (t && t->t0) {
		__u64 wait = now > t->t_start ? now - t->t_start : 0;

		percpu_slot_add(&stats, WRC_STAT_WAITS, 1);
		percpu_slot_add(&stats, WRC_STAT_WAIT_NS, wait);
		if (t->cpu == cpu)
			percpu_slot_add(&stats, WRC_STAT_ATTRIBUTED_NS, attribute(r, t->cgroup, t->t0, now));
		hist_add(t->cgroup, wait);
		t->t0 = 0;
	}
	return 0;
}

const struct wrc_task *unused_wrc_task __attribute__((unused));
const struct wrc_slice *unused_wrc_slice __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
