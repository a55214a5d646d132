// Throwing JS errors with a stable `code`, the `errno` and libbpf's last log lines.
// The codes match src/native/errors.ts (BpfErrorCode).
#pragma once
#include <napi.h>

#include <string>

namespace autotracer {

// Kernel-internal "not supported" (include/linux/errno.h); user space sees it from bpf().
constexpr int kENOTSUPP = 524;

// Throws a Napi::Error (a C++ exception: NAPI_CPP_EXCEPTIONS) with code/errno/libbpfMessage.
[[noreturn]] void ThrowBpfError(Napi::Env env, const char* code, const std::string& message, int err = 0);

// "message: strerror(err)" for the common case of a failed call.
std::string WithErrno(const std::string& message, int err);

}  // namespace autotracer
