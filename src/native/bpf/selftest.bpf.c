// SPDX-License-Identifier: GPL-2.0
/* A minimal BPF object for the native addon's own tests (not a tracer):
 *  - on_exec   tp_btf/sched_process_exec -> ring buffer `events` ({pid, tid, ts_ns, comm}),
 *              failed reserves counted in the per-CPU array `events_drops`;
 *              filtered by the rodata knob `target_tgid` (0 = everyone).
 *  - on_switch tp_btf/sched_switch -> per-CPU counter `switch_count`.
 *  - on_getpid uprobe (attached by the test with attachUprobe) -> `uprobe_count`.
 *  - on_cpu_clock perf_event -> `perf_count`.
 *  - kprobe_vfs_read / fentry_vfs_read: not autoloaded ("?" sections); the tests turn
 *    them on to check that a locked-down kernel gives BPF_ATTACH_UNSUPPORTED /
 *    BPF_LOAD_FAILED instead of a crash. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "selftest.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
/* A second knob of another size, for the rodata size checks. */
const volatile __u64 knob_u64 = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} switch_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps"); /* [0] = uprobe hits, [1] = perf_event samples */

/* A plain hash map the tests use for map operations (update/lookup/batch). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} scratch_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 16 * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline void bump(void *map, __u32 key)
{
	__u64 *value = bpf_map_lookup_elem(map, &key);
	if (value)
		__sync_fetch_and_add(value, 1);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct selftest_exec_event *e;

	if (target_tgid != 0 && tgid != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *drops = bpf_map_lookup_elem(&events_drops, &zero);
		if (drops)
			*drops += 1; /* per-CPU slot: no atomic needed */
		return 0;
	}
	e->pid = tgid;
	e->tid = (__u32)id;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(&switch_count, &zero);
	if (count)
		*count += 1;
	return 0;
}

SEC("uprobe")
int on_uprobe(struct pt_regs *ctx)
{
	bump(&counters, 0);
	return 0;
}

SEC("perf_event")
int on_cpu_clock(struct bpf_perf_event_data *ctx)
{
	bump(&counters, 1);
	bpf_get_stackid(ctx, &stacks, 0);
	return 0;
}

SEC("?kprobe/vfs_read")
int kprobe_vfs_read(struct pt_regs *ctx)
{
	return 0;
}

SEC("?fentry/vfs_read")
int BPF_PROG(fentry_vfs_read, struct file *file)
{
	return 0;
}
