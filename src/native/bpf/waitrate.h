/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of waitrate.bpf.c; mirrored once in waitrate.ts (checked against BTF by test/waitrate). */
#ifndef AUTOTRACER_WAITRATE_H
#define AUTOTRACER_WAITRATE_H
#include "types.h"

#define WAITRATE_MAX_CGROUPS 4096	/* default live-cgroup slots: `cg_slots` = `cg_stats` = `free_slots` entries */
#define WAITRATE_ROOT_CGROUP 1		/* v2 id of the root cgroup (host tasks): always slot 0 */
#define WAITRATE_NO_SLOT 0xffffffffu	/* no slot (map full): the time is counted as lost */

#define WAITRATE_RING 32		/* run slices each CPU remembers (power of two) */

/* One run slice of a CPU: from start_ns to the next slice's start. cgroup 0 = idle. */
struct waitrate_slice {
	__u64 start_ns;
	__u64 cgroup;
};

#define WAITRATE_CGID_WAYS 2		/* cgroup ids each CPU remembers by cgroup address */

/* One entry of a CPU's cgroup-id cache: which cgroup (by address) has which v2 id. */
struct waitrate_cgid {
	__u64 key;			/* the struct cgroup's address, as an offset from this CPU's state (0: empty) */
	__u64 id;			/* its v2 cgroup id (kn->id) */
};

/*
 * Per-CPU scheduler state of one CPU (slot 0 of `cpu_state`). Written only by its own CPU
 * at sched_switch; read by another CPU (bpf_map_lookup_percpu_elem) only when a waiting
 * task migrates away from this one.
 */
struct waitrate_cpu {
	__u64 last_switch_ns;		/* rq clock of the last sched_switch on this CPU */
	__u64 curr_cgroup;		/* v2 cgroup id of the task running since then (0: idle) */
	__u64 head;			/* slices pushed so far; the newest is ring[(head - 1) % RING] */
	__u64 cgid_gen;			/* `cgroup_gen` the cache below was filled under; another value: stale */
	struct waitrate_cgid cgid[WAITRATE_CGID_WAYS];	/* [0] = the newest; in the same line as the above */
	struct waitrate_slice ring[WAITRATE_RING];
};

/*
 * Cumulative per-cgroup counters, one copy per CPU (`cg_stats`, PERCPU_ARRAY indexed by
 * the cgroup's slot; `cg_slots` HASH maps v2 cgroup id -> slot, the root cgroup is slot 0).
 * An array slot instead of a per-CPU hash keyed by cgroup id: the hash lookup cost ~85 ns
 * per access on this VM, the array access is inlined. The wait fields are charged for
 * tracked victims only. wait = inner + external + latency exactly.
 *
 * run_ns is no longer charged (issue 16.3): it was a map access and a store into another
 * cgroup's line on every switch, ~36 ns with the ring push, and the sampler takes run time
 * from the v2 cpu.stat usage anyway. The field stays (always 0) so that the value layout,
 * and every reader of it, is unchanged.
 */
struct waitrate_cg {
	__u64 run_ns;			/* unused, always 0 (was: run time; see above) */
	__u64 wait_ns;			/* run-queue wait of its tasks, charged at switch-in */
	__u64 inner_ns;			/* part of the wait while the same cgroup ran on the CPU */
	__u64 external_ns;		/* part while another cgroup (or a host task) ran */
	__u64 latency_ns;		/* part while the CPU was idle: pure scheduling delay */
	__u64 nr_waits;			/* completed waits (switch-ins after a wait) */
};

/* Per-task state (BPF task storage), touched at the task's switch-in and migrations only. */
struct waitrate_task {
	__u64 delay_seen;		/* sched_info.run_delay already accounted (0 with seen == 0) */
	__u64 carry_inner;		/* split of wait parts on CPUs the task migrated away from */
	__u64 carry_external;
	__u64 carry_latency;
	__u64 slot_cgroup;		/* cgroup whose slot is cached in `slot` (0: none yet) */
	__u32 slot;
	__u32 seen;			/* delay_seen is valid */
};

/* Slots of the per-CPU `stats` ARRAY (one __u64 each). */
enum waitrate_stat {
	/* (switch counts: programStats() run_cnt, not counted here to keep the hot path short) */
	WAITRATE_STAT_MIGRATIONS = 0,	/* migrations of a waiting task (split carried over) */
	WAITRATE_STAT_CG_FULL = 1,	/* `cg_stats` full: a cgroup's time not recorded */
	WAITRATE_STAT_STORAGE_FAIL = 2,	/* task storage could not be created: wait lost */
	WAITRATE_STAT_CLAMPED = 3,	/* slice overlap exceeded the wait (remote-read race): clamped */
	WAITRATE_STAT_TRUNCATED = 4,	/* wait longer than the ring: older part split pro rata */
	WAITRATE_STAT_UNSEEN = 5,	/* wait folded into run_delay where we did not look: external */
	WAITRATE_STAT_SLOTS_FREED = 6,	/* slots freed by cgroup removal (on_cgroup_rmdir) */
	WAITRATE_STAT_SLOTS_REUSED = 7,	/* slots taken from the free list instead of a new one */
	WAITRATE_STAT_NR = 8,
};

#endif
