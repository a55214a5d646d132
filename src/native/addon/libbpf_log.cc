#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace autotracer {
namespace {

// The verifier log can be long; its end says why the program was rejected.
constexpr size_t kKeepBytes = 8192;

thread_local std::string tl_log;
std::once_flag g_install_once;
bool g_echo_to_stderr = false;  // AUTOTRACER_LIBBPF_DEBUG=1: also print (incl. debug level)

int PrintToBuffer(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !g_echo_to_stderr) return 0;
  try {
    va_list sizing;
    va_copy(sizing, args);
    int needed = vsnprintf(nullptr, 0, format, sizing);
    va_end(sizing);
    if (needed <= 0) return 0;
    std::vector<char> text(static_cast<size_t>(needed) + 1);
    vsnprintf(text.data(), text.size(), format, args);
    if (g_echo_to_stderr) fputs(text.data(), stderr);
    if (level == LIBBPF_DEBUG) return 0;
    tl_log.append(text.data(), static_cast<size_t>(needed));
    if (tl_log.size() > kKeepBytes) {
      size_t cut = tl_log.size() - kKeepBytes;
      size_t newline = tl_log.find('\n', cut);
      tl_log.erase(0, newline == std::string::npos ? cut : newline + 1);
    }
  } catch (...) {
    // Logging must never throw into libbpf (C code).
  }
  return 0;
}

}  // namespace

void InstallLibbpfLogger() {
  std::call_once(g_install_once, [] {
    const char* debug = getenv("AUTOTRACER_LIBBPF_DEBUG");
    g_echo_to_stderr = debug != nullptr && debug[0] == '1';
    libbpf_set_print(PrintToBuffer);
  });
}

void ClearLibbpfLog() { tl_log.clear(); }

std::string LastLibbpfLog() {
  // Trim the trailing newline so the JS side gets clean text.
  std::string text = tl_log;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace autotracer
