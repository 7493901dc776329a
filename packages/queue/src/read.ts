// `@wabulk/queue/read` (start-up, issue 15): what a short read-only command needs, without bullmq,
// zod, luxon, libphonenumber or csv-parse. `wabulk status` and `wabulk campaigns` load only this (and ioredis);
// test/cli/lazy-load.test.ts holds that. The index re-exports the same functions, so both answer alike.
export type { CampaignArchive, ArchivedCampaign, CampaignLocation } from './archive-port.js';
export { archivedCampaign, archiveOf, ArchiveUnavailableError, locateCampaign } from './archive-port.js';
export { InvalidCursorError, listCampaignStatuses, type CampaignListPage, type CampaignListQuery } from './campaign-list.js';
export type { CampaignFigures, CampaignState, CampaignStatus } from './campaign-status.js';
export type { ReadContext } from './context.js';
export { assertCampaignId, campaignKeys, DEFAULT_BASE, InvalidIdError } from './keys.js';
export { connectRedis, createRedis, describeRedisTarget, waitForReady, type RedisClient, type RedisTarget } from './redis.js';
export { classifyRedisError, describeRedisFailure } from './redis-errors.js';
export { campaignFigures, getCampaignStatus, readAccountPause, readCampaignControlState, readCounts, type AccountPause } from './status-read.js';
