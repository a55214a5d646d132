// SPDX-License-Identifier: GPL-2.0
/*
 * waitrate, always-on part: per-container run-queue wait split into inner (the CPU ran
 * the same cgroup), external (another cgroup or a host task ran) and latency (the CPU
 * was idle: pure scheduling delay), plus per-cgroup run time. Design: docs/waitrate.md.
 *
 * Hot path = sched_switch. Everything it writes is per-CPU (no cross-CPU atomics, see
 * HUATUO issue #234): the CPU's own `cpu_state` slot, its own copy of `cg_stats`, and the
 * switching tasks' own task storage. Remote CPUs are only *read*
 * (bpf_map_lookup_percpu_elem) when a task is woken or migrated onto them. The one shared
 * write is the slot allocation, once per cgroup ever seen (an atomic add + a hash insert).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "sched_helpers.h"
#include "waitrate.h"

/* Track root-cgroup (host) tasks as victims too. Host tasks are always charged as competitors. */
const volatile __u32 track_root = 0;
/* Slots available (= max_entries of cg_stats and cg_slots, set together from user space). */
const volatile __u32 max_slots = WAITRATE_MAX_CGROUPS;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct waitrate_cpu);
} cpu_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WAITRATE_MAX_CGROUPS);
	__type(key, __u32);
	__type(value, struct waitrate_cg);
} cg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WAITRATE_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u32);
} cg_slots SEC(".maps");

/* Slot 0 of this ARRAY: slots handed out so far (slot 0 itself is the root cgroup's). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} slot_alloc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct waitrate_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WAITRATE_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline bool tracked(__u64 cg)
{
	return cg != 0 && (track_root || cg != WAITRATE_ROOT_CGROUP);
}

/* The cg_stats slot of a cgroup, allocated on first sight; WAITRATE_NO_SLOT (counted) when full. */
static __always_inline __u32 slot_of(__u64 cg)
{
	__u32 zero = 0, slot, *found;
	__u64 *next, n;

	if (cg == WAITRATE_ROOT_CGROUP)
		return 0;
	found = bpf_map_lookup_elem(&cg_slots, &cg);
	if (found)
		return *found;
	next = bpf_map_lookup_elem(&slot_alloc, &zero);
	if (!next)
		return WAITRATE_NO_SLOT;
	n = __sync_fetch_and_add(next, 1) + 1;
	if (n >= max_slots) {
		percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
		return WAITRATE_NO_SLOT;
	}
	slot = n;
	if (bpf_map_update_elem(&cg_slots, &cg, &slot, BPF_NOEXIST)) {
		/* Another CPU won the race for this cgroup (slot n stays unused), or the hash is full. */
		found = bpf_map_lookup_elem(&cg_slots, &cg);
		if (found)
			return *found;
		percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
		return WAITRATE_NO_SLOT;
	}
	return slot;
}

/* The task's cached slot for cgroup cg (re-resolved when the task changed cgroup). */
static __always_inline __u32 task_slot(struct waitrate_task *t, __u64 cg)
{
	if (t->slot_cgroup != cg) {
		t->slot = slot_of(cg);
		t->slot_cgroup = cg;
	}
	return t->slot;
}

/*
 * Counters of `cpu` as of `now`: the run total and the slot's run time, including the
 * slice in progress there (charged only at its next switch), so a snapshot taken in the
 * middle of a slice and a read at a switch agree. Reading a remote CPU races with its
 * own switch; the error is at most one slice and is clamped by the caller.
 */
static __always_inline void cpu_counters(__u32 cpu, __u32 slot, __u64 now, __u64 *total, __u64 *same)
{
	__u32 zero = 0;
	struct waitrate_cpu *c;
	struct waitrate_cg *s;
	__u64 in_progress = 0;

	/* This CPU: the inlined lookups; another CPU: the percpu_elem helper (a call). */
	if (cpu == bpf_get_smp_processor_id()) {
		c = bpf_map_lookup_elem(&cpu_state, &zero);
		s = bpf_map_lookup_elem(&cg_stats, &slot);
	} else {
		c = bpf_map_lookup_percpu_elem(&cpu_state, &zero, cpu);
		s = bpf_map_lookup_percpu_elem(&cg_stats, &slot, cpu);
	}

	*total = 0;
	*same = s ? s->run_ns : 0;
	if (!c)
		return;
	if (!c->curr_idle && c->last_switch_ns && now > c->last_switch_ns)
		in_progress = now - c->last_switch_ns;
	*total = c->run_total_ns + in_progress;
	if (c->curr_slot == slot)
		*same += in_progress;
}

static __always_inline void snapshot(struct waitrate_task *t, __u64 now, __u32 cpu, __u64 cg)
{
	t->t0 = now;
	t->cpu = cpu;
	t->cgroup = cg;
	cpu_counters(cpu, task_slot(t, cg), now, &t->total0, &t->same0);
}

/* Splits the wait [t->t0, now] on t->cpu into inner/external/latency by that CPU's counter deltas. */
static __always_inline void split(struct waitrate_task *t, __u64 now, __u64 total, __u64 same,
				  __u64 *inner, __u64 *external, __u64 *latency)
{
	__u64 wait = now > t->t0 ? now - t->t0 : 0;
	__u64 dtotal = total > t->total0 ? total - t->total0 : 0;
	__u64 dsame = same > t->same0 ? same - t->same0 : 0;

	if (dtotal > wait) {
		percpu_slot_add(&stats, WAITRATE_STAT_CLAMPED, 1);
		dtotal = wait;
	}
	if (dsame > dtotal) {
		percpu_slot_add(&stats, WAITRATE_STAT_CLAMPED, 1);
		dsame = dtotal;
	}
	*inner = dsame;
	*external = dtotal - dsame;
	*latency = wait - dtotal;
}

static __always_inline void became_runnable(struct task_struct *p)
{
	__u64 cg = task_cgroup(p);
	struct waitrate_task *t;

	if (!tracked(cg))
		return;
	t = bpf_task_storage_get(&tasks, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		percpu_slot_add(&stats, WAITRATE_STAT_STORAGE_FAIL, 1);
		return;
	}
	/* A wakeup means it slept: any older t0 is stale (a switch-in we could not see). */
	t->carry_inner = t->carry_external = t->carry_latency = 0;
	snapshot(t, rq_clock_of(p), p->thread_info.cpu, cg);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p)
{
	became_runnable(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new, struct task_struct *p)
{
	became_runnable(p);
	return 0;
}

/* A waiting task moves to another run queue: close the split on the old CPU, restart on the new one. */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(on_migrate, struct task_struct *p, int dest_cpu)
{
	struct waitrate_task *t = bpf_task_storage_get(&tasks, p, 0, 0);
	__u64 now, total, same, inner, external, latency;

	if (!t || !t->t0 || t->cpu == (__u32)dest_cpu)
		return 0;
	now = rq_clock_of(p); /* still the source rq here */
	cpu_counters(t->cpu, task_slot(t, t->cgroup), now, &total, &same);
	split(t, now, total, same, &inner, &external, &latency);
	t->carry_inner += inner;
	t->carry_external += external;
	t->carry_latency += latency;
	snapshot(t, now, dest_cpu, t->cgroup);
	percpu_slot_add(&stats, WAITRATE_STAT_MIGRATIONS, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id(), prev_slot, next_slot, slot;
	struct waitrate_cpu *c = bpf_map_lookup_elem(&cpu_state, &zero);
	struct waitrate_task *t = NULL;
	struct waitrate_cg *s = NULL;	/* cg_stats entry of s_slot on this CPU */
	__u32 s_slot = WAITRATE_NO_SLOT;
	__u64 now = rq_clock_of(next);
	__u64 prev_cg, next_cg;

	if (!c)
		return 0;

	/* 1. Charge the slice that just ended to the cgroup that ran it (not to idle). */
	prev_cg = c->curr_cgroup;
	prev_slot = c->curr_slot;
	if (c->last_switch_ns && !c->curr_idle && prev_cg && now > c->last_switch_ns) {
		__u64 delta = now - c->last_switch_ns;

		c->run_total_ns += delta;
		s = bpf_map_lookup_elem(&cg_stats, &prev_slot);
		s_slot = prev_slot;
		if (s)
			s->run_ns += delta;
	}
	c->last_switch_ns = now;

	/* 2. A preempted prev stays on this run queue: it starts waiting now (local counters). */
	if (prev->pid && prev_cg && (preempt || prev_state == 0) && tracked(prev_cg)) {
		t = bpf_task_storage_get(&tasks, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			t->carry_inner = t->carry_external = t->carry_latency = 0;
			t->t0 = now;
			t->cpu = cpu;
			t->cgroup = prev_cg;
			t->total0 = c->run_total_ns;
			slot = task_slot(t, prev_cg);
			if (!s || slot != s_slot) {
				s = bpf_map_lookup_elem(&cg_stats, &slot);
				s_slot = slot;
			}
			t->same0 = s ? s->run_ns : 0;
		} else {
			percpu_slot_add(&stats, WAITRATE_STAT_STORAGE_FAIL, 1);
		}
	}

	/* 3. next owns the CPU from now on. */
	if (!next->pid) {
		c->curr_idle = 1;
		c->curr_cgroup = 0;
		c->curr_slot = WAITRATE_NO_SLOT;
		return 0;
	}
	next_cg = task_cgroup(next);
	c->curr_idle = 0;
	c->curr_cgroup = next_cg;
	t = NULL;
	if (tracked(next_cg)) {
		t = bpf_task_storage_get(&tasks, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		next_slot = t ? task_slot(t, next_cg) : slot_of(next_cg);
	} else {
		next_slot = slot_of(next_cg); /* the root cgroup: slot 0 without a lookup */
	}
	c->curr_slot = next_slot;

	/* 4. If next was waiting, its wait ends now: split it by this CPU's counter deltas. */
	if (t && t->t0) {
		__u64 total, same, inner, external, latency;

		slot = task_slot(t, t->cgroup);
		if (t->cpu != cpu) {
			/* A move we did not see: compare with the CPU it was snapshotted on. */
			cpu_counters(t->cpu, slot, now, &total, &same);
			s = bpf_map_lookup_elem(&cg_stats, &slot);
		} else {
			if (!s || slot != s_slot)
				s = bpf_map_lookup_elem(&cg_stats, &slot);
			total = c->run_total_ns;
			same = s ? s->run_ns : 0;
		}
		split(t, now, total, same, &inner, &external, &latency);
		inner += t->carry_inner;
		external += t->carry_external;
		latency += t->carry_latency;
		t->t0 = 0;
		if (s) {
			s->inner_ns += inner;
			s->external_ns += external;
			s->latency_ns += latency;
			s->wait_ns += inner + external + latency;
			s->nr_waits += 1;
		} else {
			percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
		}
	}
	return 0;
}

/* Keep the shared structs in BTF for the layout test. */
const struct waitrate_task *unused_waitrate_task __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
