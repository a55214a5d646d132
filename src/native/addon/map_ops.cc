#include "map_ops.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "bpf_error.h"
#include "libbpf_log.h"

namespace autotracer {
namespace {

std::string Describe(const MapShape& map) { return std::string("map ") + map.name; }

void CheckKey(Napi::Env env, const MapShape& map, const Napi::Buffer<uint8_t>& key) {
  if (key.Length() != map.keySize) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT",
                  Describe(map) + ": key has " + std::to_string(key.Length()) + " bytes, the map wants " +
                      std::to_string(map.keySize));
  }
}

[[noreturn]] void OpFailed(Napi::Env env, const MapShape& map, const char* op, int err) {
  ThrowBpfError(env, "BPF_MAP_OP_FAILED", WithErrno(Describe(map) + ": " + op + " failed", err), err);
}

// Iterates keys with BPF_MAP_GET_NEXT_KEY. Bounded by max_entries: a hash map whose
// current key is deleted concurrently restarts from the first key, which could
// otherwise loop for ever.
std::vector<std::vector<uint8_t>> CollectKeys(Napi::Env env, const MapShape& map) {
  std::vector<std::vector<uint8_t>> keys;
  std::vector<uint8_t> next(map.keySize ? map.keySize : 1);
  const void* prev = nullptr;
  while (keys.size() < map.maxEntries) {
    if (bpf_map_get_next_key(map.fd, prev, next.data()) != 0) {
      int err = errno;
      if (err == ENOENT) break;
      OpFailed(env, map, "get_next_key", err);
    }
    keys.push_back(next);
    prev = keys.back().data();
  }
  return keys;
}

[[noreturn]] void TooLarge(Napi::Env env, const MapShape& map, size_t maxBytes) {
  ThrowBpfError(env, "BPF_MAP_READ_TOO_LARGE",
                Describe(map) + ": reading it needs more than the cap of " + std::to_string(maxBytes) +
                    " bytes; read it in parts or raise maxBytes",
                ENOMEM);
}

bool BatchUnsupported(int err) { return err == EINVAL || err == kENOTSUPP || err == EOPNOTSUPP || err == ENOSYS; }

}  // namespace

bool IsPerCpuType(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

MapShape ShapeOf(Napi::Env env, const bpf_map* map) {
  MapShape shape;
  shape.name = bpf_map__name(map);
  shape.fd = bpf_map__fd(map);
  shape.type = bpf_map__type(map);
  shape.keySize = bpf_map__key_size(map);
  shape.valueSize = bpf_map__value_size(map);
  shape.maxEntries = bpf_map__max_entries(map);
  shape.perCpu = IsPerCpuType(shape.type);
  shape.rawValueSize = shape.valueSize;
  if (shape.perCpu) {
    // The kernel writes one slot per *possible* CPU: a buffer sized for fewer would be
    // overrun, so an unreadable CPU count is an error, never a guess.
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) {
      ThrowBpfError(env, "BPF_CPU_COUNT_UNAVAILABLE",
                    WithErrno(Describe(shape) + ": cannot read the possible CPU count (/sys/devices/system/cpu/possible)",
                              cpus < 0 ? -cpus : EINVAL),
                    cpus < 0 ? -cpus : EINVAL);
    }
    shape.rawValueSize = ((shape.valueSize + 7) / 8 * 8) * static_cast<size_t>(cpus);
  }
  return shape;
}

Napi::Value MapLookup(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key) {
  CheckKey(env, map, key);
  std::vector<uint8_t> value(map.rawValueSize ? map.rawValueSize : 1);
  ClearLibbpfLog();
  if (bpf_map_lookup_elem(map.fd, key.Data(), value.data()) != 0) {
    int err = errno;
    if (err == ENOENT) return env.Undefined();
    OpFailed(env, map, "lookup", err);
  }
  return Napi::Buffer<uint8_t>::Copy(env, value.data(), map.rawValueSize);
}

void MapUpdate(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key, Napi::Buffer<uint8_t> value, uint64_t flags) {
  CheckKey(env, map, key);
  if (value.Length() != map.rawValueSize) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT",
                  Describe(map) + ": value has " + std::to_string(value.Length()) + " bytes, the map wants " +
                      std::to_string(map.rawValueSize));
  }
  if (flags > 2) ThrowBpfError(env, "BPF_INVALID_ARGUMENT", Describe(map) + ": bad update flags");
  ClearLibbpfLog();
  if (bpf_map_update_elem(map.fd, key.Data(), value.Data(), flags) != 0) OpFailed(env, map, "update", errno);
}

bool MapDelete(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key) {
  CheckKey(env, map, key);
  ClearLibbpfLog();
  if (bpf_map_delete_elem(map.fd, key.Data()) != 0) {
    int err = errno;
    if (err == ENOENT) return false;
    OpFailed(env, map, "delete", err);
  }
  return true;
}

namespace {

// Packs rows into two Buffers (all keys, all values) so JS slices them with subarray()
// instead of paying one N-API Buffer per key and per value.
class PackedRows {
 public:
  PackedRows(Napi::Env env, const MapShape& map, size_t maxBytes) : env_(env), map_(map), maxBytes_(maxBytes) {}
  size_t RowBytes(bool withValue) const { return map_.keySize + (withValue ? map_.rawValueSize : 0); }
  // Throws BPF_MAP_READ_TOO_LARGE before a buffer of `bytes` more would pass the cap.
  void Reserve(size_t bytes) const {
    if (keys_.size() + values_.size() + bytes > maxBytes_) TooLarge(env_, map_, maxBytes_);
  }
  void Add(const uint8_t* key, const uint8_t* value) {
    Reserve(RowBytes(value != nullptr));
    keys_.insert(keys_.end(), key, key + map_.keySize);
    if (value != nullptr) values_.insert(values_.end(), value, value + map_.rawValueSize);
    count_++;
  }
  // [keys, values, count]; values is empty for key-only results.
  Napi::Array ToJs(Napi::Env env) const {
    Napi::Array result = Napi::Array::New(env, 3);
    result.Set(0u, Napi::Buffer<uint8_t>::Copy(env, keys_.data(), keys_.size()));
    result.Set(1u, Napi::Buffer<uint8_t>::Copy(env, values_.data(), values_.size()));
    result.Set(2u, Napi::Number::New(env, count_));
    return result;
  }

 private:
  Napi::Env env_;
  const MapShape& map_;
  size_t maxBytes_;
  std::vector<uint8_t> keys_, values_;
  uint32_t count_ = 0;
};

}  // namespace

Napi::Array MapKeys(Napi::Env env, const MapShape& map) {
  PackedRows rows(env, map, kDefaultMaxReadBytes);
  for (auto& key : CollectKeys(env, map)) rows.Add(key.data(), nullptr);
  return rows.ToJs(env);
}

Napi::Array MapEntries(Napi::Env env, const MapShape& map) {
  auto keys = CollectKeys(env, map);
  PackedRows rows(env, map, kDefaultMaxReadBytes);
  std::vector<uint8_t> value(map.rawValueSize ? map.rawValueSize : 1);
  for (auto& key : keys) {
    if (bpf_map_lookup_elem(map.fd, key.data(), value.data()) != 0) {
      int err = errno;
      if (err == ENOENT) continue;  // deleted since we listed it
      OpFailed(env, map, "lookup", err);
    }
    rows.Add(key.data(), value.data());
  }
  return rows.ToJs(env);
}

Napi::Array MapLookupBatch(Napi::Env env, const MapShape& map, bool del, uint32_t batchSize, size_t maxBytes) {
  PackedRows rows(env, map, maxBytes);
  // The batch cursor is opaque: a key for arrays, a bucket index for hash maps.
  std::vector<uint8_t> inBatch(map.keySize > 8 ? map.keySize : 8), outBatch(inBatch.size());
  bool first = true;
  uint32_t size = batchSize;
  ClearLibbpfLog();
  for (;;) {
    // The scratch buffers of one batch count against the cap too: a bucket bigger than
    // the batch doubles `size`, which must not grow into an allocation that fails.
    if (first) size = static_cast<uint32_t>(std::max<size_t>(1, std::min<size_t>(size, maxBytes / rows.RowBytes(true))));
    rows.Reserve(static_cast<size_t>(size) * rows.RowBytes(true));
    std::vector<uint8_t> keys(static_cast<size_t>(size) * map.keySize);
    std::vector<uint8_t> values(static_cast<size_t>(size) * map.rawValueSize);
    uint32_t count = size;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    void* in = first ? nullptr : inBatch.data();
    int rc = del ? bpf_map_lookup_and_delete_batch(map.fd, in, outBatch.data(), keys.data(), values.data(), &count, &opts)
                 : bpf_map_lookup_batch(map.fd, in, outBatch.data(), keys.data(), values.data(), &count, &opts);
    int err = rc == 0 ? 0 : errno;
    if (err == ENOSPC && count == 0 && size < (1u << 20)) {
      rows.Reserve(static_cast<size_t>(size) * 2 * rows.RowBytes(true));
      size *= 2;  // one hash bucket holds more entries than the batch: retry bigger
      continue;
    }
    if (err != 0 && err != ENOENT) {
      if (first && BatchUnsupported(err)) break;  // this map type has no batch ops: fall back below
      OpFailed(env, map, del ? "lookup_and_delete_batch" : "lookup_batch", err);
    }
    for (uint32_t i = 0; i < count; i++) rows.Add(&keys[i * map.keySize], &values[i * map.rawValueSize]);
    if (err == ENOENT) return rows.ToJs(env);  // that was the last batch
    first = false;
    inBatch = outBatch;
  }

  // Fallback: key iteration (+ delete). Not atomic per entry, like the batch ops.
  auto keys = CollectKeys(env, map);
  std::vector<uint8_t> value(map.rawValueSize ? map.rawValueSize : 1);
  for (auto& key : keys) {
    if (bpf_map_lookup_elem(map.fd, key.data(), value.data()) != 0) {
      int err = errno;
      if (err == ENOENT) continue;
      OpFailed(env, map, "lookup", err);
    }
    if (del && bpf_map_delete_elem(map.fd, key.data()) != 0) {
      int err = errno;
      if (err != ENOENT) OpFailed(env, map, "delete", err);
    }
    rows.Add(key.data(), value.data());
  }
  return rows.ToJs(env);
}

Napi::Buffer<uint8_t> MapLookupArrayPrefix(Napi::Env env, const MapShape& map, uint32_t count) {
  if (map.type != BPF_MAP_TYPE_ARRAY && map.type != BPF_MAP_TYPE_PERCPU_ARRAY) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT", Describe(map) + ": a key range read needs an array map");
  }
  if (count > map.maxEntries) {
    ThrowBpfError(env, "BPF_INVALID_ARGUMENT",
                  Describe(map) + ": " + std::to_string(count) + " keys asked, the array has " + std::to_string(map.maxEntries));
  }
  if (static_cast<size_t>(count) * map.rawValueSize > kDefaultMaxReadBytes) TooLarge(env, map, kDefaultMaxReadBytes);
  std::vector<uint8_t> values(std::max<size_t>(1, static_cast<size_t>(count) * map.rawValueSize));
  if (count == 0) return Napi::Buffer<uint8_t>::Copy(env, values.data(), 0);
  std::vector<uint8_t> keys(static_cast<size_t>(count) * map.keySize);
  uint32_t outBatch = 0;
  uint32_t got = count;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  ClearLibbpfLog();
  // Arrays batch from key 0 in key order: one call returns keys 0..count-1 (an array has
  // every key, so `got` falls short only at max_entries, which count never passes).
  int rc = bpf_map_lookup_batch(map.fd, nullptr, &outBatch, keys.data(), values.data(), &got, &opts);
  int err = rc == 0 ? 0 : errno;
  if (err == 0 || (err == ENOENT && got == count)) return Napi::Buffer<uint8_t>::Copy(env, values.data(), values.size());
  if (!BatchUnsupported(err) && err != ENOENT) OpFailed(env, map, "lookup_batch", err);
  // No batch ops for arrays on this kernel: one lookup per key.
  for (uint32_t key = 0; key < count; key++) {
    if (bpf_map_lookup_elem(map.fd, &key, &values[static_cast<size_t>(key) * map.rawValueSize]) != 0) OpFailed(env, map, "lookup", errno);
  }
  return Napi::Buffer<uint8_t>::Copy(env, values.data(), static_cast<size_t>(count) * map.rawValueSize);
}

}  // namespace autotracer
