// Module entry of autotracer_native: one Addon instance per environment (main thread
// and each worker), so nothing per-environment lives in statics. The only process-wide
// state is libbpf's print callback (installed once) and its thread_local log buffer.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <malloc.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>

#include "bpf_error.h"
#include "bpf_object.h"
#include "libbpf_log.h"
#include "registry.h"

namespace autotracer {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) : registry_(std::make_shared<Registry>()) {
    InstallLibbpfLogger();
    // Runs at environment teardown (worker exit/terminate, process exit) before Node
    // runs finalizers and closes the uv loop: release everything there, in order.
    // Cleanup hooks run in reverse order of registration, so this one runs before the
    // hook Node-API registered when the module loaded (which runs the finalizers).
    auto* hookArg = new RegistryPtr(registry_);
    if (napi_add_env_cleanup_hook(env, &Addon::OnEnvironmentCleanup, hookArg) != napi_ok) {
      delete hookArg;
      throw Napi::Error::New(env, "autotracer_native: cannot register the environment cleanup hook");
    }
    DefineAddon(exports, {
                             InstanceValue("BpfObject", BpfObjectWrap::Define(env), napi_enumerable),
                             InstanceMethod<&Addon::EnableStats>("enableStats"),
                             InstanceMethod<&Addon::CloseStats>("closeStats"),
                             InstanceMethod<&Addon::LibbpfVersion>("libbpfVersion"),
                             InstanceMethod<&Addon::PossibleCpus>("possibleCpus"),
                             InstanceMethod<&Addon::LiveObjects>("liveObjects"),
                             InstanceMethod<&Addon::MallocArenaMax>("mallocArenaMax"),
                             InstanceMethod<&Addon::MallocTrim>("mallocTrim"),
                         });
  }

  RegistryPtr registry() const { return registry_; }

 private:
  static void OnEnvironmentCleanup(void* arg) {
    auto* holder = static_cast<RegistryPtr*>(arg);
    RegistryPtr registry = *holder;
    delete holder;
    try {
      registry->tornDown = true;
      // ReleaseAll does not remove objects from the set (their finalizers do), but copy
      // anyway so the loop never depends on that.
      std::vector<BpfObjectWrap*> objects(registry->objects.begin(), registry->objects.end());
      for (BpfObjectWrap* object : objects) object->ReleaseAll();
      for (int fd : registry->statsFds) close(fd);
      registry->statsFds.clear();
    } catch (...) {
      // Never let an exception out of a cleanup hook.
    }
  }

  Napi::Value EnableStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ClearLibbpfLog();
    int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0) {
      int err = errno;
      ThrowBpfError(env, "BPF_INVALID_ARGUMENT", WithErrno("bpf_enable_stats(BPF_STATS_RUN_TIME) failed", err), err);
    }
    registry_->statsFds.insert(fd);
    return Napi::Number::New(env, fd);
  }

  Napi::Value CloseStats(const Napi::CallbackInfo& info) {
    int fd = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
    // Only close fds we opened: a stale number could belong to someone else by now.
    if (registry_->statsFds.erase(fd) == 1) close(fd);
    return info.Env().Undefined();
  }

  Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), libbpf_version_string());
  }

  Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) ThrowBpfError(info.Env(), "BPF_CPU_COUNT_UNAVAILABLE", WithErrno("cannot read the possible CPU count (/sys/devices/system/cpu/possible)", -cpus), -cpus);
    return Napi::Number::New(info.Env(), cpus);
  }

  // Diagnostics for tests: BpfObject wrappers of this environment not yet finalized.
  Napi::Value LiveObjects(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(registry_->objects.size()));
  }

  // glibc gives each thread that contends for malloc its own 64 MiB arena (up to 8 per
  // CPU); with one worker thread per actor that is ~14 arenas whose free pages stay
  // resident. mallopt(M_ARENA_MAX) only caps arenas created after the call (glibc latches
  // the limit when it first needs it), so the agent calls this before starting workers.
  // Returns false where the libc is not glibc or rejects the value.
  Napi::Value MallocArenaMax(const Napi::CallbackInfo& info) {
    int max = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
#ifdef __GLIBC__
    bool ok = max > 0 && mallopt(M_ARENA_MAX, max) == 1;
#else
    bool ok = false;
#endif
    return Napi::Boolean::New(info.Env(), ok);
  }

  // Returns free heap memory of every arena to the kernel (malloc_trim(0)); true when some
  // was released. Process-wide, so one call from any thread covers all of them.
  Napi::Value MallocTrim(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
    bool released = malloc_trim(0) == 1;
#else
    bool released = false;
#endif
    return Napi::Boolean::New(info.Env(), released);
  }

  RegistryPtr registry_;
};

RegistryPtr RegistryOf(Napi::Env env) { return env.GetInstanceData<Addon>()->registry(); }

}  // namespace autotracer

using AutotracerAddon = autotracer::Addon;
NODE_API_ADDON(AutotracerAddon)
