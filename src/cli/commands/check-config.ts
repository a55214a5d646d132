// `autotracer check-config <file>`: validates a config file with the agent's own schema and
// loader (the same code `run` uses), so "check-config passes" means "run accepts it".
import { ConfigError } from '../../config/errors.js';
import { loadAgentConfig } from '../../config/load.js';
import type { AgentConfig, TracerEntryConfig } from '../../config/schema.js';
import { CliError, ExitCode } from '../errors.js';
import { writeOut } from '../output.js';

export interface ConfigSummary {
  file: string;
  tracers: { enabled: string[]; disabled: string[] };
  storage: { path: string; fsync: string; maxAgeDays: number; maxSizeBytes: number };
  elasticsearch: { enabled: boolean; urls: string[]; indexPrefix?: string };
  http: { enabled: boolean; listen: string };
}

export function summarize(file: string, config: AgentConfig): ConfigSummary {
  const entries = Object.entries(config.tracers as Record<string, TracerEntryConfig>);
  const es = config.storage.elasticsearch;
  return {
    file,
    tracers: { enabled: entries.filter(([, e]) => e.enabled).map(([n]) => n), disabled: entries.filter(([, e]) => !e.enabled).map(([n]) => n) },
    storage: { path: config.storage.path, fsync: config.storage.fsync, maxAgeDays: config.storage.retention.maxAgeDays, maxSizeBytes: config.storage.retention.maxSizeBytes },
    elasticsearch: es === undefined ? { enabled: false, urls: [] } : { enabled: true, urls: es.urls, indexPrefix: es.indexPrefix },
    http: { enabled: config.http.enabled, listen: `${config.http.host}:${config.http.port}` },
  };
}

function renderSummary(s: ConfigSummary): string {
  const list = (names: string[]): string => (names.length === 0 ? '(none)' : names.join(', '));
  const gib = (s.storage.maxSizeBytes / 2 ** 30).toFixed(1);
  return [
    `ok: ${s.file} is valid`,
    `tracers enabled (${s.tracers.enabled.length}): ${list(s.tracers.enabled)}`,
    `tracers disabled: ${list(s.tracers.disabled)}`,
    `storage: ${s.storage.path} (fsync ${s.storage.fsync}, keeps ${s.storage.maxAgeDays} d / ${gib} GiB)`,
    `elasticsearch: ${s.elasticsearch.enabled ? `on, ${s.elasticsearch.urls.join(', ')} (indices ${s.elasticsearch.indexPrefix}-YYYY.MM.DD)` : 'off (events stay in LMDB only)'}`,
    `http api: ${s.http.enabled ? s.http.listen : 'off'}`,
    '',
  ].join('\n');
}

export async function runCheckConfig(file: string, format: 'text' | 'json'): Promise<number> {
  let config: AgentConfig;
  try {
    config = await loadAgentConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const [first, ...rest] = err.problems;
    if (first === undefined) throw new CliError('CLI_CONFIG', err.message, 'the file must be a JSON object; every key: docs/config.md', { cause: err });
    const hint =
      rest.length > 0
        ? `${rest.length} more problem${rest.length > 1 ? 's' : ''} after this one; fix it and run check-config again`
        : 'every key, its default and its range: docs/config.md';
    throw new CliError('CLI_CONFIG', `${file}: ${first}`, hint, { cause: err });
  }
  const summary = summarize(file, config);
  await writeOut(format === 'json' ? `${JSON.stringify({ ok: true, ...summary }, null, 2)}\n` : renderSummary(summary));
  return ExitCode.ok;
}
