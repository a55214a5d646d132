// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim stalls, two kinds:
 * - global direct reclaim: mm_vmscan_direct_reclaim_begin/end paired per task (both run in
 *   the reclaiming task's context); one stall of at least threshold_ns is reported.
 * - memory-cgroup limit reclaim: mm_vmscan_memcg_reclaim_begin/end (try_to_free_mem_cgroup_pages,
 *   run by a task charging a cgroup at its limit, or at memory.high), paired per task the
 *   same way and summed per memory cgroup over memcg_window_ns; a cgroup whose tasks spent
 *   at least memcg_threshold_ns in it within one window is reported once for that window.
 *   Single passes are short, so a per-pass threshold would never fire for a container that
 *   spends its time thrashing at its own limit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "kevents.h"
#include "kevents_common.h"

const volatile __u64 threshold_ns = 900000000ULL;
const volatile __u64 memcg_threshold_ns = 100000000ULL;
const volatile __u64 memcg_window_ns = 1000000000ULL;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KEV_MAX_RECLAIMERS);
	__type(key, __u32);
	__type(value, struct kev_reclaim_start);
} reclaimers SEC(".maps");

/* Separate from `reclaimers`: a memcg pass must never end a global one of the same task. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KEV_MAX_RECLAIMERS);
	__type(key, __u32);
	__type(value, struct kev_reclaim_start);
} memcg_reclaimers SEC(".maps");

/* Keyed by the reclaiming task's v1 memory cgroup id, or its v2 id without a v1 hierarchy. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KEV_MAX_MEMCG_WINDOWS);
	__type(key, __u64);
	__type(value, struct kev_memcg_window);
} memcg_windows SEC(".maps");

static __always_inline void reclaim_begin(void *map, int order)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct kev_reclaim_start s = { .start_ns = bpf_ktime_get_ns(), .order = order };

	bpf_map_update_elem(map, &pid, &s, BPF_ANY);
}

/* The duration of the current task's pass in `map` (0 when its begin was not seen). */
static __always_inline __u64 reclaim_end(void *map)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct kev_reclaim_start *s = bpf_map_lookup_elem(map, &pid);
	__u64 ns;

	if (!s)
		return 0;
	ns = bpf_ktime_get_ns() - s->start_ns;
	bpf_map_delete_elem(map, &pid);
	return ns;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(kev_reclaim_begin, int order, gfp_t gfp_flags)
{
	reclaim_begin(&reclaimers, order);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(kev_reclaim_end, unsigned long nr_reclaimed)
{
	struct kev_event *e;
	__u64 ns = reclaim_end(&reclaimers);

	if (ns == 0 || ns < threshold_ns)
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

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(kev_memcg_reclaim_begin, int order, gfp_t gfp_flags)
{
	reclaim_begin(&memcg_reclaimers, order);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(kev_memcg_reclaim_end, unsigned long nr_reclaimed)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task(); /* not _btf (5.11) */
	struct kev_memcg_window fresh = {}, *w;
	struct kev_event *e;
	__u64 now, key, ns = reclaim_end(&memcg_reclaimers);

	if (ns == 0)
		return 0;
	key = task_cgroup_memory(task);
	if (key == 0)
		key = task_cgroup_v2(task);
	now = bpf_ktime_get_ns();
	w = bpf_map_lookup_elem(&memcg_windows, &key);
	if (!w || now - w->start_ns > memcg_window_ns) {
		/* A new window starts where this pass began. */
		fresh.start_ns = now - ns;
		bpf_map_update_elem(&memcg_windows, &key, &fresh, BPF_ANY);
		w = bpf_map_lookup_elem(&memcg_windows, &key);
		if (!w)
			return 0;
	}
	/* Several tasks of one cgroup may end passes at once on different CPUs. */
	__sync_fetch_and_add(&w->stall_ns, ns);
	__sync_fetch_and_add(&w->nr_reclaimed, nr_reclaimed);
	__sync_fetch_and_add(&w->reclaims, 1);
	if (w->reported || w->stall_ns < memcg_threshold_ns)
		return 0;
	/* Not atomic (no 32-bit xchg before BPF v3): two CPUs crossing the threshold at the
	 * same instant may both report; the tracer drops the second by its cooldown. */
	w->reported = 1;
	e = kev_reserve(KEV_MEMCG_RECLAIM, task);
	if (!e)
		return 0;
	e->value = w->stall_ns;
	e->extra = w->nr_reclaimed;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

const struct kev_event *unused_kev_event __attribute__((unused));
const struct kev_reclaim_start *unused_kev_reclaim_start __attribute__((unused));
const struct kev_memcg_window *unused_kev_memcg_window __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
