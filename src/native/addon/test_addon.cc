// autotracer_test: loaded only by tests. crash() performs a real SIGSEGV so tests can
// check that a native fault in a child process is contained (the parent survives);
// throwBadAlloc() checks that a C++ allocation failure becomes a JS error.
#include <napi.h>

#include <new>

namespace {

Napi::Value Crash(const Napi::CallbackInfo& info) {
  // volatile: the compiler must not prove the store undefined and drop or trap it.
  volatile int* volatile target = nullptr;
  *target = 42;
  return info.Env().Undefined();
}

// What a failed allocation inside any addon method looks like (a std::vector growing
// past memory throws std::bad_alloc). With NODE_ADDON_API_CPP_EXCEPTIONS_ALL (binding.gyp,
// shared by both addons) it reaches JS as an Error; without it, std::terminate aborts.
Napi::Value ThrowBadAlloc(const Napi::CallbackInfo& info) {
  throw std::bad_alloc();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("crash", Napi::Function::New(env, Crash, "crash"));
  exports.Set("throwBadAlloc", Napi::Function::New(env, ThrowBadAlloc, "throwBadAlloc"));
  return exports;
}

}  // namespace

NODE_API_MODULE(autotracer_test, Init)
