// SPDX-License-Identifier: GPL-2.0
/*
 * perf_event CPU sampler (attach with attachPerfEvent at e.g. 99 Hz on every CPU,
 * optionally in perf cgroup mode). Each sample is counted in `counts` keyed by task,
 * v2 cgroup and kernel+user stack ids; stacks go to the STACK_TRACE map `stacks`.
 * Every way a sample or stack can be lost is counted in `stats`, never silent.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "profile.h"

#define EFAULT 14
#define EEXIST 17

/* Host-wide profiling with attribution: keep only this v2 cgroup id (0 = keep all). */
const volatile __u64 target_cgroup = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, PROFILE_MAX_STACKS);
	__type(key, __u32);
	__uint(value_size, PROFILE_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_COUNTS);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFILE_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* A stack id below zero other than "no such stack" means the stack was lost. */
static __always_inline bool stack_lost(long id)
{
	return id < 0 && id != -EFAULT;
}

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	struct profile_key key = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 one = 1, *count;
	long err;

	percpu_slot_add(&stats, PROFILE_STAT_SAMPLES, 1);
	key.cgroup_id = bpf_get_current_cgroup_id();
	if (target_cgroup && key.cgroup_id != target_cgroup) {
		percpu_slot_add(&stats, PROFILE_STAT_FILTERED, 1);
		return 0;
	}
	key.pid = (__u32)pid_tgid;
	key.tgid = pid_tgid >> 32;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.kstack_id = bpf_get_stackid(ctx, &stacks, 0);
	key.ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (stack_lost(key.kstack_id))
		percpu_slot_add(&stats, PROFILE_STAT_KSTACK_LOST, 1);
	if (stack_lost(key.ustack_id))
		percpu_slot_add(&stats, PROFILE_STAT_USTACK_LOST, 1);
	/* -EEXIST: the stack's hash bucket holds another stack (no BPF_F_REUSE_STACKID, so
	 * ids already handed out stay valid). Counted once per sample, to size the map. */
	if (key.kstack_id == -EEXIST || key.ustack_id == -EEXIST)
		percpu_slot_add(&stats, PROFILE_STAT_COLLISIONS, 1);

	count = bpf_map_lookup_elem(&counts, &key);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST /* another CPU inserted it first */) {
		count = bpf_map_lookup_elem(&counts, &key);
		if (count)
			__sync_fetch_and_add(count, 1);
	} else if (err) {
		percpu_slot_add(&stats, PROFILE_STAT_COUNTS_FULL, 1);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
