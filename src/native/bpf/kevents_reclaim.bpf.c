// SPDX-License-Identifier: GPL-2.0
/*
 * Direct reclaim stalls: mm_vmscan_direct_reclaim_begin/end are paired per task (both run
 * in the reclaiming task's context); a stall of at least threshold_ns is reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "kevents.h"
#include "kevents_common.h"

const volatile __u64 threshold_ns = 900000000ULL;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KEV_MAX_RECLAIMERS);
	__type(key, __u32);
	__type(value, struct kev_reclaim_start);
} reclaimers SEC(".maps");

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(kev_reclaim_begin, int order, gfp_t gfp_flags)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct kev_reclaim_start s = { .start_ns = bpf_ktime_get_ns(), .order = order };

	bpf_map_update_elem(&reclaimers, &pid, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(kev_reclaim_end, unsigned long nr_reclaimed)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct kev_reclaim_start *s = bpf_map_lookup_elem(&reclaimers, &pid);
	struct kev_event *e;
	__u64 ns;

	if (!s)
		return 0;
	ns = bpf_ktime_get_ns() - s->start_ns;
	bpf_map_delete_elem(&reclaimers, &pid);
	if (ns < threshold_ns)
		return 0;
	/* bpf_get_current_task() (4.8), not the _btf one (5.11): every read of it is CO-RE. */
	e = kev_reserve(KEV_DIRECT_RECLAIM, (struct task_struct *)bpf_get_current_task());
	if (!e)
		return 0;
	e->value = ns;
	e->extra = nr_reclaimed;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

const struct kev_event *unused_kev_event __attribute__((unused));
const struct kev_reclaim_start *unused_kev_reclaim_start __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
