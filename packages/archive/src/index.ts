export { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations.js';
export { assertSchema, migrate, schemaVersion, SchemaMismatchError, type MigrateResult } from './schema.js';
export { createArchivePool, describeArchiveUrl, isUnavailable, type ArchiveConnectionOptions } from './pg.js';
export { PgArchive, recoverStaleRestores, RESTORE_LEASE_MS, ROW_BATCH } from './pg-archive.js';
export { drainDeferred } from './deferred.js';
export { archiveCampaign, ArchiveClaimLostError, dropMessageIndex, type ArchiveOptions, type ArchiveOutcome } from './archiver.js';
export { startArchiveLoop, sweepFinished, type ArchiveLoopMetrics, type ArchiveLoopOptions } from './archive-loop.js';
export { openArchive } from './open.js';
export { pruneArchive, type PruneOptions, type PruneResult, type PruneSkip } from './prune.js';
