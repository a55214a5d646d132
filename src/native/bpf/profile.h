/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of profile.bpf.c; mirrored once in profile.ts (checked against BTF by a test). */
#ifndef AUTOTRACER_PROFILE_H
#define AUTOTRACER_PROFILE_H
#include "types.h"

#define PROFILE_MAX_STACKS 16384	/* entries in the `stacks` STACK_TRACE map */
#define PROFILE_MAX_COUNTS 16384	/* entries in the `counts` hash */
#define PROFILE_STACK_DEPTH 127		/* PERF_MAX_STACK_DEPTH */

/* Key of the `counts` hash (value: __u64 samples). Negative stack ids are errors:
 * -EFAULT (-14) = no stack of that kind (user-mode sample has no kernel stack, kernel
 * thread has no user stack); -EEXIST/-ENOMEM = lost, also counted in `stats`. */
struct profile_key {
	__u64 cgroup_id;		/* v2 cgroup id of the sampled task */
	__u32 pid;			/* thread id */
	__u32 tgid;			/* process id */
	__s32 kstack_id;
	__s32 ustack_id;
	char comm[AT_TASK_COMM_LEN];
};

/* Slots of the per-CPU `stats` ARRAY (one __u64 each). */
enum profile_stat {
	PROFILE_STAT_SAMPLES = 0,	/* every perf_event invocation */
	PROFILE_STAT_FILTERED = 1,	/* dropped by the target_cgroup filter */
	PROFILE_STAT_KSTACK_LOST = 2,	/* bpf_get_stackid kernel: -EEXIST/-ENOMEM/other */
	PROFILE_STAT_USTACK_LOST = 3,	/* bpf_get_stackid user: -EEXIST/-ENOMEM/other */
	PROFILE_STAT_COUNTS_FULL = 4,	/* `counts` hash full: sample not recorded */
	PROFILE_STAT_COLLISIONS = 5,	/* samples with a stack lost to a bucket collision (-EEXIST) */
	PROFILE_STAT_NR = 6,
};

#endif
