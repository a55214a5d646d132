// Idle cost of the three event tracers together (not a test; run as root):
//   node dist-iotracing/test/kevents/measure-cost.js [seconds=30]
// CPU of this process (the three tracers attached, waiting on their ring buffers) per minute.
import { HungtaskTracer } from '../../src/actors/tracers/hungtask/index.js';
import { hungtaskSettingsSchema, type HungtaskSettings } from '../../src/actors/tracers/hungtask/config.js';
import { OomTracer } from '../../src/actors/tracers/oom/index.js';
import { oomSettingsSchema, type OomSettings } from '../../src/actors/tracers/oom/config.js';
import { ReclaimTracer } from '../../src/actors/tracers/reclaim/index.js';
import { reclaimSettingsSchema, type ReclaimSettings } from '../../src/actors/tracers/reclaim/config.js';
import { testContext } from '../support/tracer-context.js';

const seconds = Number(process.argv[2] ?? 30);
const abort = new AbortController();
const containers = { plainRoots: [], scanRoots: [] };
const contexts = [
  testContext<HungtaskSettings>('hungtask', hungtaskSettingsSchema.parse({ containers }), abort.signal),
  testContext<OomSettings>('oom', oomSettingsSchema.parse({ containers }), abort.signal),
  testContext<ReclaimSettings>('reclaim', reclaimSettingsSchema.parse({ containers }), abort.signal),
] as const;
const runs = [new HungtaskTracer().start(contexts[0]), new OomTracer().start(contexts[1]), new ReclaimTracer().start(contexts[2])];
await new Promise((r) => setTimeout(r, 5000)); // attached; start-up garbage collected
const before = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
const d = process.cpuUsage(before);
abort.abort();
await Promise.all(runs);
for (const c of contexts) c.closeAll();
console.log(JSON.stringify({ what: 'hungtask+oom+reclaim idle', seconds, cpuMsPerMinute: +(((d.user + d.system) / 1000) * (60 / seconds)).toFixed(2), events: contexts.map((c) => c.saved.length) }));
