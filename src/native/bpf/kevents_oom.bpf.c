// SPDX-License-Identifier: GPL-2.0
/*
 * oom: oom/mark_victim names the victim task itself (tp_btf arg), so its cgroups are read
 * here, before it exits; `current` is the task whose allocation ran out (trigger).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "kevents.h"
#include "kevents_common.h"

SEC("tp_btf/mark_victim")
int BPF_PROG(kev_oom, struct task_struct *task, uid_t uid)
{
	struct kev_event *e = kev_reserve(KEV_OOM_VICTIM, task);
	struct mm_struct *mm;

	if (!e)
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (mm)
		e->extra = BPF_CORE_READ(mm, total_vm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

const struct kev_event *unused_kev_event __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
