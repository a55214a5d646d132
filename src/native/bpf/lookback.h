/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of lookback.bpf.c; mirrored once in lookback.ts. */
#ifndef AUTOTRACER_LOOKBACK_H
#define AUTOTRACER_LOOKBACK_H
#include "types.h"

#define LOOKBACK_STACK_DEPTH 64		/* frames kept per stack (kernel, user) */

/* One sample in the `samples` ring: header, then the two stacks' instruction pointers.
 * kbytes/ubytes: bytes bpf_get_stack wrote (0 = no stack of that kind), or < 0 on error. */
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

#endif
