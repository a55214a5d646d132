// pprof export: a gzipped profile.proto as `go tool pprof` reads it, built with pprof-format.
// One Function and one Location per distinct label (folded stacks carry no addresses or
// lines); samples list location ids leaf first, as the proto requires. Sample types are
// samples/count, plus cpu/nanoseconds (count × the sampling period) when the event records
// its sampling frequency.
import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { KERNEL_FRAME_SUFFIX, type FoldedStack } from '../capture/flamedata.js';
import type { ProfileMeta } from './event-profile.js';

export function toPprof(folded: readonly FoldedStack[], meta: ProfileMeta): Buffer {
  const strings = new StringTable();
  const period = meta.frequency === undefined ? undefined : Math.round(1e9 / meta.frequency);
  const sampleType = [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') })];
  if (period !== undefined) sampleType.push(new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }));

  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const ids = new Map<string, number>();
  const kernelFile = strings.dedup('[kernel]');
  const locationOf = (label: string): number => {
    let id = ids.get(label);
    if (id === undefined) {
      id = functions.length + 1; // ids start at 1: 0 means "none" in profile.proto
      const name = strings.dedup(label);
      functions.push(new PprofFunction({ id, name, systemName: name, filename: label.endsWith(KERNEL_FRAME_SUFFIX) ? kernelFile : 0 }));
      locations.push(new Location({ id, line: [{ functionId: id }] }));
      ids.set(label, id);
    }
    return id;
  };

  const samples: Sample[] = [];
  for (const { stack, count } of folded) {
    if (count <= 0) continue;
    const locationId: number[] = [];
    for (let i = stack.length - 1; i >= 0; i--) locationId.push(locationOf(stack[i]!));
    samples.push(new Sample({ locationId, value: period === undefined ? [count] : [count, count * period] }));
  }

  const startedMs = Date.parse(meta.startedAt ?? meta.time);
  const comments = [`autotracer ${meta.tracerName} event ${meta.tracerId}`, ...(meta.containerId !== '' ? [`container ${meta.containerId}`] : [])];
  const profile = new Profile({
    sampleType,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    ...(Number.isFinite(startedMs) ? { timeNanos: BigInt(startedMs) * 1_000_000n } : {}),
    ...(meta.durationMs !== undefined ? { durationNanos: BigInt(Math.round(meta.durationMs)) * 1_000_000n } : {}),
    ...(period !== undefined ? { periodType: { type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }, period } : {}),
    comment: comments.map((c) => strings.dedup(c)),
    defaultSampleType: strings.dedup(period !== undefined ? 'cpu' : 'samples'),
  });
  return gzipSync(profile.encode());
}
