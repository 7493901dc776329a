import { apiEnvSchema, baseEnvSchema, ConfigError, loadAccounts, loadApiTokens, parseDuration, parseEnv, workerEnvSchema } from './index.js';

describe('workerEnvSchema', () => {
  test('defaults follow the operator contract', () => {
    const env = parseEnv(workerEnvSchema, {});
    expect(env.WABULK_RATE_PER_SECOND).toBe(80);
    expect(env.WABULK_RETRY_DELAYS_MS).toEqual([300_000, 600_000, 900_000]);
    expect(env.WABULK_ACCOUNT).toBe('default');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env).toMatchObject({ WABULK_WORKER_ERROR_ATTEMPTS: 5, WABULK_WORKER_ERROR_DELAY_MS: 1000, WABULK_MAX_THROTTLE_HOLD_MS: 60_000, WABULK_BREAKER_THRESHOLD: 20 });
  });

  test('the worker\'s own limits are bounded', () => {
    expect(() => parseEnv(workerEnvSchema, { WABULK_WORKER_ERROR_ATTEMPTS: '0' })).toThrow(/WABULK_WORKER_ERROR_ATTEMPTS: .*>=1/);
    expect(() => parseEnv(workerEnvSchema, { WABULK_WORKER_ERROR_ATTEMPTS: '50' })).toThrow(/WABULK_WORKER_ERROR_ATTEMPTS: .*<=20/);
    expect(() => parseEnv(workerEnvSchema, { WABULK_WORKER_ERROR_DELAY_MS: '60000' })).toThrow(/WABULK_WORKER_ERROR_DELAY_MS: .*<=30000/);
    expect(() => parseEnv(workerEnvSchema, { WABULK_MAX_THROTTLE_HOLD_MS: '86400000' })).toThrow(/WABULK_MAX_THROTTLE_HOLD_MS: .*<=3600000/);
    expect(parseEnv(workerEnvSchema, { WABULK_BREAKER_THRESHOLD: '0' })).toMatchObject({ WABULK_BREAKER_THRESHOLD: 0 });
    expect(() => parseEnv(workerEnvSchema, { WABULK_BREAKER_THRESHOLD: '-1' })).toThrow(/WABULK_BREAKER_THRESHOLD/);
    expect(parseEnv(workerEnvSchema, { WABULK_MAX_THROTTLE_HOLD_MS: '500', WABULK_WORKER_ERROR_ATTEMPTS: '3' })).toMatchObject({ WABULK_MAX_THROTTLE_HOLD_MS: 500, WABULK_WORKER_ERROR_ATTEMPTS: 3 });
  });

  test('coerces numbers and parses retry delays', () => {
    const env = parseEnv(workerEnvSchema, { WORKER_CONCURRENCY: '20', WABULK_RETRY_DELAYS_MS: '5, 10,15' });
    expect(env.WORKER_CONCURRENCY).toBe(20);
    expect(env.WABULK_RETRY_DELAYS_MS).toEqual([5, 10, 15]);
  });

  test('a bad value names the variable and the rule, not the value', () => {
    expect(() => parseEnv(workerEnvSchema, { WABULK_RETRY_DELAYS_MS: 'soon', WORKER_CONCURRENCY: '0' })).toThrow(
      /WORKER_CONCURRENCY: .*>=1.*WABULK_RETRY_DELAYS_MS: must be a comma-separated list of milliseconds/s,
    );
  });
});

describe('loadAccounts', () => {
  const base = parseEnv(workerEnvSchema, {});

  test('one account from KALEYRA_*', () => {
    const accounts = loadAccounts({ ...base, KALEYRA_SID: 'S', KALEYRA_API_KEY: 'secret-key', KALEYRA_SENDER: '+919000000000', KALEYRA_POD: 'in' });
    expect(accounts).toEqual([{ id: 'default', sid: 'S', apiKey: 'secret-key', sender: '+919000000000', pod: 'in' }]);
  });

  test('missing settings are all named, and no secret is echoed', () => {
    let error: unknown;
    try {
      loadAccounts({ ...base, KALEYRA_API_KEY: 'secret-key' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/KALEYRA_SID, KALEYRA_SENDER, KALEYRA_POD or KALEYRA_BASE_URL must be set/);
    expect(String(error)).not.toContain('secret-key');
  });

  test('a bad sender names KALEYRA_SENDER', () => {
    expect(() => loadAccounts({ ...base, KALEYRA_SID: 'S', KALEYRA_API_KEY: 'k', KALEYRA_SENDER: 'abc', KALEYRA_BASE_URL: 'http://127.0.0.1:1' })).toThrow(/KALEYRA_SENDER: must be E\.164 .*, got characters other than digits/);
  });

  test('the sender follows the one E.164 rule of recipients and the client: 7..15 digits', () => {
    const withSender = (sender: string) => () => loadAccounts({ ...base, KALEYRA_SID: 'S', KALEYRA_API_KEY: 'k', KALEYRA_SENDER: sender, KALEYRA_BASE_URL: 'http://127.0.0.1:1' });
    expect(withSender('+6834001')()).toMatchObject([{ sender: '+6834001' }]); // Niue: 7 digits with the country code
    expect(withSender('+1234567890123456')).toThrow(/KALEYRA_SENDER: must be E\.164 .*, got 16 digits/);
    expect(withSender('+0919000000000')).toThrow(/KALEYRA_SENDER: .*got a leading 0/);
  });

  test('accounts file: several accounts, each validated', () => {
    const file = JSON.stringify([
      { id: 'a', sid: 'S1', apiKey: 'k1', sender: '+919000000001', pod: 'in', ratePerSecond: 20 },
      { id: 'b', sid: 'S2', apiKey: 'k2', sender: '+919000000002', baseUrl: 'http://127.0.0.1:8089' },
    ]);
    const accounts = loadAccounts({ ...base, WABULK_ACCOUNTS_FILE: 'accounts.json' }, () => file);
    expect(accounts.map((a) => a.id)).toEqual(['a', 'b']);
    expect(() => loadAccounts({ ...base, WABULK_ACCOUNTS_FILE: 'x' }, () => '[{"id":"a"}]')).toThrow(/accounts\.0\.sid/);
    expect(() => loadAccounts({ ...base, WABULK_ACCOUNTS_FILE: 'x' }, () => 'not json')).toThrow(/cannot read a JSON array/);
  });
});

describe('apiEnvSchema', () => {
  const tokens = 'first-token-0123456789, second-token-0123456789';

  test('defaults: port 8080, 1 MiB JSON, 1 GiB uploads, callbacks off; tokens split and trimmed', () => {
    const env = parseEnv(apiEnvSchema, { WABULK_API_TOKENS: tokens });
    expect(env).toMatchObject({ API_PORT: 8080, API_BODY_LIMIT_BYTES: 1_048_576, API_UPLOAD_LIMIT_BYTES: 1_073_741_824, WABULK_IDEMPOTENCY_TTL_S: 86_400, WABULK_CALLBACK_PENDING_TTL_S: 86_400 });
    expect(env.WABULK_API_TOKENS).toEqual(['first-token-0123456789', 'second-token-0123456789']);
    expect(env.WABULK_CALLBACK_SECRET).toBeUndefined();
  });

  test('tokens are required and strong enough; bad values are named, never echoed', () => {
    expect(() => loadApiTokens(parseEnv(apiEnvSchema, {}))).toThrow(/WABULK_API_TOKENS or WABULK_API_TOKENS_FILE must be set/);
    expect(() => parseEnv(apiEnvSchema, { WABULK_API_TOKENS: ' , ' })).toThrow(/WABULK_API_TOKENS: must list at least one/);
    let error: unknown;
    try {
      parseEnv(apiEnvSchema, { WABULK_API_TOKENS: 'short-secret', WABULK_CALLBACK_BASIC_AUTH: 'no-colon-here', WABULK_CALLBACK_SECRET: 'tiny', API_PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(String(error)).toMatch(/API_PORT: .*WABULK_API_TOKENS: each token must be at least 16.*WABULK_CALLBACK_SECRET: must be at least 16.*WABULK_CALLBACK_BASIC_AUTH: must be user:password/s);
    for (const secret of ['short-secret', 'no-colon-here', 'tiny']) expect(String(error)).not.toContain(secret);
  });

  test('a callback basic-auth password is at least 16 characters', () => {
    const tokens = { WABULK_API_TOKENS: 'a-long-enough-token-0123' };
    expect(() => parseEnv(apiEnvSchema, { ...tokens, WABULK_CALLBACK_BASIC_AUTH: 'kaleyra:fifteen-chars-x' })).toThrow(/WABULK_CALLBACK_BASIC_AUTH: must be user:password \(password at least 16 characters\)/);
    expect(parseEnv(apiEnvSchema, { ...tokens, WABULK_CALLBACK_BASIC_AUTH: 'kaleyra:sixteen-chars-xx' }).WABULK_CALLBACK_BASIC_AUTH).toBe('kaleyra:sixteen-chars-xx');
  });
});

describe('the archive settings', () => {
  test('WABULK_ARCHIVE_AFTER takes 0, seconds and units; a bad one names the rule, never the value', () => {
    expect(parseEnv(baseEnvSchema, {}).WABULK_ARCHIVE_AFTER).toBe(3_600_000);
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: '0' }).WABULK_ARCHIVE_AFTER).toBe(0);
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: '90' }).WABULK_ARCHIVE_AFTER).toBe(90_000);
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: '30m' }).WABULK_ARCHIVE_AFTER).toBe(1_800_000);
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: '7d' }).WABULK_ARCHIVE_AFTER).toBe(604_800_000);
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: '500ms' }).WABULK_ARCHIVE_AFTER).toBe(500);
    expect(() => parseEnv(baseEnvSchema, { WABULK_ARCHIVE_AFTER: 'soon' })).toThrow(/WABULK_ARCHIVE_AFTER: must be a duration such as 0, 90s, 30m, 1h or 7d/);
    expect(parseDuration('-1h')).toBeUndefined();
  });

  test('WABULK_ARCHIVE_URL must be a PostgreSQL URL; the error never repeats it (it holds a password)', () => {
    expect(parseEnv(baseEnvSchema, { WABULK_ARCHIVE_URL: 'postgres://u:pw@db:5432/wabulk' }).WABULK_ARCHIVE_URL).toBe('postgres://u:pw@db:5432/wabulk');
    expect(parseEnv(baseEnvSchema, {}).WABULK_ARCHIVE_URL).toBeUndefined();
    let message = '';
    try {
      parseEnv(baseEnvSchema, { WABULK_ARCHIVE_URL: 'mysql://u:TopSecret99@db/x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/WABULK_ARCHIVE_URL: must be a PostgreSQL URL/);
    expect(message).not.toMatch(/TopSecret99/);
  });
});
