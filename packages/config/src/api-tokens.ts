import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './env.js';
import { ACCOUNT_ID } from './ids.js';

/**
 * API tokens: WABULK_API_TOKENS (full access, comma-separated) and the file named by
 * WABULK_API_TOKENS_FILE, a JSON array of
 * `{"name": "billing", "token": "…", "accounts": ["acme"] | ["*"], "scopes": ["send", "read", "control", "metrics"]}`.
 * No message here ever holds a token's value (nor any other part of the file).
 */

/** What a token may do: send (POST /v1/messages, uploads), read (status, lists, exports), control (pause, resume, cancel, suppressions), metrics (/metrics). */
export const API_SCOPES = ['send', 'read', 'control', 'metrics'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const API_TOKEN_MIN_LENGTH = 16;
export const API_TOKEN_RULE = `must be at least ${API_TOKEN_MIN_LENGTH} printable characters without spaces`;
const isTokenText = (t: string) => t.length >= API_TOKEN_MIN_LENGTH && /^[\x21-\x7e]+$/.test(t);

export const API_TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const apiTokenEntrySchema = z.strictObject(
  {
    name: z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }).regex(API_TOKEN_NAME, 'must be 1-64 letters, digits, _ . or -'),
    token: z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') }).refine(isTokenText, API_TOKEN_RULE),
    accounts: z
      .array(z.string({ error: 'must be a string' }).refine((a) => a === '*' || ACCOUNT_ID.test(a), 'must be an account id (1-32 letters, digits, _ or -) or "*"'), { error: 'must be an array of account ids, or ["*"] for every account' })
      .min(1, 'must list at least one account, or ["*"] for every account')
      .refine((a) => !a.includes('*') || a.length === 1, '"*" (every account) stands alone'),
    scopes: z
      .array(z.enum(API_SCOPES, { error: `must be one of ${API_SCOPES.join(', ')}` }), { error: `must be an array of scopes (${API_SCOPES.join(', ')})` })
      .min(1, `must list at least one scope (${API_SCOPES.join(', ')})`),
  },
  { error: 'must be an object {name, token, accounts, scopes}' },
);

/** One bearer token and what it may do. `accounts: '*'`: every account. */
export interface ApiTokenConfig {
  name: string;
  token: string;
  accounts: '*' | readonly string[];
  scopes: readonly ApiScope[];
}

/** zod's issues as `[index].field: message`, never with an input value. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const [index, ...rest] = i.path;
      const where = index === undefined ? '(file)' : `[${String(index)}]${rest.length > 0 ? '.' + rest.map(String).join('.') : ''}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/** The entries of a token file's text; throws ConfigError naming the entry index and field. */
export function parseApiTokensFile(text: string, what = 'WABULK_API_TOKENS_FILE'): ApiTokenConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // JSON.parse's message quotes the text around the error: only its position is kept.
    const at = /position (\d+)/.exec((err as Error).message);
    throw new ConfigError(`invalid ${what}: not valid JSON${at ? ` (at position ${at[1]})` : ''}`);
  }
  const parsed = z.array(apiTokenEntrySchema, { error: 'must be a JSON array of {name, token, accounts, scopes}' }).min(1, 'must list at least one token').safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid ${what}: ${describeIssues(parsed.error)}`);
  const names = new Map<string, number>();
  const tokens = new Map<string, number>();
  parsed.data.forEach((entry, i) => {
    const sameName = names.get(entry.name);
    if (sameName !== undefined) throw new ConfigError(`invalid ${what}: [${i}].name: "${entry.name}" is also the name of entry [${sameName}]; names must be unique`);
    const sameToken = tokens.get(entry.token);
    if (sameToken !== undefined) throw new ConfigError(`invalid ${what}: [${i}].token: the same token as entry [${sameToken}]; tokens must be unique`);
    names.set(entry.name, i);
    tokens.set(entry.token, i);
  });
  return parsed.data.map((e) => ({ name: e.name, token: e.token, accounts: e.accounts.includes('*') ? '*' : [...new Set(e.accounts)], scopes: [...new Set(e.scopes)] }));
}

/** Reads and checks the file named by WABULK_API_TOKENS_FILE. */
export function loadApiTokensFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ApiTokenConfig[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`WABULK_API_TOKENS_FILE: cannot read ${path}${code ? ` (${code})` : ''}`);
  }
  return parseApiTokensFile(text);
}

/**
 * Every token `wabulk api` accepts: those of WABULK_API_TOKENS (full access: every scope, every
 * account; named by their `tok_` id in logs, `name` undefined here) then those of the file. A token
 * in both is refused (its rights would be ambiguous).
 */
export function loadApiTokens(env: { WABULK_API_TOKENS?: readonly string[]; WABULK_API_TOKENS_FILE?: string }, readFile?: (path: string) => string): Array<string | ApiTokenConfig> {
  const plain = env.WABULK_API_TOKENS ?? [];
  const file = env.WABULK_API_TOKENS_FILE === undefined ? [] : loadApiTokensFile(env.WABULK_API_TOKENS_FILE, readFile);
  if (plain.length === 0 && file.length === 0) throw new ConfigError('invalid configuration: WABULK_API_TOKENS or WABULK_API_TOKENS_FILE must be set');
  const inFile = file.findIndex((e) => plain.includes(e.token));
  if (inFile >= 0) throw new ConfigError(`invalid WABULK_API_TOKENS_FILE: [${inFile}].token: also listed in WABULK_API_TOKENS; give each token once`);
  return [...plain, ...file];
}
