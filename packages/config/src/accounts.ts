import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { accountSchema, ConfigError, formatIssues, type AccountConfig, type WorkerEnv } from './env.js';
import { accountIdSchema } from './ids.js';

/**
 * The Kaleyra accounts a worker sends for: every entry of the JSON file named by
 * WABULK_ACCOUNTS_FILE (an array of {id, sid, apiKey, sender, pod | baseUrl, ratePerSecond?}),
 * or else the one account described by KALEYRA_* and WABULK_ACCOUNT.
 */
export function loadAccounts(env: WorkerEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): AccountConfig[] {
  if (env.WABULK_ACCOUNTS_FILE) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFile(env.WABULK_ACCOUNTS_FILE));
    } catch (err) {
      throw new ConfigError(`WABULK_ACCOUNTS_FILE: cannot read a JSON array from ${env.WABULK_ACCOUNTS_FILE} (${(err as Error).message.split('\n')[0]})`);
    }
    const parsed = z.array(accountSchema).min(1, 'must list at least one account').safeParse(raw);
    if (!parsed.success) throw new ConfigError(`invalid WABULK_ACCOUNTS_FILE: ${formatIssues(parsed.error, 'accounts.')}`);
    const ids = new Set<string>();
    for (const a of parsed.data) {
      if (ids.has(a.id)) throw new ConfigError(`invalid WABULK_ACCOUNTS_FILE: account id ${a.id} appears twice`);
      ids.add(a.id);
    }
    return parsed.data;
  }
  const missing = (['KALEYRA_SID', 'KALEYRA_API_KEY', 'KALEYRA_SENDER'] as const).filter((k) => !env[k]);
  if (!env.KALEYRA_POD && !env.KALEYRA_BASE_URL) missing.push('KALEYRA_POD or KALEYRA_BASE_URL' as never);
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration: ${missing.join(', ')} must be set (or WABULK_ACCOUNTS_FILE)`);
  }
  const parsed = accountSchema.safeParse({
    id: env.WABULK_ACCOUNT,
    sid: env.KALEYRA_SID,
    apiKey: env.KALEYRA_API_KEY,
    sender: env.KALEYRA_SENDER,
    pod: env.KALEYRA_POD,
    baseUrl: env.KALEYRA_BASE_URL,
  });
  if (!parsed.success) {
    const names: Record<string, string> = { id: 'WABULK_ACCOUNT', sid: 'KALEYRA_SID', apiKey: 'KALEYRA_API_KEY', sender: 'KALEYRA_SENDER', pod: 'KALEYRA_POD', baseUrl: 'KALEYRA_BASE_URL' };
    const text = parsed.error.issues.map((i) => `${names[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${text}`);
  }
  return [parsed.data];
}

/**
 * The accounts an intake process (`wabulk api`, `wabulk send`) is configured for, read from its raw
 * environment: the ids of WABULK_ACCOUNTS_FILE (only the ids are read: the intake needs no secrets),
 * or else WABULK_ACCOUNT when it or any KALEYRA_* setting is given. WABULK_ACCOUNT's default
 * ("default") alone configures nothing: an account nothing was told about is not known.
 */
export function configuredAccountIds(env: Record<string, string | undefined>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const file = env.WABULK_ACCOUNTS_FILE;
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFile(file));
    } catch (err) {
      throw new ConfigError(`WABULK_ACCOUNTS_FILE: cannot read a JSON array from ${file} (${(err as Error).message.split('\n')[0]})`);
    }
    const parsed = z.array(z.looseObject({ id: accountIdSchema })).safeParse(raw);
    if (!parsed.success) throw new ConfigError(`invalid WABULK_ACCOUNTS_FILE: ${formatIssues(parsed.error, 'accounts.')}`);
    return [...new Set(parsed.data.map((a) => a.id))];
  }
  const kaleyra = ['KALEYRA_SID', 'KALEYRA_API_KEY', 'KALEYRA_SENDER', 'KALEYRA_BASE_URL', 'KALEYRA_POD'].some((k) => Boolean(env[k]));
  if (!env.WABULK_ACCOUNT && !kaleyra) return [];
  const id = accountIdSchema.safeParse(env.WABULK_ACCOUNT ?? 'default');
  if (!id.success) throw new ConfigError(`invalid configuration: WABULK_ACCOUNT: ${id.error.issues[0]?.message ?? 'invalid'}`);
  return [id.data];
}
