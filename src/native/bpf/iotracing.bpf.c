// SPDX-License-Identifier: GPL-2.0
/*
 * iotracing capture (attached for `duration` seconds after a disk anomaly), tracepoints
 * only (this kernel has no kprobes/fentry):
 *  - Requests are filtered by their *disk* (rq->q->disk), never by rq->part: on 6.5+
 *    block_io_start fires before blk_account_io_start sets rq->part, so a partition filter
 *    saw a request as the whole disk at start and as the partition at issue. The TS side
 *    turns a partition / dm / md target into the disks below it (target_disks). A row's
 *    device is the bio's block device (bio->bi_bdev: the partition), the same at every hook.
 *  - block_io_start (submitter context: blk_mq_submit_bio) remembers who queued a request
 *    and which file: the page-cache host of the first bio page, else (direct IO, whose pages
 *    are user memory) the regular file of the read/write/fsync-like syscall the submitter
 *    is in (sys_enter records it per thread; it counts while the task's pt_regs still show
 *    that syscall). When the submitter is a
 *    kernel thread (flusher kworker, jbd2), the request is charged to the process that last
 *    dirtied a page of that inode (writeback_dirty_folio runs in the dirtier's context).
 *    block_rq_issue adds the issue time (and the identity when block_io_start did not run);
 *    block_rq_complete adds the completed bytes and q2c/d2c latencies to
 *    files[(dev, tgid, inode, fs_dev)].
 *  - sched_switch with prev in TASK_UNINTERRUPTIBLE (not TASK_IDLE) remembers the switch-out time;
 *    sched_wakeup closes the sleep and keeps each task's longest one, with its kernel stack
 *    taken there (bpf_get_task_stack of the woken task, which has not run yet, so its saved
 *    stack is still the blocked one). Taking it at wakeup, and only for a new longest sleep
 *    of at least min_blocked_ns, avoids one stack walk per (mostly short) IO sleep.
 *  - Before 6.5 there is no block_io_start: the TS side (iotracing/start-program.ts) loads
 *    iot_rq_insert instead (the only start program autoloaded by default, so a plain libbpf
 *    loader on an old kernel loads the same set). It stamps requests that go through an IO
 *    scheduler at insert; requests issued directly (no scheduler) are first seen by
 *    block_rq_issue. Either way the start is rq->start_time_ns (set at allocation when the
 *    queue keeps IO stats or has a scheduler) and the identity is the task running the
 *    hook: the submitter, except for IO dispatched later from a kworker (docs/iotracing.md).
 * Losses (full maps, lost stacks, unattributed kernel-thread IO) are counted in `stats`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.h"
#include "iotracing.h"

#define IOT_TASK_UNINTERRUPTIBLE 2
/* TASK_IDLE = UNINTERRUPTIBLE | NOLOAD: idle kthreads (kworkers, rcu, kdamond) parked
 * without counting as load. They are not blocked on anything and would crowd the real IO
 * waiters out of the longest-sleep list. */
#define IOT_TASK_NOLOAD 0x400
#define IOT_REQ_OP_MASK 0xff
#define IOT_REQ_OP_READ 0
#define IOT_REQ_OP_WRITE 1
#define IOT_PAGE_MAPPING_FLAGS 3UL
#define IOT_PF_KTHREAD 0x00200000
#define IOT_S_IFMT 00170000
#define IOT_S_IFREG 0100000

/* Only requests of these disks (kernel dev_t of the whole disk); every disk when the count is 0. */
const volatile __u32 target_disks[IOT_MAX_TARGET_DISKS] = {};
const volatile __u32 target_disk_count = 0;
/* Sleeps shorter than this are not recorded (ns). */
const volatile __u64 min_blocked_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOT_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct iot_rq);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOT_MAX_FILES);
	__type(key, struct iot_key);
	__type(value, struct iot_val);
} files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOT_MAX_SLEEPERS);
	__type(key, __u32);
	__type(value, struct iot_sleep);
} sleepers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOT_MAX_BLOCKED);
	__type(key, __u32);
	__type(value, struct iot_blocked);
} blocked SEC(".maps");

/* LRU: entries are never deleted at syscall exit (validated by syscall number instead). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IOT_MAX_SYSCALL_FILES);
	__type(key, __u32);
	__type(value, struct iot_file);
} syscall_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IOT_MAX_DIRTIERS);
	__type(key, __u64);
	__type(value, struct iot_dirtier);
} dirtiers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOT_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline __u32 rq_disk(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;

	if (!disk)
		return 0;
	return ((__u32)disk->major << 20) | (__u32)disk->first_minor;
}

static __always_inline bool disk_targeted(__u32 disk)
{
	__u32 i;

	if (target_disk_count == 0)
		return true;
	for (i = 0; i < IOT_MAX_TARGET_DISKS; i++) {
		if (i >= target_disk_count)
			break;
		if (target_disks[i] == disk)
			return true;
	}
	return false;
}

/* The partition (or whole disk) the IO was submitted to: bio->bi_bdev, set before any hook. */
static __always_inline __u32 rq_dev(struct request *rq)
{
	struct bio *bio = rq->bio;
	struct block_device *bdev = bio ? BPF_CORE_READ(bio, bi_bdev) : NULL;

	if (!bdev)
		bdev = rq->part;
	if (bdev)
		return BPF_CORE_READ(bdev, bd_dev);
	return rq_disk(rq);
}

/*
 * The regular file owning the page cache page behind the request's first bio vector, or
 * NULL. Direct IO carries user pages: anonymous (flagged mapping) or, for a MAP_SHARED
 * buffer, shmem pages whose host is a tmpfs inode: a file system without a block device is
 * never the target of block IO, so such hosts are refused. Buffer-head metadata (host: the
 * block device inode) is not a regular file either.
 */
static __always_inline struct inode *rq_host(struct request *rq)
{
	struct bio *bio = rq->bio;
	struct bio_vec *vec;
	struct page *page;
	unsigned long mapping;
	struct inode *host;

	if (!bio)
		return NULL;
	vec = bio->bi_io_vec;
	if (!vec)
		return NULL;
	page = BPF_CORE_READ(vec, bv_page);
	if (!page)
		return NULL;
	mapping = (unsigned long)BPF_CORE_READ(page, mapping);
	if (!mapping || (mapping & IOT_PAGE_MAPPING_FLAGS))
		return NULL;
	host = BPF_CORE_READ((struct address_space *)mapping, host);
	if (!host || (BPF_CORE_READ(host, i_mode) & IOT_S_IFMT) != IOT_S_IFREG || !BPF_CORE_READ(host, i_sb, s_bdev))
		return NULL;
	return host;
}

/* The syscall number the task is in (orig_ax of its user-mode registers). */
static __always_inline __u32 current_syscall(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return regs ? (__u32)BPF_CORE_READ(regs, orig_ax) : (__u32)-1;
}

/*
 * Who and which file, in the submitting context: the current task and the page-cache
 * host, else the file of the syscall it is in. A kernel thread writing pages back is
 * replaced by the process that dirtied them, when that was seen during the capture.
 */
static __always_inline void identify(struct iot_rq *r, struct request *rq)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inode *host = rq_host(rq);

	r->tgid = pid_tgid >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	if (host) {
		r->ino = BPF_CORE_READ(host, i_ino);
		r->fs_dev = BPF_CORE_READ(host, i_sb, s_dev);
	} else {
		__u32 tid = (__u32)pid_tgid;
		struct iot_file *f = bpf_map_lookup_elem(&syscall_files, &tid);

		/* Only while the task is still in that syscall (no sys_exit program: it ran for
		 * every syscall on the host); a kernel thread's pt_regs hold no syscall. */
		if (f && f->nr == current_syscall(task)) {
			r->ino = f->ino;
			r->fs_dev = f->fs_dev;
		}
	}
	if (!(task->flags & IOT_PF_KTHREAD))
		return;
	if (host) {
		__u64 key = (__u64)host;
		struct iot_dirtier *d = bpf_map_lookup_elem(&dirtiers, &key);

		if (d) {
			r->tgid = d->tgid;
			__builtin_memcpy(r->comm, d->comm, sizeof(r->comm));
			r->writeback = 1;
			return;
		}
	}
	percpu_slot_add(&stats, IOT_STAT_KTHREAD_UNATTRIBUTED, 1);
}

/* When the request was created: its own allocation stamp when the block layer kept one. */
static __always_inline __u64 rq_start_ns(struct request *rq)
{
	__u64 t = BPF_CORE_READ(rq, start_time_ns);

	return t ? t : bpf_ktime_get_ns();
}

/* Opt-in ("?"): loaded on 6.5+ only (start-program.ts); iot_rq_insert stands in before. */
SEC("?tp_btf/block_io_start")
int BPF_PROG(iot_io_start, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct iot_rq r = {};

	if (!disk_targeted(rq_disk(rq)))
		return 0;
	r.dev = rq_dev(rq);
	r.queued_ns = bpf_ktime_get_ns();
	identify(&r, rq);
	if (bpf_map_update_elem(&inflight, &key, &r, BPF_ANY))
		percpu_slot_add(&stats, IOT_STAT_INFLIGHT_FULL, 1);
	return 0;
}

/*
 * Pre-6.5 fallback for block_io_start: requests going through an IO scheduler are inserted
 * from the submitter's context (its plug flush included). A request already known is a
 * requeue or a flush-sequence reinsert (from kblockd): its first identity stays.
 */
SEC("tp_btf/block_rq_insert")
int BPF_PROG(iot_rq_insert, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct iot_rq r = {};

	if (!disk_targeted(rq_disk(rq)) || bpf_map_lookup_elem(&inflight, &key))
		return 0;
	r.dev = rq_dev(rq);
	r.queued_ns = rq_start_ns(rq);
	identify(&r, rq);
	if (bpf_map_update_elem(&inflight, &key, &r, BPF_NOEXIST) && !bpf_map_lookup_elem(&inflight, &key))
		percpu_slot_add(&stats, IOT_STAT_INFLIGHT_FULL, 1);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(iot_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct iot_rq *r;

	if (!disk_targeted(rq_disk(rq)))
		return 0;
	r = bpf_map_lookup_elem(&inflight, &key);
	if (!r) {
		struct iot_rq fresh = {};

		/* Not seen at start: the fallback's requests issued without a scheduler (the
		 * issuer is the submitter unless a kworker dispatches), accounting off, or a
		 * requeue. The issuer is the best submitter we have. */
		fresh.dev = rq_dev(rq);
		fresh.queued_ns = rq_start_ns(rq);
		identify(&fresh, rq);
		percpu_slot_add(&stats, IOT_STAT_ISSUE_FIRST_SEEN, 1);
		if (bpf_map_update_elem(&inflight, &key, &fresh, BPF_ANY)) {
			percpu_slot_add(&stats, IOT_STAT_INFLIGHT_FULL, 1);
			return 0;
		}
		r = bpf_map_lookup_elem(&inflight, &key);
		if (!r)
			return 0;
	}
	r->issued_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline void account(struct iot_rq *r, __u32 op, __u64 bytes, __u64 q2c, __u64 d2c, bool final)
{
	struct iot_key key = { .dev = r->dev, .tgid = r->tgid, .ino = r->ino, .fs_dev = r->fs_dev };
	struct iot_val *v = bpf_map_lookup_elem(&files, &key);

	if (!v) {
		struct iot_val zero = {};

		__builtin_memcpy(zero.comm, r->comm, sizeof(zero.comm));
		if (bpf_map_update_elem(&files, &key, &zero, BPF_NOEXIST) && bpf_map_lookup_elem(&files, &key) == NULL) {
			percpu_slot_add(&stats, IOT_STAT_FILES_FULL, 1);
			return;
		}
		v = bpf_map_lookup_elem(&files, &key);
		if (!v)
			return;
	}
	/* Shared across CPUs: atomic adds. */
	if (op == IOT_REQ_OP_READ) {
		__sync_fetch_and_add(&v->read_bytes, bytes);
	} else {
		__sync_fetch_and_add(&v->write_bytes, bytes);
		if (r->writeback)
			__sync_fetch_and_add(&v->writeback_bytes, bytes);
	}
	if (!final)
		return;
	__sync_fetch_and_add(&v->ios, 1);
	__sync_fetch_and_add(&v->q2c_ns_sum, q2c);
	__sync_fetch_and_add(&v->d2c_ns_sum, d2c);
	/* Racy max: a lost update only understates a maximum by a concurrent completion. */
	if (q2c > v->q2c_ns_max)
		v->q2c_ns_max = q2c;
	if (d2c > v->d2c_ns_max)
		v->d2c_ns_max = d2c;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(iot_rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq, now, q0, q2c = 0, d2c = 0;
	struct iot_rq *r = bpf_map_lookup_elem(&inflight, &key);
	__u32 op = rq->cmd_flags & IOT_REQ_OP_MASK;
	bool final;

	if (!r) {
		if (disk_targeted(rq_disk(rq)))
			percpu_slot_add(&stats, IOT_STAT_UNTRACKED_DONE, 1);
		return 0;
	}
	/* Partial completions come first with nr_bytes < the remaining __data_len. */
	final = nr_bytes >= rq->__data_len;
	if (op == IOT_REQ_OP_READ || op == IOT_REQ_OP_WRITE) {
		now = bpf_ktime_get_ns();
		q0 = r->queued_ns ? r->queued_ns : rq->start_time_ns;
		if (q0 && now > q0)
			q2c = now - q0;
		if (r->issued_ns && now > r->issued_ns)
			d2c = now - r->issued_ns;
		account(r, op, nr_bytes, q2c, d2c, final);
	}
	if (final)
		bpf_map_delete_elem(&inflight, &key);
	return 0;
}

/* Syscalls whose first argument is the fd of the file they read, write or flush (x86_64). */
static __always_inline bool file_syscall(long id)
{
	switch (id) {
	case 0:		/* read */
	case 1:		/* write */
	case 17:	/* pread64 */
	case 18:	/* pwrite64 */
	case 19:	/* readv */
	case 20:	/* writev */
	case 74:	/* fsync */
	case 75:	/* fdatasync */
	case 277:	/* sync_file_range */
	case 295:	/* preadv */
	case 296:	/* pwritev */
	case 327:	/* preadv2 */
	case 328:	/* pwritev2 */
		return true;
	}
	return false;
}

/* The regular file on a target disk's file system behind fd, or NULL. */
static __always_inline struct inode *fd_target_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct inode *inode;
	struct gendisk *disk;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode || (BPF_CORE_READ(inode, i_mode) & IOT_S_IFMT) != IOT_S_IFREG)
		return NULL;
	/* Files of other disks cannot matter to this capture. */
	disk = BPF_CORE_READ(inode, i_sb, s_bdev, bd_disk);
	if (!disk || !disk_targeted(((__u32)BPF_CORE_READ(disk, major) << 20) | (__u32)BPF_CORE_READ(disk, first_minor)))
		return NULL;
	return inode;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(iot_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct iot_file v = {}, *old;
	struct inode *inode;
	__u32 tid;

	if (!file_syscall(id))
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	old = bpf_map_lookup_elem(&syscall_files, &tid);
	inode = fd_target_file(task, (long)BPF_CORE_READ(regs, di));
	if (!inode) {
		/* e.g. a write to a raw block device after one to a file: never the stale file. */
		if (old)
			bpf_map_delete_elem(&syscall_files, &tid);
		return 0;
	}
	v.ino = BPF_CORE_READ(inode, i_ino);
	v.fs_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	v.nr = (__u32)id;
	/* A writer loops on one fd: skip the hash update when nothing changed. */
	if (old && old->ino == v.ino && old->fs_dev == v.fs_dev && old->nr == v.nr)
		return 0;
	bpf_map_update_elem(&syscall_files, &tid, &v, BPF_ANY);
	return 0;
}

/* Runs in the task dirtying the folio: remember it per inode for the flusher's IO later. */
SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(iot_dirty_folio, struct folio *folio, struct address_space *mapping)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct iot_dirtier *d, v = {};
	__u64 key;

	if (task->flags & IOT_PF_KTHREAD || !mapping)
		return 0;
	key = (__u64)BPF_CORE_READ(mapping, host);
	if (!key)
		return 0;
	d = bpf_map_lookup_elem(&dirtiers, &key);
	if (d && d->tgid == tgid)
		return 0;
	v.tgid = tgid;
	bpf_get_current_comm(v.comm, sizeof(v.comm));
	bpf_map_update_elem(&dirtiers, &key, &v, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iot_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct iot_sleep s = {};
	__u32 pid = prev->pid;

	if (preempt || !(prev_state & IOT_TASK_UNINTERRUPTIBLE) || (prev_state & IOT_TASK_NOLOAD) || !pid)
		return 0;
	s.start_ns = bpf_ktime_get_ns();
	s.iowait = BPF_CORE_READ_BITFIELD_PROBED(prev, in_iowait);
	if (bpf_map_update_elem(&sleepers, &pid, &s, BPF_ANY))
		percpu_slot_add(&stats, IOT_STAT_SLEEPERS_FULL, 1);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iot_wakeup, struct task_struct *p)
{
	__u32 pid = p->pid;
	struct iot_sleep *s = bpf_map_lookup_elem(&sleepers, &pid);
	struct iot_blocked *b;
	__u64 now, ns;

	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	ns = now > s->start_ns ? now - s->start_ns : 0;
	if (ns < min_blocked_ns) {
		bpf_map_delete_elem(&sleepers, &pid);
		return 0;
	}
	b = bpf_map_lookup_elem(&blocked, &pid);
	if (!b) {
		struct iot_blocked zero = {};

		zero.tgid = p->tgid;
		BPF_CORE_READ_STR_INTO(&zero.comm, p, comm);
		if (bpf_map_update_elem(&blocked, &pid, &zero, BPF_NOEXIST) && !bpf_map_lookup_elem(&blocked, &pid)) {
			percpu_slot_add(&stats, IOT_STAT_BLOCKED_FULL, 1);
			bpf_map_delete_elem(&sleepers, &pid);
			return 0;
		}
		b = bpf_map_lookup_elem(&blocked, &pid);
	}
	if (b) {
		/* One task wakes once at a time: no concurrent writer for its own entry. */
		b->count++;
		b->total_ns += ns;
		if (ns > b->max_ns) {
			long n = bpf_get_task_stack(p, b->stack, sizeof(b->stack), 0);

			b->max_ns = ns;
			b->iowait = s->iowait;
			b->stack_len = n > 0 ? n / sizeof(__u64) : 0;
			if (n <= 0)
				percpu_slot_add(&stats, IOT_STAT_STACK_LOST, 1);
		}
	}
	bpf_map_delete_elem(&sleepers, &pid);
	return 0;
}

const struct iot_rq *unused_iot_rq __attribute__((unused));
const struct iot_key *unused_iot_key __attribute__((unused));
const struct iot_val *unused_iot_val __attribute__((unused));
const struct iot_sleep *unused_iot_sleep __attribute__((unused));
const struct iot_blocked *unused_iot_blocked __attribute__((unused));
const struct iot_file *unused_iot_file __attribute__((unused));
const struct iot_dirtier *unused_iot_dirtier __attribute__((unused));

char LICENSE[] SEC("license") = "GPL";
