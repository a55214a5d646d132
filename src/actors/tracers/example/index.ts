// The seed's exampleTracing, in TypeScript: detect something you care about, store the
// context (locally and to ES, through the storage actor), optionally export metrics.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Flag, registerTracer, type MetricSample, type Tracer, type TracerContext, type TriggerRequest } from '../../tracer-api.js';
import { exampleSettingsSchema, type ExampleSettings } from './config.js';

// 1. Create the structure.
class ExampleTracing implements Tracer<ExampleSettings> {
  private lastLoad1 = 0;
  private fired = 0;

  // 3. Implement start(): runs until ctx.signal aborts.
  async start(ctx: TracerContext<ExampleSettings>): Promise<void> {
    while (!ctx.signal.aborted) {
      // Detect what you care about...
      const load = await readLoadAverage(ctx.procRoot);
      this.lastLoad1 = load.load1;
      // ...and when it crosses the threshold and the cooldown allows, capture and save.
      if (load.load1 >= ctx.config.loadThreshold && (await ctx.cooldown.tryArm())) {
        this.fired++;
        await ctx.save({ data: { ...load, threshold: ctx.config.loadThreshold } });
      }
      await sleep(ctx.config.sampleMs, undefined, { signal: ctx.signal }).catch(() => undefined);
    }
  }

  // Optional: a manual trigger captures now, bypassing the threshold.
  async trigger(request: TriggerRequest, ctx: TracerContext<ExampleSettings>): Promise<void> {
    const load = await readLoadAverage(ctx.procRoot);
    await ctx.save({ ...(request.containerId !== undefined ? { containerId: request.containerId } : {}), data: { ...load, reason: request.reason ?? 'manual' } });
  }

  // Optional: metrics (the seed's Collector.Update).
  update(): MetricSample[] {
    return [
      { name: 'example_load1', value: this.lastLoad1, help: '1-minute load average seen by the example tracer' },
      { name: 'example_fired_total', value: this.fired, kind: 'counter', help: 'captures by the example tracer' },
    ];
  }
}

/** `procRoot` is ctx.procRoot: /proc on a live host, a recorded fixture in a replay test. */
async function readLoadAverage(procRoot: string): Promise<{ load1: number; load5: number; load15: number }> {
  const [load1 = 0, load5 = 0, load15 = 0] = (await readFile(`${procRoot}/loadavg`, 'utf8')).split(' ').map(Number);
  return { load1, load5, load15 };
}

// 2. Register: interval = seconds before start() runs again if it returns.
registerTracer<ExampleSettings>(
  'example',
  () => ({ tracer: new ExampleTracing(), interval: 10, flags: Flag.Tracing | Flag.Metric }),
  { settingsSchema: exampleSettingsSchema },
);
