// SPDX-License-Identifier: GPL-2.0
/* hungtask: khungtaskd reports a task blocked longer than kernel.hung_task_timeout_secs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "kevents.h"
#include "kevents_common.h"

SEC("tp_btf/sched_process_hang")
int BPF_PROG(kev_hang, struct task_struct *task)
{
	struct kev_event *e = kev_reserve(KEV_HUNG_TASK, task);

	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

const struct kev_event *unused_kev_event __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
