import type { Outcome } from './oracle.js';
import { preview } from './prng.js';

/** What this file reads of an `inject()` answer. */
export interface InjectResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
  json(): any;
}

/**
 * The API's side of the properties: every answer is JSON with a status the API documents, never a
 * 5xx while Redis answers (503 only when it does not), and every refusal says why: `issues` naming
 * fields, or a `message` naming the rule.
 */
// 414: fastify's router refuses a path parameter over 100 characters (every valid id is shorter) with its own JSON body.
export const DOCUMENTED = new Set([200, 202, 400, 401, 404, 409, 413, 414, 415, 422]);

export function answerProblems(label: string, res: InjectResponse, options: { redisDown?: boolean; allowed?: readonly number[] } = {}): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${label}: ${what} — ${res.statusCode} ${preview(res.body, 400)}`);
  const allowed = new Set(options.allowed ?? [...DOCUMENTED, ...(options.redisDown ? [503] : [])]);
  if (!allowed.has(res.statusCode)) fail(`status ${res.statusCode} is not one of ${[...allowed].join(', ')}`);
  if (res.statusCode >= 500 && !(options.redisDown && res.statusCode === 503)) fail('a 5xx while Redis answers');
  const type = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : '';
  if (res.statusCode !== 200 && !type.startsWith('application/json')) fail(`answered ${type || 'no content type'}, not JSON`);
  if (res.statusCode >= 400) {
    let body: { error?: unknown; message?: unknown; issues?: Array<{ field?: unknown; message?: unknown }> } = {};
    try {
      body = res.json();
    } catch {
      fail('an error answer that is not JSON');
    }
    if (typeof body.error !== 'string' || body.error === '') fail('an error answer without `error`');
    const hasIssues = Array.isArray(body.issues) && body.issues.length > 0;
    if (!hasIssues && (typeof body.message !== 'string' || body.message.trim() === '')) fail('refused without a reason (no issues, no message)');
    if (hasIssues && body.issues!.some((i) => typeof i.field !== 'string' || i.field === '' || typeof i.message !== 'string' || i.message === '')) fail('an issue without its field or message');
    if (/\bat .+\(.+:\d+:\d+\)|node_modules/.test(res.body)) fail('a stack trace in the answer');
  }
  return problems;
}

/** POST /v1/messages' answer as the oracle's outcome (undefined: not an answer the oracle judges). */
export function messageOutcome(res: InjectResponse): Outcome | undefined {
  if (res.statusCode === 202) return { kind: 'ok', result: res.json() };
  if (res.statusCode === 409 && res.json().error === 'campaign conflict') return { kind: 'conflict' };
  if (res.statusCode === 400) {
    const issues = (res.json().issues ?? []) as Array<{ field: string; message: string }>;
    return { kind: 'invalid', fields: issues.map((i) => i.field), messages: issues.map((i) => i.message) };
  }
  return undefined;
}
