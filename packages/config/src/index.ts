export {
  accountSchema,
  baseEnvSchema,
  workerEnvSchema,
  apiEnvSchema,
  parseEnv,
  parseDuration,
  formatIssues,
  ConfigError,
  type AccountConfig,
  type BaseEnv,
  type WorkerEnv,
  type ApiEnv,
} from './env.js';
export { configuredAccountIds, loadAccounts } from './accounts.js';
export { ACCOUNT_ID, ACCOUNT_ID_RULE, accountIdSchema, KEY_PREFIX, KEY_PREFIX_RULE, keyPrefixSchema, requiredString } from './ids.js';
export { CLUSTER_NODES_RULE, ClusterNodesError, describeClusterNodes, parseClusterNodes, splitClusterNodes, type ClusterNodes } from './redis-nodes.js';
export { API_SCOPES, API_TOKEN_MIN_LENGTH, apiTokenEntrySchema, loadApiTokens, loadApiTokensFile, parseApiTokensFile, type ApiScope, type ApiTokenConfig } from './api-tokens.js';
