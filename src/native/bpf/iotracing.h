/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iotracing capture: structs shared with src/native/bpf/iotracing.ts (layouts checked
 * against this object's BTF by test/iotracing/layout.test.ts).
 */
#ifndef AUTOTRACER_IOTRACING_H
#define AUTOTRACER_IOTRACING_H

#define IOT_COMM_LEN 16
#define IOT_MAX_INFLIGHT 8192
#define IOT_MAX_FILES 4096
#define IOT_MAX_SLEEPERS 8192
#define IOT_MAX_BLOCKED 4096
#define IOT_STACK_DEPTH 32
#define IOT_MAX_TARGET_DISKS 16	/* the target disk plus the disks under a dm/md target */
#define IOT_MAX_SYSCALL_FILES 8192
#define IOT_MAX_DIRTIERS 16384

/* Per-request state from submission to completion (key: the struct request pointer). */
struct iot_rq {
	__u64 ino;		/* the file: page-cache host, else the submitting syscall's fd; 0 = unknown */
	__u64 queued_ns;	/* when the submitter created it (block_io_start), 0 = unseen */
	__u64 issued_ns;	/* handed to the driver (block_rq_issue) */
	__u32 dev;		/* kernel dev_t (major << 20 | minor) of the bio's block device: the partition */
	__u32 tgid;		/* submitter, or the process that dirtied the pages a flusher writes */
	char comm[IOT_COMM_LEN];
	__u32 fs_dev;		/* s_dev of the file's file system (kernel dev_t), 0 = unknown */
	__u32 writeback;	/* 1: submitted by a kernel thread on behalf of `tgid` (it dirtied the pages) */
};

/* Aggregation key: one row per (device, process, file). */
struct iot_key {
	__u32 dev;
	__u32 tgid;
	__u64 ino;
	__u32 fs_dev;
	__u32 pad;
};

/*
 * The regular file behind the last read/write/fsync-like syscall of a task (key: tid),
 * valid while the task is still in that syscall (`nr` = its pt_regs orig_ax).
 */
struct iot_file {
	__u64 ino;
	__u32 fs_dev;
	__u32 nr;
};

/* Who last dirtied a page of an inode (key: the struct inode pointer). */
struct iot_dirtier {
	__u32 tgid;
	__u32 pad;
	char comm[IOT_COMM_LEN];
};

struct iot_val {
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 ios;		/* completed requests */
	__u64 q2c_ns_sum;
	__u64 d2c_ns_sum;
	__u64 q2c_ns_max;
	__u64 d2c_ns_max;
	__u64 writeback_bytes;	/* of write_bytes: written by a flusher thread for this process */
	char comm[IOT_COMM_LEN];
};

/* A task switched out in TASK_UNINTERRUPTIBLE, until its wakeup. */
struct iot_sleep {
	__u64 start_ns;
	__u32 iowait;		/* in_iowait at switch-out */
	__u32 pad;
};

/* Per task: its longest uninterruptible sleep seen during the capture. */
struct iot_blocked {
	__u64 max_ns;
	__u64 total_ns;
	__u64 count;
	__u32 tgid;
	__u32 iowait;		/* in_iowait at switch-out of the longest sleep */
	__u32 stack_len;	/* frames in `stack` (0 = lost) */
	__u32 pad;
	char comm[IOT_COMM_LEN];
	__u64 stack[IOT_STACK_DEPTH];	/* kernel stack of the longest sleep, taken at its wakeup */
};

enum iot_stat {
	IOT_STAT_INFLIGHT_FULL = 0,	/* request not tracked: in-flight map full */
	IOT_STAT_FILES_FULL = 1,	/* completion not aggregated: files map full */
	IOT_STAT_UNTRACKED_DONE = 2,	/* completion of a request issued before attach */
	IOT_STAT_SLEEPERS_FULL = 3,
	IOT_STAT_BLOCKED_FULL = 4,
	IOT_STAT_STACK_LOST = 5,
	IOT_STAT_KTHREAD_UNATTRIBUTED = 6,	/* a kernel thread's IO whose dirtier was not seen */
	IOT_STAT_ISSUE_FIRST_SEEN = 7,	/* identity taken at issue: no start hook saw the request */
	IOT_STAT_NR = 8,
};

#endif
