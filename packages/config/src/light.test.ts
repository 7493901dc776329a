import { baseEnvSchema, configuredAccountIds, ConfigError, parseEnv } from './index.js';
import { readBaseEnvLight } from './light.js';

// The light reader never decides differently from the full parser: it answers what parseEnv answers
// for the settings it returns, or undefined (then parseEnv runs and answers, or names the error).
const cases: Array<Record<string, string | undefined>> = [
  {},
  { REDIS_URL: 'redis://10.0.0.1:6380', WABULK_KEY_PREFIX: 'p-1', WABULK_ACCOUNT: 'acme' },
  { REDIS_URL: '', WABULK_KEY_PREFIX: '', WABULK_ARCHIVE_URL: '' },
  { REDIS_CLUSTER_NODES: '10.0.0.1:6379, 10.0.0.2:6379,', WABULK_ARCHIVE_URL: 'postgres://u:p@h:5432/db' },
  { REDIS_CLUSTER_NODES: 'nonsense' },
  { REDIS_CLUSTER_NODES: ' , ' },
  { WABULK_KEY_PREFIX: 'a:b' },
  { WABULK_ACCOUNT: 'x'.repeat(33) },
  { WABULK_ACCOUNT: '', KALEYRA_SID: 'sid' },
  { WABULK_ACCOUNT: '' },
  { KALEYRA_SID: 'sid' },
  { LOG_LEVEL: 'debug' },
  { LOG_LEVEL: 'loud' },
  { WABULK_DEFAULT_COUNTRY: 'IN' },
  { WABULK_DEFAULT_COUNTRY: 'in' },
  { WABULK_MESSAGE_TTL_S: '60' },
  { WABULK_MESSAGE_TTL_S: '59' },
  { WABULK_MESSAGE_TTL_S: ' 120 ' },
  { WABULK_MESSAGE_TTL_S: '1e3' },
  { WABULK_MESSAGE_TTL_S: String(366 * 86_400 + 1) },
  { WABULK_ARCHIVE_URL: 'mysql://x' },
  { WABULK_ARCHIVE_URL: 'postgresql://h/db' },
  { WABULK_ARCHIVE_AFTER: '30m' },
  { WABULK_REDIS_COMMAND_TIMEOUT_MS: '500' },
  { WABULK_REDIS_COMMAND_TIMEOUT_MS: '99' },
  { WABULK_REDIS_COMMAND_TIMEOUT_MS: '2s' },
  { WABULK_ARCHIVE_AFTER: 'soon' },
  { WABULK_ARCHIVE_QUIET_MS: '0' },
  { WABULK_ARCHIVE_QUIET_MS: '3600001' },
  { WABULK_ARCHIVE_QUIET_MS: '-1' },
  { WABULK_ACCOUNTS_FILE: '/nonexistent/accounts.json' },
];

function full(env: Record<string, string | undefined>) {
  try {
    const c = parseEnv(baseEnvSchema, env);
    configuredAccountIds(env);
    return { REDIS_URL: c.REDIS_URL, REDIS_CLUSTER_NODES: c.REDIS_CLUSTER_NODES, WABULK_KEY_PREFIX: c.WABULK_KEY_PREFIX, WABULK_ARCHIVE_URL: c.WABULK_ARCHIVE_URL, WABULK_REDIS_COMMAND_TIMEOUT_MS: c.WABULK_REDIS_COMMAND_TIMEOUT_MS };
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

test.each(cases.map((env) => [JSON.stringify(env), env] as const))('%s: the light reader answers as parseEnv, or leaves it to parseEnv', (_name, env) => {
  const light = readBaseEnvLight(env);
  const expected = full(env);
  if (light === undefined) return;
  expect(expected).not.toBeInstanceOf(ConfigError);
  expect(light).toEqual(expected);
});

test('plain settings take the light path (it is not always leaving it to parseEnv)', () => {
  expect(readBaseEnvLight({})).toEqual({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: undefined, WABULK_KEY_PREFIX: 'wabulk', WABULK_ARCHIVE_URL: undefined, WABULK_REDIS_COMMAND_TIMEOUT_MS: 2000 });
  expect(readBaseEnvLight({ REDIS_CLUSTER_NODES: 'a:1,b:2', WABULK_ACCOUNT: 'acme', WABULK_ARCHIVE_AFTER: '0' })?.REDIS_CLUSTER_NODES).toEqual(['a:1', 'b:2']);
  // Bad settings are the full parser's to name.
  expect(readBaseEnvLight({ WABULK_KEY_PREFIX: 'a:b' })).toBeUndefined();
  expect(readBaseEnvLight({ WABULK_ACCOUNTS_FILE: '/x.json' })).toBeUndefined();
});
