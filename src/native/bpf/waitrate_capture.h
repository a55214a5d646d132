/* SPDX-License-Identifier: GPL-2.0 */
/* ABI of waitrate_capture.bpf.c; mirrored once in waitrate_capture.ts (checked against BTF). */
#ifndef AUTOTRACER_WAITRATE_CAPTURE_H
#define AUTOTRACER_WAITRATE_CAPTURE_H
#include "types.h"

#define WRC_RING 64			/* slices remembered per CPU (power of two) */
#define WRC_MAX_PAIRS 16384		/* entries in the per-CPU `matrix` hash */
#define WRC_MAX_COMMS 4096		/* host processes named in `comms` */
#define WRC_MAX_VICTIMS 1024		/* cgroups with a histogram in `hist` */
#define WRC_HIST_SLOTS 32		/* log2 µs buckets: slot i = [2^i, 2^(i+1)) µs, slot 0 also < 1 µs */
#define WRC_IDLE_CGROUP 0		/* competitor id of an idle CPU (scheduling latency) */

/* One finished run slice on a CPU. cgroup 0 = idle. tgid only for host (root cgroup) tasks. */
struct wrc_slice {
	__u64 start_ns;
	__u64 end_ns;
	__u64 cgroup;
	__u32 tgid;
	__u32 pad;
};

/* Per-CPU state (slot 0 of `cap_cpu`): the ring of recent slices and the slice in progress. */
struct wrc_cpu {
	__u64 head;			/* slices pushed so far; newest at (head - 1) % WRC_RING */
	__u64 last_switch_ns;
	__u64 curr_cgroup;		/* 0 while idle */
	__u32 curr_tgid;
	__u32 pad;
	struct wrc_slice slices[WRC_RING];
};

/* Key of `matrix` (PERCPU_HASH -> __u64 ns of the victim's wait during which competitor ran). */
struct wrc_key {
	__u64 victim_cgroup;
	__u64 competitor_cgroup;	/* 0 = CPU idle; 1 = host task (then tgid names it) */
	__u32 competitor_tgid;		/* only for competitor_cgroup 1, else 0 */
	__u32 pad;
};

struct wrc_hist {
	__u64 slots[WRC_HIST_SLOTS];
};

/* Per-task snapshot (task storage). */
struct wrc_task {
	__u64 t_start;			/* became runnable (for the histogram) */
	__u64 t0;			/* start of the part attributable on `cpu` (reset on migration) */
	__u64 cgroup;
	__u32 cpu;
	__u32 pad;
};

enum wrc_stat {
	WRC_STAT_WAITS = 0,		/* victim waits ended during the window */
	WRC_STAT_WAIT_NS = 1,		/* their total wait */
	WRC_STAT_ATTRIBUTED_NS = 2,	/* wait attributed to a competitor or idle in `matrix` */
	WRC_STAT_TRUNCATED = 3,		/* waits longer than the ring: oldest part unattributed */
	WRC_STAT_MATRIX_FULL = 4,
	WRC_STAT_HIST_FULL = 5,
	WRC_STAT_COMMS_FULL = 6,
	WRC_STAT_MIGRATED_NS = 7,	/* wait spent on a CPU the task then left: unattributed */
	WRC_STAT_NR = 8,
};

#endif
