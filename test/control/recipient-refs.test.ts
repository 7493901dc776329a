import { pauseCampaign, Producer, resumeCampaign, type SourceRow } from '@wabulk/queue';
import { startApi, type ApiHarness } from '../api/api-harness.js';

// Per-recipient refs (ref/ref1/ref2 from the import's rows) are kept in the ledger entry (`x`), so
// the jobs a resume or a retry-failed re-creates carry them again. Real Redis, no worker.

let h: ApiHarness;
let producer: Producer;
beforeEach(async () => {
  h = await startApi();
  producer = new Producer(h.ctx, { knownAccounts: ['acme'] });
});
afterEach(async () => h.close());

const numbers = (n: number, start = 0) => Array.from({ length: n }, (_, i) => `+9198${String(start + i).padStart(8, '0')}`);
const jobsOf = async (campaignId: string) => (await h.ctx.queues.get('acme').getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.data.c === campaignId);
const recipientsKey = (id: string) => `${h.base}:campaign:{${id}}:recipients`;

/** Every third row without refs, the others with one, two or three. */
function rows(n: number, start = 0): SourceRow[] {
  return numbers(n, start).map((to, i): SourceRow => {
    if (i % 3 === 0) return { to };
    if (i % 3 === 1) return { to, ref: `a${i}` };
    return { to, ref: `a${i}`, ref1: `b${i}`, ref2: `c${i}` };
  });
}
const expectedRefs = (i: number) => (i % 3 === 0 ? {} : i % 3 === 1 ? { r: `a${i}` } : { r: `a${i}`, r1: `b${i}`, r2: `c${i}` });
const refsOfJob = (d: { r?: string; r1?: string; r2?: string }) => Object.fromEntries(Object.entries({ r: d.r, r1: d.r1, r2: d.r2 }).filter(([, v]) => v !== undefined));

test('paused and resumed: the re-created jobs carry each recipient\'s own refs; counters are unchanged', async () => {
  await producer.enqueueCampaign({ account: 'acme', campaignId: 'rf1', body: 'hi', ref: 'campaign-ref', recipients: rows(30), chunkSize: 7 });
  const first = await jobsOf('rf1');
  expect(first).toHaveLength(30);
  const all = numbers(30);
  for (const j of first) expect(refsOfJob(j.data)).toEqual(expectedRefs(all.indexOf(j.data.to)));
  // The ledger has them (only on the entries with refs); entries without refs are as before.
  expect((await h.ctx.ledger.get('rf1', all[2]!))?.refs).toEqual({ ref: 'a2', ref1: 'b2', ref2: 'c2' });
  expect((await h.ctx.ledger.get('rf1', all[1]!))?.refs).toEqual({ ref: 'a1' });
  expect((await h.ctx.ledger.get('rf1', all[0]!))?.refs).toBeUndefined();
  expect(await h.redis.hget(recipientsKey('rf1'), all[0]!)).toMatch(/^\{"[st]":[^{}]+\}$/);
  const before = await h.ctx.ledger.counts('rf1');

  await pauseCampaign(h.ctx, 'rf1');
  expect(await jobsOf('rf1')).toHaveLength(0);
  expect(await resumeCampaign(h.ctx, 'rf1')).toMatchObject({ state: 'running', jobs: 30 });
  const again = await jobsOf('rf1');
  expect(again).toHaveLength(30);
  for (const j of again) expect(refsOfJob(j.data)).toEqual(expectedRefs(all.indexOf(j.data.to)));
  expect(await h.ctx.ledger.counts('rf1')).toEqual(before);
  expect(before).toMatchObject({ total: 30, pending: 30 });
});

test('a re-run import with other refs keeps the first refs of a registered recipient', async () => {
  await producer.enqueueCampaign({ account: 'acme', campaignId: 'rf2', body: 'hi', recipients: [{ to: numbers(1)[0]!, ref: 'first' }] });
  const again = await producer.enqueueCampaign({ account: 'acme', campaignId: 'rf2', body: 'hi', recipients: [{ to: numbers(1)[0]!, ref: 'second' }] });
  expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
  expect((await h.ctx.ledger.get('rf2', numbers(1)[0]!))?.refs).toEqual({ ref: 'first' });
  expect(await h.ctx.ledger.counts('rf2')).toMatchObject({ total: 1, pending: 1 });
});

test('refs survive RECORD (sent, failed), delivery updates, cancel; retryFailed\'s new job carries them; counters as without refs', async () => {
  await producer.enqueueCampaign({ account: 'acme', campaignId: 'rf3', body: 'hi', recipients: rows(6) });
  const [a, b, c, d, e, f] = numbers(6);
  const ledger = h.ctx.ledger;
  const now = Date.now();
  // b: sent → delivered → read; c: failed → retried; e: failed-after-send; f: cancelled; d: failed, retried without refs.
  await ledger.record('rf3', b!, { status: 'sent', messageId: 'M2', code: 'WA202', attempts: 1, updatedAt: now });
  expect((await ledger.get('rf3', b!))?.refs).toEqual({ ref: 'a1' });
  await ledger.deliver('rf3', b!, { status: 'delivered', at: now + 1 });
  await ledger.deliver('rf3', b!, { status: 'read', at: now + 2 });
  expect(await ledger.get('rf3', b!)).toMatchObject({ status: 'read', messageId: 'M2', refs: { ref: 'a1' } });
  await ledger.record('rf3', c!, { status: 'failed', code: 'WA500', reason: 'boom', attempts: 4, updatedAt: now });
  expect(await ledger.get('rf3', c!)).toMatchObject({ status: 'failed', code: 'WA500', refs: { ref: 'a2', ref1: 'b2', ref2: 'c2' } });
  await ledger.record('rf3', d!, { status: 'failed', code: 'WA500', reason: 'boom', attempts: 4, updatedAt: now });
  await ledger.record('rf3', e!, { status: 'sent', messageId: 'M5', attempts: 1, updatedAt: now });
  await ledger.deliver('rf3', e!, { status: 'failed-after-send', code: '131026', reason: 'undeliverable', at: now + 1 });
  expect(await ledger.get('rf3', e!)).toMatchObject({ status: 'failed-after-send', code: '131026', refs: { ref: 'a4' } });
  expect(await ledger.cancelPending('rf3', [f!])).toBe(1);
  expect(await ledger.get('rf3', f!)).toMatchObject({ status: 'cancelled', refs: { ref: 'a5', ref1: 'b5', ref2: 'c5' } });
  expect(await ledger.counts('rf3')).toMatchObject({ total: 6, pending: 1, sent: 0, read: 1, failed: 2, cancelled: 1, failedAfterSend: 1, byCode: { WA500: 2 }, failedAfterSendByCode: { '131026': 1 } });

  // The jobs of the import are done (a worker would have removed them): drop them, then retry.
  await h.ctx.queues.get('acme').obliterate({ force: true });
  expect(await producer.retryFailed('rf3')).toEqual({ requeued: 2 });
  const jobs = await jobsOf('rf3');
  expect(Object.fromEntries(jobs.map((j) => [j.data.to, refsOfJob(j.data)]))).toEqual({ [c!]: { r: 'a2', r1: 'b2', r2: 'c2' }, [d!]: {} });
  expect(await ledger.get('rf3', c!)).toMatchObject({ status: 'pending', refs: { ref: 'a2', ref1: 'b2', ref2: 'c2' } });
  expect((await ledger.get('rf3', d!))?.refs).toBeUndefined();
  expect(await ledger.counts('rf3')).toMatchObject({ total: 6, pending: 3, failed: 0, byCode: {} });
  expect(a).toBeDefined();
});

test('memory: ledger bytes per recipient with three short refs, and without (entries unchanged)', async () => {
  const n = 2000;
  await producer.enqueueCampaign({ account: 'acme', campaignId: 'mem-none', body: 'hi', recipients: numbers(n).map((to) => ({ to })) });
  await producer.enqueueCampaign({ account: 'acme', campaignId: 'mem-refs', body: 'hi', recipients: numbers(n).map((to, i) => ({ to, ref: `o${i}`, ref1: 'shop-12', ref2: 'lot-7' })) });
  const bytes = async (id: string) => Number(await h.redis.call('MEMORY', 'USAGE', recipientsKey(id), 'SAMPLES', '0')) / n;
  const none = await bytes('mem-none');
  const refs = await bytes('mem-refs');
  // Without refs the entry is what it always was: {"s":"pending","t":<ms>} (key order is cjson's).
  const raw = JSON.parse((await h.redis.hget(recipientsKey('mem-none'), numbers(1)[0]!))!) as Record<string, unknown>;
  expect(Object.keys(raw).sort()).toEqual(['s', 't']);
  console.log(`ledger bytes per recipient: without refs ${none.toFixed(1)}, with three short refs ${refs.toFixed(1)} (+${(refs - none).toFixed(1)})`);
  expect(refs).toBeGreaterThan(none);
});

test('a ref with a lone UTF-16 surrogate (found by the fuzz suite) is refused at intake, alone and named (PostgreSQL could not archive it); a ref with escape-like text and a control character is kept as given through record, retry, pause and resume', async () => {
  const [lone, odd] = numbers(2, 900);
  const r = await producer.enqueueCampaign({ account: 'acme', campaignId: 'rf-lone', body: 'hi', recipients: [{ to: lone!, ref: 'a\udfffb' }, { to: odd!, ref: 'a\ufffdb', ref1: 'c\\u\u0007"' }] });
  expect(r).toMatchObject({ accepted: 1, rejected: [{ input: lone, reason: 'ref: must not contain U+0000 (NUL) or unpaired surrogates' }], rejectedByReason: { 'text not storable': 1 } });
  expect(await h.ctx.ledger.get('rf-lone', lone!)).toBeUndefined();
  expect((await h.ctx.ledger.get('rf-lone', odd!))?.refs).toEqual({ ref: 'a\ufffdb', ref1: 'c\\u\u0007"' });
  await h.ctx.ledger.record('rf-lone', odd!, { status: 'failed', code: 'WA500', reason: 'x', attempts: 4, updatedAt: 1 });
  expect((await h.ctx.ledger.get('rf-lone', odd!))?.refs).toEqual({ ref: 'a\ufffdb', ref1: 'c\\u\u0007"' });
  expect(await producer.retryFailed('rf-lone')).toEqual({ requeued: 1 });
  await pauseCampaign(h.ctx, 'rf-lone');
  await resumeCampaign(h.ctx, 'rf-lone');
  expect((await jobsOf('rf-lone')).map((j) => refsOfJob(j.data))).toEqual([{ r: 'a\ufffdb', r1: 'c\\u\u0007"' }]);
});
