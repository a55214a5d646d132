/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of syscall_events.bpf.c; mirrored once in syscall_events.ts. */
#ifndef AUTOTRACER_SYSCALL_EVENTS_H
#define AUTOTRACER_SYSCALL_EVENTS_H
#include "types.h"

/* A deliberately small record: the ring-buffer benchmark measures delivery, not copying. */
struct syscall_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() at sys_enter */
	__u32 tgid;
	__u32 syscall_nr;
};

#endif
