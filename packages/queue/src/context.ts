import type { CampaignArchive } from './archive-port.js';
import { Ledger } from './ledger.js';
import { assertBase, DEFAULT_BASE } from './keys.js';
import { QueueRegistry } from './queue-registry.js';
import type { RedisClient } from './redis.js';

/** The Redis connection and layout every part of this package works with. */
export interface QueueContext {
  redis: RedisClient;
  base: string;
  queues: QueueRegistry;
  ledger: Ledger;
  /** The campaign archive (PostgreSQL), when WABULK_ARCHIVE_URL is set: reads of archived campaigns go there. */
  archive?: CampaignArchive;
}

/** What the read paths use of a context (the light read entry, read.ts, makes one without BullMQ's queues). */
export type ReadContext = Pick<QueueContext, 'redis' | 'base' | 'archive'>;

/**
 * `base` prefixes every key (tests use a unique one each). The connection is the caller's: a
 * producer's should fail fast (`enableOfflineQueue: false`), a worker's waits for Redis
 * (`maxRetriesPerRequest: null`); see createRedis.
 */
export function createQueueContext(options: { redis: RedisClient; base?: string; archive?: CampaignArchive }): QueueContext {
  const base = assertBase(options.base ?? DEFAULT_BASE);
  return { redis: options.redis, base, queues: new QueueRegistry(options.redis, base), ledger: new Ledger(options.redis, base), archive: options.archive };
}
