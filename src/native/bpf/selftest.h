/* ABI shared by selftest.bpf.c and the addon robustness tests (test/native/addon-*.test.ts).
 * The selftest object exists only to exercise the addon: ring buffer, per-CPU counters,
 * rodata knobs, and programs that cannot load/attach on a locked-down kernel. */
#ifndef AUTOTRACER_SELFTEST_H
#define AUTOTRACER_SELFTEST_H

#define SELFTEST_COMM_LEN 16

/* One record in the `events` ring buffer per exec: 32 bytes, little-endian. */
struct selftest_exec_event {
	unsigned int pid;                 /* offset 0: tgid of the exec'ing process */
	unsigned int tid;                 /* offset 4 */
	unsigned long long ts_ns;         /* offset 8: bpf_ktime_get_ns() = CLOCK_MONOTONIC, for delivery latency */
	char comm[SELFTEST_COMM_LEN];     /* offset 16: NUL-padded */
};

#endif
