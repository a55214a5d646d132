/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of exec_events.bpf.c; mirrored once in exec_events.ts (checked against BTF by a test). */
#ifndef AUTOTRACER_EXEC_EVENTS_H
#define AUTOTRACER_EXEC_EVENTS_H
#include "types.h"

#define EXEC_FILENAME_LEN 64

/* One record per successful execve, as seen by tp_btf/sched_process_exec. */
struct exec_event {
	__u64 cgroup_id;		/* v2 cgroup id (inode of the unified directory) */
	__u32 pid;			/* thread id (kernel pid) */
	__u32 tgid;			/* process id */
	__u32 ppid;			/* tgid of the real parent */
	char comm[AT_TASK_COMM_LEN];	/* comm after exec: basename of the path */
	char filename[EXEC_FILENAME_LEN];	/* path as passed to execve, truncated */
};

#endif
