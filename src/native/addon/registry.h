// Per-environment bookkeeping of everything the addon opened, so the environment's
// cleanup hook can release it in order (ring buffers and uv handles, then links, then
// objects) before Node runs finalizers and closes the uv loop. Objects hold a
// shared_ptr so the registry outlives both the hook and the last finalizer, whatever
// order Node runs them in.
#pragma once
#include <memory>
#include <set>

namespace autotracer {

class BpfObjectWrap;

struct Registry {
  std::set<BpfObjectWrap*> objects;
  std::set<int> statsFds;  // from bpf_enable_stats, closed at teardown
  bool tornDown = false;   // the cleanup hook ran: the environment is going away
};

using RegistryPtr = std::shared_ptr<Registry>;

}  // namespace autotracer

#include <napi.h>
namespace autotracer {
// The registry of the environment `env` (its Addon instance data).
RegistryPtr RegistryOf(Napi::Env env);
}  // namespace autotracer
