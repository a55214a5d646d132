// The contract between the entry (bench/run.ts) and each benchmark module.
import type { Figure } from './stats.js';
import type { Progress } from './progress.js';

export interface BenchOptions {
  /** Runs per figure (each figure is their median). */
  runs: number;
  /** Fewer and shorter runs: a smoke test of the harness, not figures to publish. */
  quick: boolean;
  progress: Progress;
}

/** A table a benchmark wants printed as is (e.g. per-program BPF costs). */
export interface ExtraTable {
  title: string;
  header: string[];
  rows: string[][];
}

export interface BenchOutput {
  figures: Figure[];
  notes: string[];
  tables?: ExtraTable[];
}

export interface Benchmark {
  name: string;
  title: string;
  run(options: BenchOptions): Promise<BenchOutput>;
}
