#include "bpf_object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "bpf_error.h"
#include "libbpf_log.h"
#include "map_ops.h"
#include "perf_event.h"
#include "ring_consumer.h"

namespace autotracer {
namespace {

// Attach failures that mean "this kernel cannot do that" (no kprobes, no trampolines
// under lockdown), as opposed to a broken request.
const char* AttachCode(int err) {
  return (err == ENOENT || err == EOPNOTSUPP || err == EPERM || err == kENOTSUPP) ? "BPF_ATTACH_UNSUPPORTED"
                                                                                   : "BPF_ATTACH_FAILED";
}

// Sections such as "uprobe" or "perf_event" carry no target: they need attachUprobe /
// attachPerfEvent. Every auto-attachable section names its target after a '/'.
bool AutoAttachable(const bpf_program* prog) { return strchr(bpf_program__section_name(prog), '/') != nullptr; }

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsString()) ThrowBpfError(info.Env(), "BPF_INVALID_ARGUMENT", std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Buffer<uint8_t> BufferArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsBuffer()) ThrowBpfError(info.Env(), "BPF_INVALID_ARGUMENT", std::string(what) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t min, int64_t max) {
  if (!info[i].IsNumber()) ThrowBpfError(info.Env(), "BPF_INVALID_ARGUMENT", std::string(what) + " must be a number");
  double value = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::floor(value) != value || value < static_cast<double>(min) ||
      value > static_cast<double>(max)) {
    ThrowBpfError(info.Env(), "BPF_INVALID_ARGUMENT",
                  std::string(what) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<int64_t>(value);
}

uint32_t ProgramId(int fd) {
  if (fd < 0) return 0;
  bpf_prog_info info;
  memset(&info, 0, sizeof(info));
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

uint32_t MapId(int fd) {
  if (fd < 0) return 0;
  bpf_map_info info;
  memset(&info, 0, sizeof(info));
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Encodes a rodata knob value into `size` little-endian bytes at `out`.
void EncodeKnob(Napi::Env env, const std::string& name, Napi::Value value, uint8_t* out, uint32_t size) {
  auto invalid = [&](const std::string& why) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "rodata '" + name + "' (" + std::to_string(size) + " bytes): " + why);
  };
  if (value.IsBuffer()) {
    auto buffer = value.As<Napi::Buffer<uint8_t>>();
    if (buffer.Length() != size) invalid("the Buffer has " + std::to_string(buffer.Length()) + " bytes");
    memcpy(out, buffer.Data(), size);
    return;
  }
  if (size != 1 && size != 2 && size != 4 && size != 8) invalid("only 1/2/4/8-byte knobs take a number; pass a Buffer");
  uint64_t bits;
  bool negative = false;
  if (value.IsBoolean()) {
    bits = value.As<Napi::Boolean>().Value() ? 1 : 0;
  } else if (value.IsNumber()) {
    double number = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(number) || std::floor(number) != number || std::fabs(number) > 9007199254740991.0) {
      invalid("not a safe integer");
    }
    negative = number < 0;
    bits = negative ? static_cast<uint64_t>(static_cast<int64_t>(number)) : static_cast<uint64_t>(number);
  } else if (value.IsBigInt()) {
    bool lossless = false;
    int64_t asSigned = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless && asSigned < 0) {
      negative = true;
      bits = static_cast<uint64_t>(asSigned);
    } else {
      bits = value.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless) invalid("the bigint does not fit in 64 bits");
    }
  } else {
    invalid("expected a number, bigint, boolean or Buffer");
  }
  if (size < 8) {
    unsigned width = size * 8;
    if (negative) {
      int64_t signedValue = static_cast<int64_t>(bits);
      if (signedValue < -(int64_t(1) << (width - 1))) invalid("value out of range");
    } else if (bits >= (uint64_t(1) << width)) {
      invalid("value out of range");
    }
  }
  for (uint32_t i = 0; i < size; i++) out[i] = static_cast<uint8_t>(bits >> (8 * i));
}

}  // namespace

Napi::Function BpfObjectWrap::Define(Napi::Env env) {
  return DefineClass(env, "BpfObject",
                     {
                         InstanceAccessor<&BpfObjectWrap::Closed>("closed"),
                         InstanceMethod<&BpfObjectWrap::Programs>("programs"),
                         InstanceMethod<&BpfObjectWrap::Maps>("maps"),
                         InstanceMethod<&BpfObjectWrap::Attach>("attach"),
                         InstanceMethod<&BpfObjectWrap::AttachUprobe>("attachUprobe"),
                         InstanceMethod<&BpfObjectWrap::AttachPerfEvent>("attachPerfEvent"),
                         InstanceMethod<&BpfObjectWrap::Detach>("detach"),
                         InstanceMethod<&BpfObjectWrap::MapLookupMethod>("mapLookup"),
                         InstanceMethod<&BpfObjectWrap::MapUpdateMethod>("mapUpdate"),
                         InstanceMethod<&BpfObjectWrap::MapDeleteMethod>("mapDelete"),
                         InstanceMethod<&BpfObjectWrap::MapKeysMethod>("mapKeys"),
                         InstanceMethod<&BpfObjectWrap::MapEntriesMethod>("mapEntries"),
                         InstanceMethod<&BpfObjectWrap::MapLookupBatchMethod>("mapLookupBatch"),
                         InstanceMethod<&BpfObjectWrap::MapLookupArrayPrefixMethod>("mapLookupArrayPrefix"),
                         InstanceMethod<&BpfObjectWrap::RingOpen>("ringOpen"),
                         InstanceMethod<&BpfObjectWrap::RingConsume>("ringConsume"),
                         InstanceMethod<&BpfObjectWrap::RingDelivered>("ringDelivered"),
                         InstanceMethod<&BpfObjectWrap::RingClose>("ringClose"),
                         InstanceMethod<&BpfObjectWrap::ProgramStats>("programStats"),
                         InstanceMethod<&BpfObjectWrap::Close>("close"),
                     });
}

BpfObjectWrap::BpfObjectWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObjectWrap>(info) {
  Napi::Env env = info.Env();
  registry_ = RegistryOf(env);
  path_ = StringArg(info, 0, "path");
  auto objectArg = [&](size_t i, const char* what) {
    if (info[i].IsUndefined()) return Napi::Object::New(env);
    if (!info[i].IsObject()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", std::string(what) + " must be an object");
    return info[i].As<Napi::Object>();
  };
  Napi::Object rodata = objectArg(1, "rodata");
  Napi::Object mapSizes = objectArg(2, "mapSizes");
  Napi::Object autoload = objectArg(3, "autoload");
  Load(env, path_, rodata, mapSizes, autoload);
  registry_->objects.insert(this);
}

BpfObjectWrap::~BpfObjectWrap() {
  // A GC'd object was never pinned, so it has no links or rings; at environment
  // teardown the cleanup hook has already released everything. Either way this is
  // at most a bpf_object__close, and never a second free.
  inDestructor_ = true;
  try {
    ReleaseAll();
  } catch (...) {
  }
  if (registry_) registry_->objects.erase(this);
}

void BpfObjectWrap::Load(Napi::Env env, const std::string& path, Napi::Object rodata, Napi::Object mapSizes,
                         Napi::Object autoload) {
  if (registry_->tornDown) ThrowBpfError(env, "BPF_OBJECT_CLOSED", "the environment is shutting down");
  ClearLibbpfLog();
  object_ = bpf_object__open_file(path.c_str(), nullptr);
  if (object_ == nullptr) {
    int err = errno;
    ThrowBpfError(env, "BPF_OPEN_FAILED", WithErrno("cannot open BPF object " + path, err), err);
  }
  try {
    Napi::Array names = mapSizes.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      bpf_map* map = FindMap(env, name);
      Napi::Value size = mapSizes.Get(name);
      double entries = size.IsNumber() ? size.As<Napi::Number>().DoubleValue() : -1;
      if (!(entries >= 1 && entries <= 4294967295.0 && std::floor(entries) == entries)) {
        ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "mapSizes." + name + " must be an integer in [1, 2^32-1]");
      }
      int rc = bpf_map__set_max_entries(map, static_cast<uint32_t>(entries));
      if (rc != 0) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", WithErrno("cannot size map " + name, -rc), -rc);
    }
    names = autoload.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      bpf_program* prog = FindProgram(env, name);
      Napi::Value on = autoload.Get(name);
      if (!on.IsBoolean()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "autoload." + name + " must be a boolean");
      bpf_program__set_autoload(prog, on.As<Napi::Boolean>().Value());
    }
    ApplyRodata(env, rodata);
    ClearLibbpfLog();
    int rc = bpf_object__load(object_);
    if (rc != 0) {
      int err = rc < 0 ? -rc : errno;
      ThrowBpfError(env, "BPF_LOAD_FAILED", WithErrno("cannot load BPF object " + path, err), err);
    }
  } catch (...) {
    bpf_object__close(object_);
    object_ = nullptr;
    throw;
  }
}

void BpfObjectWrap::ApplyRodata(Napi::Env env, Napi::Object rodata) {
  Napi::Array names = rodata.GetPropertyNames();
  if (names.Length() == 0) return;
  bpf_map* rodataMap = nullptr;
  bpf_map* map;
  bpf_object__for_each_map(map, object_) {
    if (bpf_map__is_internal(map) && EndsWith(bpf_map__name(map), ".rodata")) rodataMap = map;
  }
  const btf* types = bpf_object__btf(object_);
  int secId = types ? btf__find_by_name_kind(types, ".rodata", BTF_KIND_DATASEC) : -1;
  size_t size = 0;
  const void* initial = rodataMap ? bpf_map__initial_value(rodataMap, &size) : nullptr;
  if (rodataMap == nullptr || secId < 0 || initial == nullptr) {
    std::string first = names.Get(0u).As<Napi::String>().Utf8Value();
    ThrowBpfError(env, "BPF_RODATA_NOT_FOUND", "BPF object " + path_ + " has no .rodata, so no knob '" + first + "'");
  }
  std::vector<uint8_t> data(static_cast<const uint8_t*>(initial), static_cast<const uint8_t*>(initial) + size);
  const btf_type* sec = btf__type_by_id(types, secId);
  const btf_var_secinfo* vars = btf_var_secinfos(sec);
  uint16_t count = btf_vlen(sec);
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const btf_var_secinfo* found = nullptr;
    for (uint16_t v = 0; v < count; v++) {
      const btf_type* var = btf__type_by_id(types, vars[v].type);
      if (var && name == btf__name_by_offset(types, var->name_off)) found = &vars[v];
    }
    if (found == nullptr) {
      ThrowBpfError(env, "BPF_RODATA_NOT_FOUND", "BPF object " + path_ + " has no const volatile global '" + name + "'");
    }
    if (found->offset + found->size > data.size()) {
      ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "rodata '" + name + "' lies outside .rodata");
    }
    EncodeKnob(env, name, rodata.Get(name), data.data() + found->offset, found->size);
  }
  int rc = bpf_map__set_initial_value(rodataMap, data.data(), data.size());
  if (rc != 0) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", WithErrno("cannot set .rodata", -rc), -rc);
}

void BpfObjectWrap::RequireOpen(Napi::Env env) const {
  if (object_ == nullptr) ThrowBpfError(env, "BPF_OBJECT_CLOSED", "BPF object " + path_ + " is closed");
}

bpf_program* BpfObjectWrap::FindProgram(Napi::Env env, const std::string& name) const {
  bpf_program* prog = bpf_object__find_program_by_name(object_, name.c_str());
  if (prog == nullptr) ThrowBpfError(env, "BPF_PROGRAM_NOT_FOUND", "BPF object " + path_ + " has no program named '" + name + "'");
  return prog;
}

bpf_map* BpfObjectWrap::FindMap(Napi::Env env, const std::string& name) const {
  bpf_map* map = bpf_object__find_map_by_name(object_, name.c_str());
  if (map == nullptr) ThrowBpfError(env, "BPF_MAP_NOT_FOUND", "BPF object " + path_ + " has no map named '" + name + "'");
  return map;
}

bool BpfObjectWrap::IsAttached(const std::string& program) const {
  for (const Link& link : links_) {
    if (link.program == program) return true;
  }
  return false;
}

void BpfObjectWrap::AddLink(const std::string& program, bpf_link* link) { links_.push_back({program, link}); }

void BpfObjectWrap::DestroyLinksSince(size_t count) {
  while (links_.size() > count) {
    bpf_link__destroy(links_.back().link);
    links_.pop_back();
  }
}

void BpfObjectWrap::UpdatePin() {
  bool wanted = object_ != nullptr && (!links_.empty() || !rings_.empty());
  if (wanted && !pinned_) {
    Ref();
    pinned_ = true;
  } else if (!wanted && pinned_) {
    pinned_ = false;
    if (!inDestructor_) Unref();
  }
}

void BpfObjectWrap::ReleaseAll() {
  // Order matters: uv handles and rings first (their callbacks read the maps), then the
  // links (detach), then the object (programs and maps).
  for (auto& entry : rings_) {
    closedRingDelivered_[entry.first] = entry.second->delivered();
    entry.second->Close();
  }
  rings_.clear();
  for (Link& link : links_) bpf_link__destroy(link.link);
  links_.clear();
  if (object_ != nullptr) {
    bpf_object__close(object_);
    object_ = nullptr;
  }
  UpdatePin();
}

Napi::Value BpfObjectWrap::Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), object_ == nullptr); }

Napi::Value BpfObjectWrap::Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  bpf_program* prog;
  bpf_object__for_each_program(prog, object_) {
    Napi::Object item = Napi::Object::New(env);
    const char* type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
    item.Set("name", bpf_program__name(prog));
    item.Set("section", bpf_program__section_name(prog));
    item.Set("type", type ? type : "unknown");
    item.Set("attached", IsAttached(bpf_program__name(prog)));
    item.Set("id", ProgramId(bpf_program__fd(prog)));
    result.Set(n++, item);
  }
  return result;
}

Napi::Value BpfObjectWrap::Maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  bpf_map* map;
  bpf_object__for_each_map(map, object_) {
    MapShape shape = ShapeOf(env, map);
    const char* type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(shape.type));
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", shape.name);
    item.Set("type", type ? type : "unknown");
    item.Set("keySize", shape.keySize);
    item.Set("valueSize", shape.valueSize);
    item.Set("maxEntries", shape.maxEntries);
    item.Set("id", MapId(shape.fd));
    item.Set("perCpu", shape.perCpu);
    result.Set(n++, item);
  }
  return result;
}

Napi::Value BpfObjectWrap::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  std::vector<bpf_program*> targets;
  if (info[0].IsUndefined() || info[0].IsNull()) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, object_) {
      if (bpf_program__autoload(prog) && bpf_program__fd(prog) >= 0 && AutoAttachable(prog) &&
          !IsAttached(bpf_program__name(prog))) {
        targets.push_back(prog);
      }
    }
  } else {
    if (!info[0].IsArray()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "programs must be an array of names");
    Napi::Array names = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value nameValue = names.Get(i);
      if (!nameValue.IsString()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "program names must be strings");
      std::string name = nameValue.As<Napi::String>().Utf8Value();
      bpf_program* prog = FindProgram(env, name);
      if (bpf_program__fd(prog) < 0) {
        ThrowBpfError(env, "BPF_ATTACH_FAILED", "program '" + name + "' is not loaded (autoload is off)", EBADF);
      }
      if (!AutoAttachable(prog)) {
        ThrowBpfError(env, "BPF_ATTACH_FAILED",
                      "program '" + name + "' (SEC(\"" + bpf_program__section_name(prog) +
                          "\")) names no target: use attachUprobe() or attachPerfEvent()",
                      EOPNOTSUPP);
      }
      if (!IsAttached(name)) targets.push_back(prog);
    }
  }
  // All or nothing: a failure detaches what this call attached.
  size_t before = links_.size();
  for (bpf_program* prog : targets) {
    ClearLibbpfLog();
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      int err = errno;
      DestroyLinksSince(before);
      std::string name = bpf_program__name(prog);
      ThrowBpfError(env, AttachCode(err),
                    WithErrno("cannot attach program '" + name + "' (SEC(\"" + bpf_program__section_name(prog) + "\"))", err),
                    err);
    }
    AddLink(bpf_program__name(prog), link);
  }
  UpdatePin();
  return env.Undefined();
}

Napi::Value BpfObjectWrap::AttachUprobe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  std::string name = StringArg(info, 0, "program");
  std::string binary = StringArg(info, 1, "binary");
  bool hasSymbol = !info[2].IsUndefined() && !info[2].IsNull();
  std::string symbol = hasSymbol ? StringArg(info, 2, "symbol") : "";
  int64_t offset = IntegerArg(info, 3, "offset", 0, INT64_MAX / 2);
  int64_t pid = IntegerArg(info, 4, "pid", -1, INT32_MAX);
  bool retprobe = info[5].ToBoolean().Value();
  bpf_program* prog = FindProgram(env, name);
  if (bpf_program__fd(prog) < 0) ThrowBpfError(env, "BPF_ATTACH_FAILED", "program '" + name + "' is not loaded", EBADF);
  LIBBPF_OPTS(bpf_uprobe_opts, opts);
  opts.retprobe = retprobe;
  opts.func_name = hasSymbol ? symbol.c_str() : nullptr;
  ClearLibbpfLog();
  bpf_link* link = bpf_program__attach_uprobe_opts(prog, static_cast<pid_t>(pid), binary.c_str(), static_cast<size_t>(offset), &opts);
  if (link == nullptr) {
    int err = errno;
    ThrowBpfError(env, AttachCode(err),
                  WithErrno("cannot attach uprobe '" + name + "' to " + binary + (hasSymbol ? ":" + symbol : ""), err), err);
  }
  AddLink(name, link);
  UpdatePin();
  return env.Undefined();
}

Napi::Value BpfObjectWrap::AttachPerfEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  std::string name = StringArg(info, 0, "program");
  int64_t frequency = IntegerArg(info, 1, "frequency", 1, 1000000);
  bool hasCgroup = !info[2].IsUndefined() && !info[2].IsNull();
  std::string cgroupPath = hasCgroup ? StringArg(info, 2, "cgroupPath") : "";
  std::vector<int> cpus;
  if (info[3].IsUndefined() || info[3].IsNull()) {
    cpus = OnlineCpus();
    if (cpus.empty()) ThrowBpfError(env, "BPF_PERF_EVENT_FAILED", "cannot read /sys/devices/system/cpu/online", EINVAL);
  } else {
    if (!info[3].IsArray()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "cpus must be an array of CPU numbers");
    Napi::Array list = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value cpu = list.Get(i);
      double number = cpu.IsNumber() ? cpu.As<Napi::Number>().DoubleValue() : -1;
      if (!(number >= 0 && number < 65536 && std::floor(number) == number)) {
        ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "cpus must hold CPU numbers");
      }
      cpus.push_back(static_cast<int>(number));
    }
    if (cpus.empty()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "cpus is empty");
  }
  bpf_program* prog = FindProgram(env, name);
  if (bpf_program__fd(prog) < 0) ThrowBpfError(env, "BPF_ATTACH_FAILED", "program '" + name + "' is not loaded", EBADF);

  int cgroupFd = -1;
  if (hasCgroup) {
    cgroupFd = open(cgroupPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroupFd < 0) {
      int err = errno;
      ThrowBpfError(env, "BPF_PERF_EVENT_FAILED", WithErrno("cannot open cgroup " + cgroupPath, err), err);
    }
  }
  size_t before = links_.size();
  for (int cpu : cpus) {
    int fd = OpenCpuClockEvent(cpu, static_cast<unsigned long>(frequency), cgroupFd);
    if (fd < 0) {
      DestroyLinksSince(before);
      if (cgroupFd >= 0) close(cgroupFd);
      ThrowBpfError(env, "BPF_PERF_EVENT_FAILED",
                    WithErrno("perf_event_open(cpu-clock, cpu " + std::to_string(cpu) + (hasCgroup ? ", cgroup " + cgroupPath : "") + ")", -fd),
                    -fd);
    }
    ClearLibbpfLog();
    bpf_link* link = bpf_program__attach_perf_event(prog, fd);
    if (link == nullptr) {
      int err = errno;
      close(fd);  // the link owns the fd only once it exists
      DestroyLinksSince(before);
      if (cgroupFd >= 0) close(cgroupFd);
      ThrowBpfError(env, AttachCode(err),
                    WithErrno("cannot attach program '" + name + "' to the perf event on cpu " + std::to_string(cpu), err), err);
    }
    AddLink(name, link);
  }
  if (cgroupFd >= 0) close(cgroupFd);  // each perf event holds its own cgroup reference
  UpdatePin();
  return Napi::Number::New(env, static_cast<double>(cpus.size()));
}

Napi::Value BpfObjectWrap::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  if (info[0].IsUndefined() || info[0].IsNull()) {
    DestroyLinksSince(0);
  } else {
    if (!info[0].IsArray()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "programs must be an array of names");
    Napi::Array names = info[0].As<Napi::Array>();
    std::vector<std::string> wanted;
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value nameValue = names.Get(i);
      if (!nameValue.IsString()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "program names must be strings");
      wanted.push_back(nameValue.As<Napi::String>().Utf8Value());
      FindProgram(env, wanted.back());
    }
    std::vector<Link> kept;
    for (Link& link : links_) {
      bool drop = false;
      for (const std::string& name : wanted) drop = drop || link.program == name;
      if (drop) {
        bpf_link__destroy(link.link);
      } else {
        kept.push_back(link);
      }
    }
    links_.swap(kept);
  }
  UpdatePin();
  return env.Undefined();
}

Napi::Value BpfObjectWrap::MapLookupMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  MapShape map = ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map")));
  return MapLookup(info.Env(), map, BufferArg(info, 1, "key"));
}

Napi::Value BpfObjectWrap::MapUpdateMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  MapShape map = ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map")));
  uint64_t flags = static_cast<uint64_t>(IntegerArg(info, 3, "flags", 0, 2));
  MapUpdate(info.Env(), map, BufferArg(info, 1, "key"), BufferArg(info, 2, "value"), flags);
  return info.Env().Undefined();
}

Napi::Value BpfObjectWrap::MapDeleteMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  MapShape map = ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map")));
  return Napi::Boolean::New(info.Env(), MapDelete(info.Env(), map, BufferArg(info, 1, "key")));
}

Napi::Value BpfObjectWrap::MapKeysMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  return MapKeys(info.Env(), ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map"))));
}

Napi::Value BpfObjectWrap::MapEntriesMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  return MapEntries(info.Env(), ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map"))));
}

Napi::Value BpfObjectWrap::MapLookupBatchMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  MapShape map = ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map")));
  bool del = info[1].ToBoolean().Value();
  uint32_t batchSize = static_cast<uint32_t>(IntegerArg(info, 2, "batchSize", 1, 1 << 20));
  size_t maxBytes = info[3].IsUndefined() ? kDefaultMaxReadBytes
                                          : static_cast<size_t>(IntegerArg(info, 3, "maxBytes", 1, int64_t(1) << 40));
  return MapLookupBatch(info.Env(), map, del, batchSize, maxBytes);
}

Napi::Value BpfObjectWrap::MapLookupArrayPrefixMethod(const Napi::CallbackInfo& info) {
  RequireOpen(info.Env());
  MapShape map = ShapeOf(info.Env(), FindMap(info.Env(), StringArg(info, 0, "map")));
  uint32_t count = static_cast<uint32_t>(IntegerArg(info, 1, "count", 0, 0xffffffffLL));
  return MapLookupArrayPrefix(info.Env(), map, count);
}

Napi::Value BpfObjectWrap::RingOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  std::string name = StringArg(info, 0, "map");
  bpf_map* map = FindMap(env, name);
  if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "map " + name + " is not a ring buffer");
  }
  if (!info[1].IsFunction()) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", "onRecords must be a function");
  bool periodic = info[2].ToBoolean().Value();
  uint32_t periodMs = static_cast<uint32_t>(IntegerArg(info, 3, "periodMs", 1, 3600000));
  int err = 0;
  std::string what;
  ClearLibbpfLog();
  RingConsumer* ring = RingConsumer::Open(env, bpf_map__fd(map), info[1], periodic, periodMs, &err, &what);
  if (ring == nullptr) ThrowBpfError(env, "BPF_RINGBUF_FAILED", WithErrno("ring buffer " + name + ": " + what, err), err);
  int id = nextRingId_++;
  rings_[id] = ring;
  UpdatePin();
  return Napi::Number::New(env, id);
}

RingConsumer* BpfObjectWrap::FindRing(Napi::Env env, const Napi::Value& id) const {
  int key = id.IsNumber() ? id.As<Napi::Number>().Int32Value() : -1;
  auto it = rings_.find(key);
  if (it == rings_.end()) ThrowBpfError(env, "BPF_RINGBUF_FAILED", "ring buffer " + std::to_string(key) + " is closed");
  return it->second;
}

Napi::Value BpfObjectWrap::RingConsume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  RingConsumer* ring = FindRing(env, info[0]);
  int count = ring->ConsumeAndDeliver(true);
  if (env.IsExceptionPending()) throw env.GetAndClearPendingException();  // onRecords threw: rethrow to the caller
  if (count < 0) ThrowBpfError(env, "BPF_RINGBUF_FAILED", WithErrno("ring_buffer__consume failed", -count), -count);
  return Napi::Number::New(env, count);
}

Napi::Value BpfObjectWrap::RingDelivered(const Napi::CallbackInfo& info) {
  int key = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  auto open = rings_.find(key);
  if (open != rings_.end()) return Napi::Number::New(info.Env(), static_cast<double>(open->second->delivered()));
  auto closed = closedRingDelivered_.find(key);
  return Napi::Number::New(info.Env(), closed == closedRingDelivered_.end() ? 0 : static_cast<double>(closed->second));
}

Napi::Value BpfObjectWrap::RingClose(const Napi::CallbackInfo& info) {
  int key = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  auto it = rings_.find(key);
  if (it != rings_.end()) {
    closedRingDelivered_[key] = it->second->delivered();
    it->second->Close();
    rings_.erase(it);
    UpdatePin();
  }
  return info.Env().Undefined();
}

Napi::Value BpfObjectWrap::ProgramStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env);
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  bpf_program* prog;
  bpf_object__for_each_program(prog, object_) {
    int fd = bpf_program__fd(prog);
    if (fd < 0) continue;
    bpf_prog_info progInfo;
    memset(&progInfo, 0, sizeof(progInfo));
    uint32_t len = sizeof(progInfo);
    if (bpf_obj_get_info_by_fd(fd, &progInfo, &len) != 0) {
      int err = errno;
      ThrowBpfError(env, "BPF_MAP_OP_FAILED", WithErrno(std::string("bpf_obj_get_info_by_fd(") + bpf_program__name(prog) + ")", err), err);
    }
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", bpf_program__name(prog));
    item.Set("id", progInfo.id);
    item.Set("runCount", Napi::BigInt::New(env, static_cast<uint64_t>(progInfo.run_cnt)));
    item.Set("runTimeNs", Napi::BigInt::New(env, static_cast<uint64_t>(progInfo.run_time_ns)));
    result.Set(n++, item);
  }
  return result;
}

Napi::Value BpfObjectWrap::Close(const Napi::CallbackInfo& info) {
  ReleaseAll();
  return info.Env().Undefined();
}

}  // namespace autotracer
