// autotracer_test: loaded only by tests. crash() performs a real SIGSEGV so tests can
// check that a native fault in a child process is contained (the parent survives).
#include <napi.h>

namespace {

Napi::Value Crash(const Napi::CallbackInfo& info) {
  // volatile: the compiler must not prove the store undefined and drop or trap it.
  volatile int* volatile target = nullptr;
  *target = 42;
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("crash", Napi::Function::New(env, Crash, "crash"));
  return exports;
}

}  // namespace

NODE_API_MODULE(autotracer_test, Init)
