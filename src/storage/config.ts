// Storage actor configuration. Every field has a default so `storageConfigSchema.parse({})`
// yields the embedded default (LMDB only, no Elasticsearch). Objects are strict so a typo in
// the config file fails loudly instead of being silently ignored.
import { z } from 'zod';

const GiB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;

export const backoffSchema = z
  .strictObject({
    initialMs: z.number().int().positive().default(500),
    maxMs: z.number().int().positive().default(30_000),
  })
  .prefault({});

export const elasticsearchSchema = z.strictObject({
  /** One or more node URLs, e.g. https://es1:9200. */
  urls: z.array(z.string().url()).min(1),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Base64 "id:key" or the encoded API key; wins over username/password when both are set. */
  apiKey: z.string().optional(),
  /** PEM CA bundle used to verify the cluster certificate. */
  caFile: z.string().optional(),
  tls: z
    .strictObject({
      rejectUnauthorized: z.boolean().default(true),
    })
    .prefault({}),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** Daily indices are `<indexPrefix>-YYYY.MM.DD` (UTC, by tracer_time). */
  indexPrefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-" only')
    .default('autotracer'),
  /** Upper bound of one _bulk request body. */
  maxBytesPerRequest: z.number().int().positive().default(5 * MB),
  /** A pending event waits at most this long before a request is sent. */
  maxLatencyMs: z.number().int().nonnegative().default(1000),
  backoff: backoffSchema,
});

export const storageConfigSchema = z.strictObject({
  /** LMDB environment directory (created if missing). */
  path: z.string().min(1).default('/var/lib/autotracer/events'),
  /** Overrides os.hostname() in documents. */
  hostname: z.string().min(1).optional(),
  region: z.string().default(''),
  /**
   * 'commit': every batch is fsynced before it is acknowledged (survives power loss).
   * 'os': commits reach the OS page cache before the ack (survives a process kill, not a
   * power loss) and are flushed by the OS — much faster.
   */
  fsync: z.enum(['commit', 'os']).default('commit'),
  /** Compress stored values larger than this many bytes (flame graphs); LZ4. */
  compressionThresholdBytes: z.number().int().nonnegative().default(4096),
  retention: z
    .strictObject({
      maxAgeDays: z.number().positive().default(7),
      maxSizeBytes: z.number().int().positive().default(GiB),
      /** How often retention runs. */
      intervalMs: z.number().int().positive().default(60_000),
      /**
       * Dead letters (documents Elasticsearch rejected for good, kept whole for inspection)
       * have their own retention: without it they never expire and grow into the size cap,
       * evicting live events.
       */
      deadLetterMaxAgeDays: z.number().positive().default(30),
      deadLetterMaxCount: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  batching: z
    .strictObject({
      /** Upper bound of events accepted in one `store` request. */
      maxEventsPerBatch: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  /** Absent = LMDB only (the embedded default). */
  elasticsearch: elasticsearchSchema.optional(),
});

export type StorageConfig = z.infer<typeof storageConfigSchema>;
export type ElasticsearchConfig = z.infer<typeof elasticsearchSchema>;
export type StorageConfigInput = z.input<typeof storageConfigSchema>;
