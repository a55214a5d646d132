// perf_event_open(2) for CPU-clock sampling, one event per CPU.
#pragma once
#include <string>
#include <vector>

namespace autotracer {

// Parses a kernel CPU list such as "0-3,5" (/sys/devices/system/cpu/online).
// Returns false on a malformed list.
bool ParseCpuList(const std::string& text, std::vector<int>* cpus);

// The online CPUs, or an empty vector (errno set) when the file cannot be read.
std::vector<int> OnlineCpus();

// Opens a PERF_TYPE_SOFTWARE/PERF_COUNT_SW_CPU_CLOCK sampling event at `frequency` Hz on
// `cpu`, for every task (cgroupFd < 0) or for the cgroup v2 directory `cgroupFd`
// (PERF_FLAG_PID_CGROUP). Returns the fd or -errno.
int OpenCpuClockEvent(int cpu, unsigned long frequency, int cgroupFd);

}  // namespace autotracer
