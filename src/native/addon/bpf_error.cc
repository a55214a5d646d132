#include "bpf_error.h"

#include <cstring>

#include "libbpf_log.h"

namespace autotracer {

std::string WithErrno(const std::string& message, int err) {
  if (err == 0) return message;
  if (err == kENOTSUPP) return message + ": operation not supported by this kernel (ENOTSUPP)";
  if (err >= 4000) return message + ": libbpf error " + std::to_string(err);
  return message + ": " + strerror(err) + " (errno " + std::to_string(err) + ")";
}

void ThrowBpfError(Napi::Env env, const char* code, const std::string& message, int err) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("libbpfMessage", Napi::String::New(env, LastLibbpfLog()));
  throw error;
}

}  // namespace autotracer
