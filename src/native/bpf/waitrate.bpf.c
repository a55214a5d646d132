// SPDX-License-Identifier: GPL-2.0
/*
 * waitrate, always-on part: per-container run-queue wait split into inner (the CPU ran
 * the same cgroup), external (another cgroup or a host task ran) and latency (the CPU
 * was idle: pure scheduling delay), plus per-cgroup run time. Design: docs/waitrate.md.
 *
 * One hot program, sched_switch, and no wake-up hook: the kernel already stamps when a
 * task was queued (sched_info.last_queued, the rq clock that /proc/<pid>/schedstat's
 * run_delay is built from; cleared by sched_info_arrive() right after this tracepoint), so
 * the wait of `next` is [last_queued, now]. Each CPU remembers its last WAITRATE_RING run
 * slices; the wait is split by overlapping it with them. A version with snapshots taken in
 * sched_wakeup cost a second program run and a task-storage lookup per wake-up.
 *
 * A wait that migrates: the kernel folds the part spent on the old CPU into run_delay
 * (sched_info_dequeue) before sched_migrate_task fires, so on_migrate (rare) splits that
 * part against the old CPU's ring and carries it in task storage to the switch-in.
 *
 * Everything the hot path writes is per-CPU (no cross-CPU atomics, see HUATUO issue #234)
 * or the switching task's own storage. The one shared write is the slot allocation, once
 * per live cgroup (a free-list pop or an atomic add, and a hash insert).
 *
 * Slots are reused (issue 13.2): systemd scopes and pods come and go, and a slot per cgroup
 * ever seen ran out after 4096. on_cgroup_rmdir (v2 hierarchy only) drops the cgroup from
 * cg_slots, zeroes its counters on every CPU (a reused slot must not hand the old cgroup's
 * totals to the next one) and pushes the slot onto free_slots, where slot_of takes it first.
 * A removed cgroup has no tasks left, so nothing charges the slot while it is zeroed.
 *
 * The hot path (issue 16.3) does per switch: one per-CPU lookup (inlined), the rq clock, a
 * ring push, and next's cgroup id from a per-CPU cache keyed by its struct cgroup address
 * (the id itself is two more dependent loads, cgrp->kn->id, mostly cache misses: ~60 ns
 * measured). Untracked tasks (host, idle) stop there. Cached addresses go stale when a
 * cgroup is freed and its memory reused for another: on_cgroup_release bumps cgroup_gen,
 * which empties every CPU's cache at its next switch (see cgroup_id_cached).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "sched_helpers.h"
#include "waitrate.h"

#define PF_IDLE 0x00000002 /* include/linux/sched.h: an idle task (what is_idle_task() tests) */

/* Track root-cgroup (host) tasks as victims too. Host tasks are always charged as competitors. */
const volatile __u32 track_root = 0;
/* Slots available (= max_entries of cg_stats and cg_slots, set together from user space). */
const volatile __u32 max_slots = WAITRATE_MAX_CGROUPS;
/* Possible CPUs (the per-CPU copies on_cgroup_rmdir zeroes), set from user space. */
const volatile __u32 nr_cpus = 1;

/*
 * Bumped when a v2 cgroup is released (its memory may then be reused for a new cgroup at
 * the same address): the per-CPU cgroup-id caches filled under an older value are stale.
 */
__u64 cgroup_gen = 0;

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

/* Slots of removed cgroups, reused before new ones (max_entries = max_slots, set from user space). */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, WAITRATE_MAX_CGROUPS);
	__type(value, __u32);
} free_slots SEC(".maps");

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
	if (bpf_map_pop_elem(&free_slots, &slot)) {
		next = bpf_map_lookup_elem(&slot_alloc, &zero);
		if (!next)
			return WAITRATE_NO_SLOT;
		n = __sync_fetch_and_add(next, 1) + 1;
		if (n >= max_slots) {
			percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
			return WAITRATE_NO_SLOT;
		}
		slot = n;
	} else {
		percpu_slot_add(&stats, WAITRATE_STAT_SLOTS_REUSED, 1);
	}
	if (bpf_map_update_elem(&cg_slots, &cg, &slot, BPF_NOEXIST)) {
		/* Another CPU won the race for this cgroup, or the hash is full: give the slot back. */
		bpf_map_push_elem(&free_slots, &slot, 0);
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

/* Adds the overlap of [lo, hi] with [t0, now] to inner or external by the slice's cgroup. */
static __always_inline void charge_overlap(__u64 lo, __u64 hi, __u64 slice_cg, __u64 t0, __u64 cg,
					   __u64 *inner, __u64 *external)
{
	if (lo < t0)
		lo = t0;
	if (hi <= lo || !slice_cg)
		return; /* no overlap, or the CPU was idle (latency: the remainder) */
	if (slice_cg == cg)
		*inner += hi - lo;
	else
		*external += hi - lo;
}

/*
 * Splits the wait [t0, now] on CPU state c into inner/external/latency by overlapping it
 * with c's slice in progress (zero-length at a local switch) and its ring, newest first.
 * A wait older than the ring: the undescribed part is split like the part seen (counted).
 * Reading another CPU's ring races with its own switches: the sums are clamped (counted).
 */
static __always_inline void split_wait(struct waitrate_cpu *c, __u64 t0, __u64 now, __u64 cg,
				       __u64 *inner, __u64 *external, __u64 *latency)
{
	__u64 wait = now > t0 ? now - t0 : 0, in = 0, ex = 0, end, head;
	__u32 i;

	end = c->last_switch_ns;
	charge_overlap(end, now, c->curr_cgroup, t0, cg, &in, &ex);
	head = c->head;
	for (i = 0; i < WAITRATE_RING; i++) {
		struct waitrate_slice *sl;

		if (end <= t0 || i >= head)
			break;
		sl = &c->ring[(head - 1 - i) & (WAITRATE_RING - 1)];
		charge_overlap(sl->start_ns, end, sl->cgroup, t0, cg, &in, &ex);
		end = sl->start_ns;
	}
	if (end > t0 && end < now) {
		/* Pro rata in 16-bit fixed point: no 64-bit overflow for any wait length. */
		__u64 seen = now - end, rest = end - t0;
		__u64 fin = (in << 16) / seen, fex = (ex << 16) / seen;

		in += (rest >> 16) * fin + (((rest & 0xffff) * fin) >> 16);
		ex += (rest >> 16) * fex + (((rest & 0xffff) * fex) >> 16);
		percpu_slot_add(&stats, WAITRATE_STAT_TRUNCATED, 1);
	}
	if (in + ex > wait) {
		percpu_slot_add(&stats, WAITRATE_STAT_CLAMPED, 1);
		if (in > wait)
			in = wait;
		ex = wait - in;
	}
	*inner = in;
	*external = ex;
	*latency = wait - in - ex;
}

/*
 * A waiting task leaves its CPU: the kernel has just folded the wait spent there into
 * run_delay (so last_queued is 0 here). Split that part against the old CPU's ring and
 * carry it to the switch-in. Wake-up placements (no wait yet) leave run_delay unchanged.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(on_migrate, struct task_struct *p, int dest_cpu)
{
	__u64 cg = task_cgroup(p), delay, part, now, inner, external, latency;
	struct waitrate_task *t;
	struct waitrate_cpu *c;
	__u32 zero = 0;

	if (!tracked(cg))
		return 0;
	t = bpf_task_storage_get(&tasks, p, 0, 0);
	if (!t || !t->seen)
		return 0; /* not seen switching in yet: its first switch-in is its baseline */
	delay = p->sched_info.run_delay;
	if (delay <= t->delay_seen)
		return 0;
	part = delay - t->delay_seen;
	t->delay_seen = delay;
	now = rq_clock_of(p); /* still the old CPU's rq, updated before the dequeue */
	c = bpf_map_lookup_percpu_elem(&cpu_state, &zero, p->thread_info.cpu);
	if (!c || part > now) {
		t->carry_external += part;
		percpu_slot_add(&stats, WAITRATE_STAT_UNSEEN, 1);
		return 0;
	}
	split_wait(c, now - part, now, cg, &inner, &external, &latency);
	t->carry_inner += inner;
	t->carry_external += external;
	t->carry_latency += latency;
	percpu_slot_add(&stats, WAITRATE_STAT_MIGRATIONS, 1);
	return 0;
}

/*
 * p's v2 cgroup id through c's cache of the last two cgroups seen, keyed by the struct cgroup
 * address (a miss reads cgrp->kn->id and becomes way 0; a hit writes nothing). Two ways in
 * the line of c's other hot fields: a ping-pong of one cgroup, or of a container and the
 * host, always hits, and a hit touches no extra cache line. Validity: an address names one
 * cgroup from its creation until it is released; on_cgroup_release bumps cgroup_gen and a
 * cache filled under another generation is emptied before use. The generation is read
 * BEFORE the address: a release racing with this switch then leaves entries tagged with the
 * older generation, which the next switch discards. (A task that exits after its cgroup's
 * rmdir still pins the cgroup, so the release, not the rmdir, is the point of reuse.)
 */
static __always_inline __u64 cgroup_id_cached(struct waitrate_cpu *c, struct task_struct *p)
{
	__u64 gen = *(volatile __u64 *)&cgroup_gen, key, id;
	struct cgroup *cgrp;

	asm volatile("" ::: "memory"); /* the generation first (see above) */
	cgrp = p->cgroups->dfl_cgrp;
	/* Pointer minus pointer is how the verifier lets an address become a number; c is
	 * constant on this CPU, so the key names the cgroup as its address does. */
	key = (__u64)cgrp - (__u64)c;
	if (c->cgid_gen == gen) {
		if (c->cgid[0].key == key)
			return c->cgid[0].id;
		if (c->cgid[1].key == key)
			return c->cgid[1].id;
	} else {
		c->cgid[0].key = c->cgid[1].key = 0;
		c->cgid_gen = gen;
	}
	id = cgrp->kn->id;
	c->cgid[1] = c->cgid[0];
	c->cgid[0].key = key;
	c->cgid[0].id = id;
	return id;
}
_Static_assert(WAITRATE_CGID_WAYS == 2, "cgroup_id_cached checks two ways");

/* next, a tracked task, is switched in at `now`: charge its wait, split by c's slices. */
static __always_inline void switch_in_tracked(struct waitrate_cpu *c, struct task_struct *next, __u64 next_cg, __u64 now)
{
	__u64 queued, delay, here, inner, external, latency;
	struct waitrate_task *t;
	struct waitrate_cg *s;
	__u32 slot;

	t = bpf_task_storage_get(&tasks, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		percpu_slot_add(&stats, WAITRATE_STAT_STORAGE_FAIL, 1);
		return;
	}
	/* Its wait on this CPU is [last_queued, now]; earlier parts were carried by on_migrate. */
	delay = next->sched_info.run_delay;
	queued = next->sched_info.last_queued;
	here = queued && now > queued ? now - queued : 0;
	if (!t->seen) {
		t->seen = 1;
	} else if (delay > t->delay_seen) {
		/* Folded into run_delay where no hook of ours looked: wait, attributed to others. */
		t->carry_external += delay - t->delay_seen;
		percpu_slot_add(&stats, WAITRATE_STAT_UNSEEN, 1);
	}
	t->delay_seen = delay + here; /* what sched_info_arrive() adds right after us */
	/* Its slot before any early return: a cgroup gets one at its first switch-in, as before
	 * (cached in the task, so a map lookup only when the task changed cgroup). */
	slot = task_slot(t, next_cg);
	if (!here && !t->carry_inner && !t->carry_external && !t->carry_latency)
		return;

	split_wait(c, now - here, now, next_cg, &inner, &external, &latency);
	inner += t->carry_inner;
	external += t->carry_external;
	latency += t->carry_latency;
	t->carry_inner = t->carry_external = t->carry_latency = 0;
	s = bpf_map_lookup_elem(&cg_stats, &slot);
	if (!s) {
		percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
		return;
	}
	s->inner_ns += inner;
	s->external_ns += external;
	s->latency_ns += latency;
	s->wait_ns += inner + external + latency;
	s->nr_waits += 1;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct waitrate_cpu *c = bpf_map_lookup_elem(&cpu_state, &zero); /* the one map lookup of an untracked switch */
	__u64 now = rq_clock_of(next), last, next_cg;

	if (!c)
		return 0;

	/* 1. Close the slice that just ended: push it to the ring (its run time: cpu.stat). */
	last = c->last_switch_ns;
	if (last && now > last) {
		struct waitrate_slice *sl = &c->ring[c->head & (WAITRATE_RING - 1)];

		sl->start_ns = last;
		sl->cgroup = c->curr_cgroup;
		c->head++;
	}
	c->last_switch_ns = now;

	/* 2. next owns the CPU from now on; untracked (idle, host) tasks stop here. Idle is the
	 * kernel's own is_idle_task() test (PF_IDLE, in a line the scheduler just touched;
	 * pid 0 is the same tasks but one more cold line). */
	next_cg = next->flags & PF_IDLE ? 0 : cgroup_id_cached(c, next);
	c->curr_cgroup = next_cg;
	if (tracked(next_cg))
		switch_in_tracked(c, next, next_cg, now);
	return 0;
}

static long zero_slot_on_cpu(__u32 cpu, void *ctx)
{
	__u32 slot = *(__u32 *)ctx;
	struct waitrate_cg *s = bpf_map_lookup_percpu_elem(&cg_stats, &slot, cpu);

	if (s)
		__builtin_memset(s, 0, sizeof(*s));
	return 0;
}

/* A v2 cgroup is removed: free its slot for the next cgroup (see the header comment). */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(on_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 cg;
	__u32 slot, *found;

	if (cgrp->root->hierarchy_id != 0)
		return 0; /* a v1 hierarchy: its ids are another numbering, never in cg_slots */
	cg = cgrp->kn->id;
	found = bpf_map_lookup_elem(&cg_slots, &cg);
	if (!found)
		return 0;
	slot = *found;
	if (bpf_map_delete_elem(&cg_slots, &cg))
		return 0; /* removed concurrently (cannot happen twice for one cgroup, but be safe) */
	bpf_loop(nr_cpus, zero_slot_on_cpu, &slot, 0);
	if (bpf_map_push_elem(&free_slots, &slot, 0))
		percpu_slot_add(&stats, WAITRATE_STAT_CG_FULL, 1);
	percpu_slot_add(&stats, WAITRATE_STAT_SLOTS_FREED, 1);
	return 0;
}

/*
 * A cgroup's struct is freed (after an RCU grace period) once it is released: from then on its
 * address may name a new cgroup, so the cgroup-id caches must not trust entries made before.
 * v1 cgroups are never in the caches (they hold dfl_cgrp addresses only).
 */
SEC("tp_btf/cgroup_release")
int BPF_PROG(on_cgroup_release, struct cgroup *cgrp, const char *path)
{
	if (cgrp->root->hierarchy_id == 0)
		__sync_fetch_and_add(&cgroup_gen, 1);
	return 0;
}

/* Keep the shared structs in BTF for the layout test. */
const struct waitrate_task *unused_waitrate_task __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
