// SPDX-License-Identifier: GPL-2.0
/*
 * The look-back sampler: a host-wide perf_event program at a low rate (19 Hz) that
 * aggregates in the kernel. Each sample's identity (cgroup, process, comm, both stacks) is
 * hashed; the stacks are stored once per hash in `stacks`, and the sample is counted in
 * `counts` under (hash, time bucket). User space reads `counts` every few seconds (a batch
 * of small rows, not a record per sample), keeps the per-bucket counts for the window, and
 * reads `stacks` only when a `before` profile is asked for; it deletes a stack once no
 * bucket in the window uses it (src/capture/lookback*).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "lookback.h"

#define EEXIST 17

/* Length of a time bucket; set by the owner (1 s). */
const volatile __u64 bucket_ns = 1000000000ULL;

/* One record being built per CPU (too big for the 512-byte BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lookback_sample);
} scratch SEC(".maps");

/* Distinct stacks; resized by the owner (the window's bound). Allocated as used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct lookback_sample);
} stacks SEC(".maps");

/* Samples per (stack, bucket) since the last drain; resized by the owner from CPUs x rate x drain period. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct lookback_count_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOOKBACK_STAT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline __u64 mix(__u64 h, __u64 w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* Hash of what makes two samples the same entry of the window (time and thread id left out). */
static __always_inline __u64 identity_hash(const struct lookback_sample *s)
{
	__u64 h = 0xcbf29ce484222325ULL;
	const __u64 *comm = (const __u64 *)s->comm;
	__u32 kn = s->kbytes > 0 ? (__u32)s->kbytes / 8 : 0;
	__u32 un = s->ubytes > 0 ? (__u32)s->ubytes / 8 : 0;

	h = mix(h, s->cgroup_id);
	h = mix(h, s->tgid);
	h = mix(h, ((__u64)(__u32)s->kbytes << 32) | (__u32)s->ubytes);
	h = mix(h, comm[0]);
	h = mix(h, comm[1]);
	for (__u32 i = 0; i < LOOKBACK_STACK_DEPTH; i++) {
		if (i >= kn)
			break;
		h = mix(h, s->kips[i]);
	}
	h = mix(h, 0x7c); /* separates the kernel frames from the user frames */
	for (__u32 i = 0; i < LOOKBACK_STACK_DEPTH; i++) {
		if (i >= un)
			break;
		h = mix(h, s->uips[i]);
	}
	return h & LOOKBACK_HASH_MASK;
}

/* Puts the ABI structs into the object's BTF so their layout can be checked from TS. */
const struct lookback_sample *unused_lookback_sample __attribute__((unused));
const struct lookback_count_key *unused_lookback_count_key __attribute__((unused));

SEC("perf_event")
int lookback_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct lookback_count_key key = {};
	struct lookback_sample *s;
	__u64 one = 1, *count;
	__u32 zero = 0;
	long err;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	s->time_ns = bpf_ktime_get_ns();
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->pid = (__u32)pid_tgid;
	s->tgid = pid_tgid >> 32;
	__builtin_memset(s->comm, 0, sizeof(s->comm));
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	s->kbytes = bpf_get_stack(ctx, s->kips, sizeof(s->kips), 0);
	/* Kernel threads have no user stack: skip the walk (it would fail anyway). */
	s->ubytes = s->tgid == 0 ? 0 : bpf_get_stack(ctx, s->uips, sizeof(s->uips), BPF_F_USER_STACK);
	percpu_slot_add(&stats, LOOKBACK_STAT_SAMPLES, 1);

	key.stack = identity_hash(s);
	key.bucket = s->time_ns / bucket_ns;
	/* Most samples repeat a stack already stored: a lookup, no copy. */
	if (!bpf_map_lookup_elem(&stacks, &key.stack)) {
		err = bpf_map_update_elem(&stacks, &key.stack, s, BPF_NOEXIST);
		if (err && err != -EEXIST)
			percpu_slot_add(&stats, LOOKBACK_STAT_STACKS_FULL, 1);
	}
	count = bpf_map_lookup_elem(&counts, &key);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return 0;
	}
	err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* Another CPU inserted the same key meanwhile. */
		count = bpf_map_lookup_elem(&counts, &key);
		if (count) {
			__sync_fetch_and_add(count, 1);
			return 0;
		}
	}
	if (err)
		percpu_slot_add(&stats, LOOKBACK_STAT_COUNTS_FULL, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
