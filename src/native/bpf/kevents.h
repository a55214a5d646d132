/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cheap kernel events (hungtask, oom, direct reclaim): one record layout for the three
 * objects kevents_{hang,oom,reclaim}.bpf.c, mirrored in src/native/bpf/kevents.ts (checked
 * against BTF by test/kevents/layout.test.ts).
 */
#ifndef AUTOTRACER_KEVENTS_H
#define AUTOTRACER_KEVENTS_H

#define KEV_COMM_LEN 16
#define KEV_MAX_RECLAIMERS 4096
#define KEV_MAX_MEMCG_WINDOWS 4096

enum kev_kind {
	KEV_HUNG_TASK = 1,
	KEV_OOM_VICTIM = 2,
	KEV_DIRECT_RECLAIM = 3,
	KEV_MEMCG_RECLAIM = 4,	/* value: reclaim ns in the window; extra: pages reclaimed in it */
};

struct kev_event {
	__u64 time_ns;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 cgroup_v2;	/* the subject task's v2 cgroup id */
	__u64 cgroup_memory;	/* its v1 memory cgroup id (0 when no v1 memory hierarchy) */
	__u64 value;		/* reclaim: duration ns; oom: anon rss pages; hang: 0 */
	__u64 extra;		/* reclaim: nr_reclaimed; oom: total_vm pages; hang: 0 */
	__u32 kind;		/* enum kev_kind */
	__u32 pid;		/* subject task (hung task, oom victim, reclaiming task) */
	__u32 tgid;
	__u32 trigger_pid;	/* current when the event fired (oom: the task that ran out) */
	char comm[KEV_COMM_LEN];
	char trigger_comm[KEV_COMM_LEN];
};

struct kev_reclaim_start {
	__u64 start_ns;
	__u32 order;
	__u32 pad;
};

/*
 * Memory-cgroup limit reclaim, summed per memory cgroup over a window: one pass of
 * try_to_free_mem_cgroup_pages is short (µs..ms), a container at its limit does thousands.
 */
struct kev_memcg_window {
	__u64 start_ns;		/* window start (first reclaim end in it) */
	__u64 stall_ns;		/* reclaim time of the cgroup's tasks in this window */
	__u64 nr_reclaimed;	/* pages reclaimed in this window */
	__u32 reclaims;		/* reclaim passes in this window */
	__u32 reported;		/* 1 once this window produced its event */
};

#endif
