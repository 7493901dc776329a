import type { Cluster, Redis } from 'ioredis';
import { campaignKeys } from './keys.js';
import { RECORD, REGISTER, RESET_FAILED } from './ledger-scripts.js';

export type RedisClient = Redis | Cluster;
export type RecipientStatus = 'pending' | 'sent' | 'failed' | 'delivered' | 'read';

/** One recipient of a campaign, as the ledger records it. */
export interface LedgerEntry {
  status: RecipientStatus;
  messageId?: string;
  code?: string;
  reason?: string;
  attempts?: number;
  updatedAt: number;
}

export interface LedgerRow extends LedgerEntry {
  to: string;
}

export interface CampaignCounts {
  total: number;
  pending: number;
  sent: number;
  failed: number;
  delivered: number;
  read: number;
  /** Failed recipients by Kaleyra code. */
  byCode: Record<string, number>;
}

interface Packed { s: RecipientStatus; m?: string; c?: string; r?: string; a?: number; t: number }

const pack = (e: LedgerEntry): string =>
  JSON.stringify({ s: e.status, m: e.messageId, c: e.code, r: e.reason?.slice(0, 500), a: e.attempts, t: e.updatedAt } satisfies Packed);

function unpack(to: string, raw: string): LedgerRow {
  const p = JSON.parse(raw) as Packed;
  return { to, status: p.s, messageId: p.m, code: p.c, reason: p.r, attempts: p.a, updatedAt: p.t };
}

type Scripted = RedisClient & {
  wabulkRegister(k1: string, k2: string, ...argv: string[]): Promise<string[]>;
  wabulkRecord(k1: string, k2: string, to: string, entry: string): Promise<[string, string]>;
  wabulkResetFailed(k1: string, k2: string, ...argv: string[]): Promise<string[]>;
};

function withScripts(redis: RedisClient): Scripted {
  const r = redis as Scripted;
  if (typeof r.wabulkRegister !== 'function') {
    redis.defineCommand('wabulkRegister', { numberOfKeys: 2, lua: REGISTER });
    redis.defineCommand('wabulkRecord', { numberOfKeys: 2, lua: RECORD });
    redis.defineCommand('wabulkResetFailed', { numberOfKeys: 2, lua: RESET_FAILED });
  }
  return r;
}

/**
 * The record of every recipient of every campaign: pending → sent (with message_id) | failed (with
 * code and reason). The ledger, not BullMQ, is the record: completed jobs are removed, entries stay.
 */
export class Ledger {
  readonly #redis: Scripted;
  readonly #base: string;

  constructor(redis: RedisClient, base: string) {
    this.#redis = withScripts(redis);
    this.#base = base;
  }

  /** Creates pending entries for new numbers; returns, per number, 'new' or the status it already had. */
  async register(campaignId: string, numbers: readonly string[], now = Date.now()): Promise<Array<'new' | RecipientStatus>> {
    if (numbers.length === 0) return [];
    const k = campaignKeys(this.#base, campaignId);
    return (await this.#redis.wabulkRegister(k.recipients, k.counts, String(now), ...numbers)) as Array<'new' | RecipientStatus>;
  }

  /**
   * Records an outcome. Never moves a sent recipient back; a second 'sent' keeps the first
   * message_id. Returns the status and message id the entry holds afterwards.
   */
  async record(campaignId: string, to: string, entry: LedgerEntry): Promise<{ status: RecipientStatus; messageId?: string }> {
    const k = campaignKeys(this.#base, campaignId);
    const [status, messageId] = await this.#redis.wabulkRecord(k.recipients, k.counts, to, pack(entry));
    return { status: status as RecipientStatus, messageId: messageId || undefined };
  }

  async get(campaignId: string, to: string): Promise<LedgerRow | undefined> {
    const raw = await this.#redis.hget(campaignKeys(this.#base, campaignId).recipients, to);
    return raw === null ? undefined : unpack(to, raw);
  }

  /** Failed → pending for the numbers given (only those whose code is in `codes`, when given). */
  async resetFailed(campaignId: string, numbers: readonly string[], codes: readonly string[] = [], now = Date.now()): Promise<string[]> {
    if (numbers.length === 0) return [];
    const k = campaignKeys(this.#base, campaignId);
    return this.#redis.wabulkResetFailed(k.recipients, k.counts, String(now), codes.join(','), ...numbers);
  }

  /** Counters kept beside the entries: reading them never scans the campaign. */
  async counts(campaignId: string): Promise<CampaignCounts> {
    const raw = await this.#redis.hgetall(campaignKeys(this.#base, campaignId).counts);
    const n = (f: string) => Math.max(0, Number(raw[f] ?? 0));
    const byCode: Record<string, number> = {};
    for (const [field, value] of Object.entries(raw)) {
      if (field.startsWith('code:') && Number(value) > 0) byCode[field.slice(5)] = Number(value);
    }
    return { total: n('total'), pending: n('pending'), sent: n('sent'), failed: n('failed'), delivered: n('delivered'), read: n('read'), byCode };
  }

  /** Every entry of a campaign, streamed with HSCAN (order is Redis's, each entry once or more rarely twice during rehash: callers that need exactness dedupe). */
  async *rows(campaignId: string, batch = 1000): AsyncGenerator<LedgerRow> {
    const key = campaignKeys(this.#base, campaignId).recipients;
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(key, cursor, 'COUNT', batch);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) yield unpack(flat[i]!, flat[i + 1]!);
    } while (cursor !== '0');
  }
}
