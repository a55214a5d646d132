// The JS class BpfObject (native side): one opened + loaded bpf_object with its links
// and ring buffer consumers. Pinned against GC (ObjectWrap::Ref) while anything is
// attached or a ring buffer is open, because a collected wrapper would silently detach.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

#include <map>
#include <string>
#include <vector>

#include "registry.h"

namespace autotracer {

class RingConsumer;

class BpfObjectWrap : public Napi::ObjectWrap<BpfObjectWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BpfObjectWrap(const Napi::CallbackInfo& info);
  ~BpfObjectWrap() override;

  // Frees rings (uv handles first), then links, then the object. Idempotent. Safe from
  // close(), the env cleanup hook, a finalizer, and inside a ring buffer callback.
  void ReleaseAll();

 private:
  struct Link {
    std::string program;
    bpf_link* link;
  };

  Napi::Value Closed(const Napi::CallbackInfo& info);
  Napi::Value Programs(const Napi::CallbackInfo& info);
  Napi::Value Maps(const Napi::CallbackInfo& info);
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value AttachUprobe(const Napi::CallbackInfo& info);
  Napi::Value AttachPerfEvent(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value MapLookupMethod(const Napi::CallbackInfo& info);
  Napi::Value MapUpdateMethod(const Napi::CallbackInfo& info);
  Napi::Value MapDeleteMethod(const Napi::CallbackInfo& info);
  Napi::Value MapKeysMethod(const Napi::CallbackInfo& info);
  Napi::Value MapEntriesMethod(const Napi::CallbackInfo& info);
  Napi::Value MapLookupBatchMethod(const Napi::CallbackInfo& info);
  Napi::Value MapLookupArrayPrefixMethod(const Napi::CallbackInfo& info);
  Napi::Value RingOpen(const Napi::CallbackInfo& info);
  Napi::Value RingConsume(const Napi::CallbackInfo& info);
  Napi::Value RingDelivered(const Napi::CallbackInfo& info);
  Napi::Value RingClose(const Napi::CallbackInfo& info);
  Napi::Value ProgramStats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void Load(Napi::Env env, const std::string& path, Napi::Object rodata, Napi::Object mapSizes, Napi::Object autoload);
  void ApplyRodata(Napi::Env env, Napi::Object rodata);
  void RequireOpen(Napi::Env env) const;
  bpf_program* FindProgram(Napi::Env env, const std::string& name) const;
  bpf_map* FindMap(Napi::Env env, const std::string& name) const;
  RingConsumer* FindRing(Napi::Env env, const Napi::Value& id) const;
  bool IsAttached(const std::string& program) const;
  void AddLink(const std::string& program, bpf_link* link);
  void DestroyLinksSince(size_t count);  // rollback of a failed multi-link attach
  void UpdatePin();

  RegistryPtr registry_;
  std::string path_;
  bpf_object* object_ = nullptr;
  std::vector<Link> links_;
  std::map<int, RingConsumer*> rings_;
  std::map<int, uint64_t> closedRingDelivered_;
  int nextRingId_ = 1;
  bool pinned_ = false;
  bool inDestructor_ = false;
};

}  // namespace autotracer
