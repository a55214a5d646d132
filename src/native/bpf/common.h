/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by every autotracer BPF program. Include after vmlinux.h and
 * <bpf/bpf_helpers.h>.
 *
 * Ring-buffer drop accounting: a failed bpf_ringbuf_reserve() (ring full) must never be
 * silent. Each ring buffer map `X` has a companion per-CPU ARRAY map `X_drops` with one
 * u64 at key 0; the TypeScript RingBuffer.dropped reads exactly that name, so keep the
 * naming convention: DECLARE_RINGBUF(events, 256 * 1024) declares `events` and
 * `events_drops` together.
 */
#ifndef AUTOTRACER_COMMON_H
#define AUTOTRACER_COMMON_H

#define DECLARE_RINGBUF(name, bytes)                                      \
	struct {                                                          \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                       \
		__uint(max_entries, bytes);                               \
	} name SEC(".maps");                                              \
	struct {                                                          \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                  \
		__uint(max_entries, 1);                                   \
		__type(key, __u32);                                       \
		__type(value, __u64);                                     \
	} name##_drops SEC(".maps")

/* Adds `delta` to slot 0 of a per-CPU u64 ARRAY counter map. Per-CPU, so no atomics. */
static __always_inline void percpu_counter_add(void *counter_map, __u64 delta)
{
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(counter_map, &zero);

	if (slot)
		*slot += delta;
}

/* Adds `delta` to slot `idx` of a per-CPU u64 ARRAY map (several counters in one map). */
static __always_inline void percpu_slot_add(void *counter_map, __u32 idx, __u64 delta)
{
	__u64 *slot = bpf_map_lookup_elem(counter_map, &idx);

	if (slot)
		*slot += delta;
}

/*
 * Reserves `size` bytes in ring buffer `rb`; on failure counts one drop in `drops_map`
 * (by convention `rb##_drops`, see DECLARE_RINGBUF) and evaluates to NULL. Usage:
 *   struct event *e = RINGBUF_RESERVE_OR_COUNT(events, events_drops, sizeof(*e));
 *   if (!e) return 0;
 */
#define RINGBUF_RESERVE_OR_COUNT(rb, drops_map, size)                     \
	({                                                                \
		void *__rec = bpf_ringbuf_reserve(&(rb), size, 0);        \
		if (!__rec)                                               \
			percpu_counter_add(&(drops_map), 1);              \
		__rec;                                                    \
	})

/* True when the first `len` bytes of comm equal prefix (len <= 16, bounded loop). */
static __always_inline bool comm_has_prefix(const char *comm, const volatile char *prefix,
					    __u32 len)
{
	for (int i = 0; i < 16; i++) {
		if (i >= len)
			return true;
		if (comm[i] != prefix[i])
			return false;
	}
	return true;
}

#endif /* AUTOTRACER_COMMON_H */
