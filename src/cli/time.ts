// Time arguments (`--since 1h`, `--until 2026-11-27T10:00:00Z`) and human durations.
import { usageError } from './errors.js';

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An absolute time in ms since the epoch from: `now`; a relative age like `90s`, `30m`,
 * `1h`, `7d`, `2w` (meaning that long before `now`); an ISO 8601 / RFC 3339 time or date;
 * or milliseconds since the epoch.
 */
export function parseTimeArg(option: string, raw: string, now = Date.now()): number {
  const value = raw.trim();
  if (value === 'now') return now;
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value);
  if (rel !== null) return now - Number(rel[1]) * unitMs[rel[2]!]!;
  if (/^\d{11,16}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw usageError(`${option} ${raw}: expected a relative age (30m, 1h, 7d), an ISO time (2026-11-27T10:00:00Z), ms since the epoch or "now"`);
}

/** 0.4s, 12s, 5m 3s, 2h 10m, 3d 4h. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
