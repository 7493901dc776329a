export {
  accountSchema,
  baseEnvSchema,
  workerEnvSchema,
  apiEnvSchema,
  parseEnv,
  formatIssues,
  ConfigError,
  type AccountConfig,
  type BaseEnv,
  type WorkerEnv,
  type ApiEnv,
} from './env.js';
export { loadAccounts } from './accounts.js';
