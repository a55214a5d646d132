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

MapShape ShapeOf(const bpf_map* map);
bool IsPerCpuType(uint32_t type);

Napi::Value MapLookup(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key);
void MapUpdate(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key, Napi::Buffer<uint8_t> value, uint64_t flags);
bool MapDelete(Napi::Env env, const MapShape& map, Napi::Buffer<uint8_t> key);
// The next three return [keys: Buffer, values: Buffer, count]: rows packed back to back
// (values: rawValueSize bytes each; empty for MapKeys).
Napi::Array MapKeys(Napi::Env env, const MapShape& map);
Napi::Array MapEntries(Napi::Env env, const MapShape& map);
Napi::Array MapLookupBatch(Napi::Env env, const MapShape& map, bool del, uint32_t batchSize);

}  // namespace autotracer
