#include "perf_event.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace autotracer {

bool ParseCpuList(const std::string& text, std::vector<int>* cpus) {
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    while (!part.empty() && (part.back() == '\n' || part.back() == ' ')) part.pop_back();
    if (part.empty()) continue;
    char* end = nullptr;
    long first = strtol(part.c_str(), &end, 10);
    if (end == part.c_str() || first < 0) return false;
    long last = first;
    if (*end == '-') {
      const char* from = end + 1;
      last = strtol(from, &end, 10);
      if (end == from || last < first) return false;
    }
    if (*end != '\0') return false;
    for (long cpu = first; cpu <= last; cpu++) cpus->push_back(static_cast<int>(cpu));
  }
  return true;
}

std::vector<int> OnlineCpus() {
  std::ifstream file("/sys/devices/system/cpu/online");
  std::vector<int> cpus;
  std::string text;
  if (!file || !std::getline(file, text) || !ParseCpuList(text, &cpus)) {
    errno = EINVAL;
    return {};
  }
  return cpus;
}

int OpenCpuClockEvent(int cpu, unsigned long frequency, int cgroupFd) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.sample_freq = frequency;
  attr.freq = 1;
  unsigned long flags = PERF_FLAG_FD_CLOEXEC;
  pid_t pid = -1;
  if (cgroupFd >= 0) {
    pid = cgroupFd;
    flags |= PERF_FLAG_PID_CGROUP;
  }
  long fd = syscall(__NR_perf_event_open, &attr, pid, cpu, -1, flags);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

}  // namespace autotracer
