// libbpf's own log lines, kept per thread so an error can carry libbpf's explanation
// (e.g. the verifier log) in `libbpfMessage`. Every JS thread (main, each worker) makes
// its libbpf calls on itself, so a thread_local buffer is per environment in practice.
#pragma once
#include <string>

namespace autotracer {

// Installs the libbpf print callback once per process (std::call_once).
void InstallLibbpfLogger();
// Forgets what was logged so far on this thread: call before a libbpf operation.
void ClearLibbpfLog();
// The tail (at most a few KiB) of what libbpf logged on this thread since the last clear.
std::string LastLibbpfLog();

}  // namespace autotracer
