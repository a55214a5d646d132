/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of lookback.bpf.c; mirrored once in lookback.ts. */
#ifndef AUTOTRACER_LOOKBACK_H
#define AUTOTRACER_LOOKBACK_H
#include "types.h"

#define LOOKBACK_STACK_DEPTH 64		/* frames kept per stack (kernel, user) */

/* The identity of a sample's stacks (everything but time and thread id), hashed in BPF;
 * 53 bits so that user space holds it exactly in a double. */
#define LOOKBACK_HASH_MASK ((1ULL << 53) - 1)

/* One distinct stack in the `stacks` map (key: its 53-bit hash): the first sample's task
 * and both stacks' instruction pointers.
 * kbytes/ubytes: bytes bpf_get_stack wrote (0 = no stack of that kind), or < 0 on error;
 * frames past them are not part of the stack (left over from an earlier sample). */
struct lookback_sample {
	__u64 time_ns;			/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id;
	__u32 pid;
	__u32 tgid;
	__s32 kbytes;
	__s32 ubytes;
	char comm[AT_TASK_COMM_LEN];
	__u64 kips[LOOKBACK_STACK_DEPTH];
	__u64 uips[LOOKBACK_STACK_DEPTH];
};

/* Key of the `counts` map: samples of one stack in one time bucket (monotonic). */
struct lookback_count_key {
	__u64 stack;			/* hash, the key of `stacks` */
	__u64 bucket;			/* bpf_ktime_get_ns() / bucket_ns */
};

/* Slots of the per-CPU `stats` array. */
enum lookback_stat {
	LOOKBACK_STAT_SAMPLES = 0,	/* program runs that took a sample */
	LOOKBACK_STAT_STACKS_FULL = 1,	/* a new stack the `stacks` map could not keep (counted, frames lost) */
	LOOKBACK_STAT_COUNTS_FULL = 2,	/* samples lost: `counts` full between two drains */
	LOOKBACK_STAT_SLOTS = 3,
};

#endif
