export {
  accountSchema,
  baseEnvSchema,
  workerEnvSchema,
  parseEnv,
  formatIssues,
  ConfigError,
  type AccountConfig,
  type BaseEnv,
  type WorkerEnv,
} from './env.js';
export { loadAccounts } from './accounts.js';
