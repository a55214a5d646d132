// SPDX-License-Identifier: GPL-2.0
/*
 * iotracing capture (attached for `duration` seconds after a disk anomaly), tracepoints
 * only (this kernel has no kprobes/fentry):
 *  - block_io_start (submitter context: blk_mq_submit_bio) remembers who queued a request;
 *    block_rq_issue fills in the device, the inode and, when block_io_start did not run
 *    (IO accounting off), the issuing task; block_rq_complete adds the completed bytes and
 *    q2c/d2c latencies to files[(dev, tgid, inode)].
 *  - sched_switch with prev in TASK_UNINTERRUPTIBLE (not TASK_IDLE) remembers the switch-out time;
 *    sched_wakeup closes the sleep and keeps each task's longest one, with its kernel stack
 *    taken there (bpf_get_task_stack of the woken task, which has not run yet, so its saved
 *    stack is still the blocked one). Taking it at wakeup, and only for a new longest sleep
 *    of at least min_blocked_ns, avoids one stack walk per (mostly short) IO sleep.
 * Losses (full maps, lost stacks) are counted in `stats`, never silent.
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

/* Only this device (kernel dev_t) when non-zero. */
const volatile __u32 target_dev = 0;
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOT_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline __u32 rq_dev(struct request *rq)
{
	struct block_device *part = rq->part;
	struct gendisk *disk;

	if (part)
		return part->bd_dev;
	disk = rq->q->disk;
	if (!disk)
		return 0;
	return ((__u32)disk->major << 20) | (__u32)disk->first_minor;
}

/*
 * The inode of the page cache page behind the request's first bio vector. Fragile by
 * nature: direct IO (user pages: anonymous mapping), metadata and swap give 0 or a value
 * we discard; the TS side then names files through /proc/<pid>/fd instead.
 */
static __always_inline __u64 rq_inode(struct request *rq)
{
	struct bio *bio = rq->bio;
	struct bio_vec *vec;
	struct page *page;
	unsigned long mapping;
	struct inode *host;

	if (!bio)
		return 0;
	vec = bio->bi_io_vec;
	if (!vec)
		return 0;
	page = BPF_CORE_READ(vec, bv_page);
	if (!page)
		return 0;
	mapping = (unsigned long)BPF_CORE_READ(page, mapping);
	if (!mapping || (mapping & IOT_PAGE_MAPPING_FLAGS))
		return 0;
	host = BPF_CORE_READ((struct address_space *)mapping, host);
	if (!host)
		return 0;
	return BPF_CORE_READ(host, i_ino);
}

static __always_inline void remember_submitter(struct iot_rq *r)
{
	r->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
}

SEC("tp_btf/block_io_start")
int BPF_PROG(iot_io_start, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct iot_rq r = {};
	__u32 dev = rq_dev(rq);

	if (target_dev && dev != target_dev)
		return 0;
	r.dev = dev;
	r.queued_ns = bpf_ktime_get_ns();
	remember_submitter(&r);
	if (bpf_map_update_elem(&inflight, &key, &r, BPF_ANY))
		percpu_slot_add(&stats, IOT_STAT_INFLIGHT_FULL, 1);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(iot_rq_issue, struct request *rq)
{
	__u64 key = (__u64)rq;
	struct iot_rq *r = bpf_map_lookup_elem(&inflight, &key);
	__u32 dev = rq_dev(rq);

	if (target_dev && dev != target_dev)
		return 0;
	if (!r) {
		struct iot_rq fresh = {};

		/* Accounting off, or a requeue: the issuer is the best submitter we have. */
		fresh.dev = dev;
		remember_submitter(&fresh);
		if (bpf_map_update_elem(&inflight, &key, &fresh, BPF_ANY)) {
			percpu_slot_add(&stats, IOT_STAT_INFLIGHT_FULL, 1);
			return 0;
		}
		r = bpf_map_lookup_elem(&inflight, &key);
		if (!r)
			return 0;
	}
	r->dev = dev;
	r->issued_ns = bpf_ktime_get_ns();
	r->ino = rq_inode(rq);
	return 0;
}

static __always_inline void account(struct iot_rq *r, __u32 op, __u64 bytes, __u64 q2c, __u64 d2c, bool final)
{
	struct iot_key key = { .dev = r->dev, .tgid = r->tgid, .ino = r->ino };
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
	if (op == IOT_REQ_OP_READ)
		__sync_fetch_and_add(&v->read_bytes, bytes);
	else
		__sync_fetch_and_add(&v->write_bytes, bytes);
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
		if (!target_dev || rq_dev(rq) == target_dev)
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

char LICENSE[] SEC("license") = "GPL";
