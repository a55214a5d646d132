// SPDX-License-Identifier: GPL-2.0
/*
 * The look-back sampler: a host-wide perf_event program at a low rate (19 Hz) that writes
 * every sample's task and both stacks (bpf_get_stack, so no STACK_TRACE map to fill,
 * collide or clear) into a ring buffer without waking the reader. One owner drains it
 * about once a second into an in-process window of aggregated stacks (src/capture/lookback*).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.h"
#include "lookback.h"

/* Resized by the owner from CPUs x frequency (max_entries is a byte size, a power of two). */
DECLARE_RINGBUF(samples, 256 * 1024);

/* Puts struct lookback_sample into the object's BTF so its layout can be checked from TS. */
const struct lookback_sample *unused_lookback_sample __attribute__((unused));

SEC("perf_event")
int lookback_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct lookback_sample *s;

	s = RINGBUF_RESERVE_OR_COUNT(samples, samples_drops, sizeof(*s));
	if (!s)
		return 0;
	s->time_ns = bpf_ktime_get_ns();
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->pid = (__u32)pid_tgid;
	s->tgid = pid_tgid >> 32;
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	s->kbytes = bpf_get_stack(ctx, s->kips, sizeof(s->kips), 0);
	/* Kernel threads have no user stack: skip the walk (it would fail anyway). */
	s->ubytes = s->tgid == 0 ? 0 : bpf_get_stack(ctx, s->uips, sizeof(s->uips), BPF_F_USER_STACK);
	/* The reader polls on a timer: waking it per sample would cost more than the sample. */
	bpf_ringbuf_submit(s, BPF_RB_NO_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
