import { parseDuration } from './duration.js';
import type { BaseEnv } from './env.js';
import { ACCOUNT_ID, KEY_PREFIX } from './id-rules.js';
import { parseClusterNodes, splitClusterNodes } from './redis-nodes.js';

// `@wabulk/config/light` (start-up, issue 15): what a short read-only command (`wabulk status
// --json`) needs of the configuration, without zod, @wabulk/kaleyra or undici. No rule is declared
// twice in effect: readBaseEnvLight accepts only settings it can see pass baseEnvSchema's rules, and
// answers undefined for anything else; the caller then runs the full parser (parseEnv), which
// answers the same settings or the operator's error, word for word (light.test.ts holds this).

export { ACCOUNT_ID, ACCOUNT_ID_RULE, KEY_PREFIX, KEY_PREFIX_RULE } from './id-rules.js';
export { parseDuration } from './duration.js';
export { CLUSTER_NODES_RULE, ClusterNodesError, describeClusterNodes, parseClusterNodes, splitClusterNodes, type ClusterNodes } from './redis-nodes.js';

/** What a read-only command uses of baseEnvSchema's settings. */
export type LightBaseEnv = Pick<BaseEnv, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'WABULK_KEY_PREFIX' | 'WABULK_ARCHIVE_URL' | 'WABULK_REDIS_COMMAND_TIMEOUT_MS'>;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const clusterNodesOk = (v: string) => {
  try {
    parseClusterNodes(splitClusterNodes(v));
    return true;
  } catch {
    return false;
  }
};
const wholeNumber = (min: number, max: number) => (v: string) => /^\d{1,10}$/.test(v) && Number(v) >= min && Number(v) <= max;

/** Every setting of baseEnvSchema, with a check that passes only values its rule accepts as they are. */
const CHECKS: Record<keyof BaseEnv, (v: string) => boolean> = {
  REDIS_URL: () => true,
  REDIS_CLUSTER_NODES: clusterNodesOk,
  LOG_LEVEL: (v) => LOG_LEVELS.has(v),
  WABULK_KEY_PREFIX: (v) => KEY_PREFIX.test(v),
  WABULK_ACCOUNT: (v) => ACCOUNT_ID.test(v),
  WABULK_DEFAULT_COUNTRY: (v) => /^[A-Z]{2}$/.test(v),
  WABULK_MESSAGE_TTL_S: wholeNumber(60, 366 * 86_400),
  WABULK_ARCHIVE_URL: (v) => /^postgres(ql)?:\/\/\S+$/.test(v),
  WABULK_ARCHIVE_AFTER: (v) => parseDuration(v) !== undefined,
  WABULK_ARCHIVE_QUIET_MS: wholeNumber(0, 3_600_000),
  WABULK_REDIS_COMMAND_TIMEOUT_MS: wholeNumber(100, 600_000),
};

/**
 * The settings a read-only command uses, when every setting of baseEnvSchema (and what
 * configuredAccountIds reads) is plainly valid; undefined otherwise: then parseEnv(baseEnvSchema)
 * and configuredAccountIds decide (and name what is wrong). Empty strings mean "not set", as there.
 */
export function readBaseEnvLight(env: Record<string, string | undefined>): LightBaseEnv | undefined {
  const set = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  for (const [name, ok] of Object.entries(CHECKS)) {
    const v = set(name);
    if (v !== undefined && !ok(v)) return undefined;
  }
  // configuredAccountIds: a file is read and checked there; an empty WABULK_ACCOUNT beside KALEYRA_* is its error.
  if (env.WABULK_ACCOUNTS_FILE || env.WABULK_ACCOUNT === '') return undefined;
  const nodes = set('REDIS_CLUSTER_NODES');
  return {
    REDIS_URL: set('REDIS_URL') ?? 'redis://127.0.0.1:6379',
    REDIS_CLUSTER_NODES: nodes === undefined ? undefined : splitClusterNodes(nodes),
    WABULK_KEY_PREFIX: set('WABULK_KEY_PREFIX') ?? 'wabulk',
    WABULK_ARCHIVE_URL: set('WABULK_ARCHIVE_URL'),
    WABULK_REDIS_COMMAND_TIMEOUT_MS: Number(set('WABULK_REDIS_COMMAND_TIMEOUT_MS') ?? 2000),
  };
}
