// Map operations on a loaded map's fd, returning JS values. Key and value sizes are
// checked here so a wrong Buffer can never make the kernel read or write past it.
#pragma once
#include <bpf/libbpf.h>
#include <napi.h>

namespace autotracer {

struct MapShape {
  const char* name;
  int fd;
  uint32_t type;
  uint32_t keySize;
  uint32_t valueSize;   // as declared
  uint32_t maxEntries;
  bool perCpu;
  size_t rawValueSize;  // bytes the kernel reads/writes per value (per-CPU: all slots)
};

// Throws BPF_CPU_COUNT_UNAVAILABLE for a per-CPU map when the possible CPU count cannot be read.
MapShape ShapeOf(Napi::Env env, const bpf_map* map);

// What one read (keys, entries, batch) may hold in memory unless the caller says otherwise:
// a read that would need more throws BPF_MAP_READ_TOO_LARGE instead of exhausting memory.
constexpr size_t kDefaultMaxReadBytes = size_t(256) << 20;
bool IsPerCpuType(uint32_t type);

Napi::Value MapLookup(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key);
void MapUpdate(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key, Napi::Buffer<uint8_t> value, uint64_t flags);
bool MapDelete(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key);
// The next three return [keys: Buffer, values: Buffer, count]: rows packed back to back
// (values: rawValueSize bytes each; empty for MapKeys).
Napi::Array MapKeys(Napi::Env env, const MapShape& map);
Napi::Array MapEntries(Napi::Env env, const MapShape& map);
// Rows already drained (del) when the cap is hit are lost with the error; size maxBytes so
// that a full map fits when draining.
Napi::Array MapLookupBatch(Napi::Env env, const MapShape& map, bool del, uint32_t batchSize, size_t maxBytes);
// Values of keys 0..count-1 of an (per-CPU) array map, packed back to back (rawValueSize
// each), in one BPF_MAP_LOOKUP_BATCH (per-key lookups where the kernel has no batch ops).
// A reader whose used slots are dense reads them in one syscall instead of one per slot.
Napi::Buffer<uint8_t> MapLookupArrayPrefix(Napi::Env env, const MapShape& map, uint32_t count);

}  // namespace autotracer
