import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { startSimulator, type Simulator } from '@wabulk/kaleyra-sim';
import {
  CampaignConflictError, createQueueContext, createRedis, Producer, readCsvRecipients, readNdjsonRecipients, SourceError, ValidationError,
  waitForReady, type QueueContext,
} from '@wabulk/queue';
import { createLogger, createMetrics } from '@wabulk/telemetry';
import { startWorker, type RunningWorker } from '@wabulk/worker';
import type { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, uniqueBase } from '../support/redis.js';
import { API_KEY, SENDER, SID } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { FUZZ_ACCOUNTS, messageCase, type MessageCase } from './gen-request.js';
import { csvCase, ndjsonCase } from './gen-source.js';
import { MessageOracle, type Outcome } from './oracle.js';
import { fuzzSettings, preview, Rng } from './prng.js';
import { judgeSource, type SourceOutcome } from './source-oracle.js';

// Scenario 7, library side: random inputs straight into @wabulk/queue's Producer (as other Node
// services call it), then a worker sends what was accepted. Properties: no crash; every call either
// names the broken fields or accounts for every recipient; the ledger and queues hold exactly what
// was accepted; every accepted recipient ends sent (with a message_id) or failed with a code and a reason.

const { cases, seed } = fuzzSettings(300);
let redis: Redis;
let base: string;
let ctx: QueueContext;
let sim: Simulator | undefined;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  redis = createRedis(REDIS_URL, 'producer');
  await waitForReady(redis);
  base = uniqueBase('fuzz');
  ctx = createQueueContext({ redis, base });
});

afterAll(async () => {
  await worker?.close();
  await ctx.queues.close();
  await deleteKeys(redis, base);
  redis.disconnect();
  await sim?.close();
});

const producers = () => ({
  none: new Producer(ctx, { defaultAccount: 'acme', knownAccounts: FUZZ_ACCOUNTS }),
  IN: new Producer(ctx, { defaultAccount: 'acme', knownAccounts: FUZZ_ACCOUNTS, defaultCountry: 'IN' }),
});

async function enqueue(producer: Producer, input: unknown): Promise<Outcome> {
  try {
    return { kind: 'ok', result: await producer.enqueueText(input as never) };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: 'invalid', fields: err.issues.map((i) => i.field), messages: err.issues.map((i) => i.message) };
    if (err instanceof CampaignConflictError) return { kind: 'conflict' };
    throw err;
  }
}

/** Half the calls that reuse a campaign id repeat its message, so duplicates across calls happen too. */
function alignWithCampaign(rng: Rng, c: MessageCase, oracle: MessageOracle) {
  const known = c.campaignId === undefined ? undefined : oracle.campaigns.get(c.campaignId);
  if (!known || !rng.chance(0.5) || c.broken.size > 0) return;
  c.input.body = known.body;
  c.input.account = known.account;
  c.input.previewUrl = known.previewUrl;
}

test(`Producer.enqueueText: ${cases} random calls (seed ${seed}) — no crash, counts add up, nothing dropped; a worker then sends each accepted recipient once`, async () => {
  const rng = new Rng(seed);
  const oracle = new MessageOracle('acme');
  const p = producers();
  const pool: string[] = [];
  const reuse: string[] = [];
  for (let i = 0; i < cases; i++) {
    const r = rng.fork(i);
    const country = r.chance(0.5) ? ('IN' as const) : undefined;
    const c = messageCase(r, { defaultCountry: country, pool, reuse, newCampaignId: () => `fz-${i}` });
    alignWithCampaign(r, c, oracle);
    if (c.campaignId !== undefined && !reuse.includes(c.campaignId)) reuse.push(c.campaignId);
    try {
      oracle.judge(`case ${i} (WABULK_FUZZ_SEED=${seed}, default country ${country ?? 'none'})`, c, await enqueue(p[country ?? 'none'], c.input));
    } catch (err) {
      oracle.problems.push(`case ${i}: CRASH ${(err as Error).name}: ${(err as Error).message}\n  input: ${preview(c.input)}`);
    }
  }
  await oracle.verifyStore(ctx);
  expect(oracle.problems).toEqual([]);
  // The fuzz reaches every path: calls accepted, refused, and recipients of each kind.
  expect(oracle.tally.ok).toBeGreaterThan(cases / 4);
  expect(oracle.tally.invalid).toBeGreaterThan(cases / 10);
  expect(oracle.tally.accepted * oracle.tally.rejected * oracle.tally.duplicates).toBeGreaterThan(0);

  // Send what was accepted: every recipient ends sent with the simulator's message_id, or failed with a code and a reason.
  sim = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER] });
  worker = await startWorker({
    redisUrl: REDIS_URL, base, accounts: FUZZ_ACCOUNTS.map((id) => ({ id, sid: SID, apiKey: API_KEY, sender: SENDER, baseUrl: sim!.url })),
    concurrency: 50, ratePerSecond: 100_000, retryDelaysMs: [5, 10], logger: createLogger({ level: 'silent', destination: process.stderr }),
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
  });
  const campaigns = [...oracle.campaigns.keys()];
  await waitFor(async () => (await Promise.all(campaigns.map((id) => ctx.ledger.counts(id)))).every((n) => n.pending === 0), { timeoutMs: 60_000, what: 'every fuzz campaign sent' });
  const sentTo = new Map(sim.messages().map((m) => [`+${m.to.replace(/^\+/, '')}`, m.message_id]));
  const bad: string[] = [];
  let sent = 0;
  for (const id of campaigns) {
    for await (const row of ctx.ledger.rows(id)) {
      if (row.status === 'sent' && row.messageId && sentTo.has(row.to)) sent++;
      else bad.push(`${id} ${row.to}: ${JSON.stringify(row)}`);
    }
  }
  expect(bad).toEqual([]);
  expect(sent).toBeGreaterThan(0);
  expect(sim.stats().messages).toBe(sent);
  await worker.close();
  worker = undefined;
});

test(`campaign files: ${Math.ceil(cases / 3)} random CSV and NDJSON files (seed ${seed}) — read whole or refused with a line, counts add up`, async () => {
  const rng = new Rng(seed ^ 0xc5f);
  const p = producers();
  const pool: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < Math.ceil(cases / 3); i++) {
    const r = rng.fork(i);
    const country = r.chance(0.5) ? ('IN' as const) : undefined;
    const c = r.chance(0.6) ? csvCase(r, country, pool) : ndjsonCase(r, country, pool);
    const account = r.pick(FUZZ_ACCOUNTS);
    const campaignId = `src-${i}`;
    // Delivered in random chunks: a multi-byte character may be split between two.
    const chunks: Buffer[] = [];
    for (let at = 0; at < c.bytes.length; ) {
      const n = r.int(1, 64);
      chunks.push(c.bytes.subarray(at, at + n));
      at += n;
    }
    const input = Readable.from(chunks);
    let outcome: SourceOutcome;
    try {
      const recipients = c.format === 'csv' ? readCsvRecipients(input) : readNdjsonRecipients(input);
      outcome = { kind: 'ok', result: await p[country ?? 'none'].enqueueCampaign({ campaignId, account, body: `file ${i}`, recipients, chunkSize: r.int(1, 300) }) };
    } catch (err) {
      if (!(err instanceof SourceError)) {
        problems.push(`file ${i} (WABULK_FUZZ_SEED=${seed}) [${c.format} ${c.note}]: CRASH ${(err as Error).name}: ${(err as Error).message}\n  file: ${preview(c.bytes)}`);
        continue;
      }
      outcome = { kind: 'unusable', message: err.message, line: err.line };
    }
    problems.push(...(await judgeSource(`file ${i} (WABULK_FUZZ_SEED=${seed})`, c, outcome, campaignId, ctx, account)));
  }
  expect(problems).toEqual([]);
});
