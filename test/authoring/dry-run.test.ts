import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSuppressions, type SourceRow } from '@wabulk/queue';
import { bearer, json, startApi } from '../api/api-harness.js';
import { cliEnv, killAllClis, onlyJson, runCli } from '../support/proc-cli.js';
import { numbers, startStack, type Stack } from '../support/stack.js';
import { snapshotKeys } from './authoring-support.js';

// A dry run answers what a real run would do (accepted, duplicates, including numbers an existing
// campaign holds, rejections by reason, suppressed, three rendered samples) and writes nothing:
// every key of the test's prefix is byte-for-byte the same before and after, for the producer,
// the CLI (JSON and text) and the API.

let s: Stack | undefined;
afterEach(async () => {
  await killAllClis();
  await s?.close();
  s = undefined;
});

const BODY = 'Hi {{name}}, your code is {{code|none}}';

/** n0, n1 in the existing campaigns; n5 on the global list, n6 on acme's. */
async function setup(st: Stack) {
  const n = numbers(10, 5000);
  await st.producer.enqueueCampaign({ campaignId: 'dr', body: BODY, recipients: [{ to: n[0], vars: { name: 'Old0' } }, { to: n[1], vars: { name: 'Old1' } }] });
  await st.producer.enqueueText({ campaignId: 'drc', to: [n[0]!, n[1]!], body: 'Hello {{name|there}}' });
  await addSuppressions(st.ctx, 'global', [n[5]!]);
  await addSuppressions(st.ctx, { account: 'acme' }, [n[6]!]);
  return n as [string, string, string, string, string, string, string, string, string, string];
}

test('producer: counts, samples of accepted recipients, nothing written', async () => {
  const st = (s = await startStack());
  const n = await setup(st);
  const before = await snapshotKeys(st.redis, st.base);
  expect(Object.keys(before).length).toBeGreaterThan(0);

  // Suppressed and already-queued rows come first: they are no samples (they would get no text).
  const rows: SourceRow[] = [
    { line: 2, to: n[5], vars: { name: 'Sup-global' } },
    { line: 3, to: n[0], vars: { name: 'Again' } }, // already in the campaign
    { line: 4, to: n[6], vars: { name: 'Sup-acme' } },
    { line: 5, to: n[2], vars: { name: 'Ana', code: '11' } },
    { line: 6, to: 'bogus', vars: { name: 'B' } },
    { line: 7, to: n[3], vars: { name: 'Bo' } }, // fallback
    { line: 8, to: n[2], vars: { name: 'Ana', code: '11' } }, // repeated in this import
    { line: 9, to: n[7], vars: { name: '' } }, // empty {{name}}
    { line: 10, to: n[4], vars: { name: 'Çağla 🌙', code: '{{code}}' } },
    { line: 11, to: n[8], vars: { name: 'Fourth' } },
  ];
  const r = await st.producer.enqueueCampaign({ campaignId: 'dr', body: BODY, dryRun: true, recipients: rows });
  expect(r).toMatchObject({ dryRun: true, read: 10, accepted: 4, duplicates: 2, suppressed: 2, rejectedTotal: 4 });
  expect(r.rejectedByReason).toEqual({ suppressed: 2, 'not a phone number': 1, 'empty placeholder': 1 });
  expect(r.samples).toEqual([
    { to: n[2], text: 'Hi Ana, your code is 11' },
    { to: n[3], text: 'Hi Bo, your code is none' },
    { to: n[4], text: 'Hi Çağla 🌙, your code is {{code}}' },
  ]);
  // A new campaign id: nothing of it is created either.
  const fresh = await st.producer.enqueueText({ campaignId: 'dr-new', to: [{ to: n[5], variables: { name: 'S' } }, { to: n[2], variables: { name: 'Z' } }], body: BODY, dryRun: true });
  expect(fresh).toMatchObject({ dryRun: true, accepted: 1, suppressed: 1, rejectedByReason: { suppressed: 1 }, samples: [{ to: n[2], text: 'Hi Z, your code is none' }] });
  expect(await snapshotKeys(st.redis, st.base)).toEqual(before);
});

test('CLI: wabulk send --dry-run --json and text mode, nothing written', async () => {
  const st = (s = await startStack());
  const n = await setup(st);
  const before = await snapshotKeys(st.redis, st.base);
  const to = [n[5], n[0], n[2], n[3], n[6], n[2], 'bogus', n[4], n[8]].join(',');
  const env = cliEnv(st.base, { WABULK_RATE_PER_SECOND: '10' });
  const dir = mkdtempSync(join(tmpdir(), 'wabulk-dry-'));
  const csv = join(dir, 'list.csv');
  // The placeholder's column is there, empty in every row: each row takes the fallback.
  writeFileSync(csv, `to,name\n${n[6]},\n${n[0]},\n${n[2]},\nbogus,\n${n[3]},\n${n[3]},\n${n[9]},\n`);
  const [asJson, asText, fromCsv] = await Promise.all([
    runCli(['send', '--campaign', 'drc', '--to', to, '--body', 'Hello {{name|there}}', '--dry-run', '--json'], { env }),
    runCli(['send', '--campaign', 'drc', '--to', to, '--body', 'Hello {{name|there}}', '--dry-run'], { env }),
    runCli(['send', '--campaign', 'drc', '--csv', csv, '--body', 'Hello {{name|there}}', '--dry-run', '--json'], { env }),
  ]).finally(() => rmSync(dir, { recursive: true, force: true }));
  expect(fromCsv.code).toBe(0);
  expect(onlyJson(fromCsv)).toMatchObject({ dryRun: true, read: 7, accepted: 3, duplicates: 2, suppressed: 1, rejectedTotal: 2, samples: [n[2], n[3], n[9]].map((to) => ({ to, text: 'Hello there' })) });
  expect(asJson.code).toBe(0); // exit 0: something would be sent
  const out = onlyJson<Record<string, unknown>>(asJson);
  expect(out).toMatchObject({ campaignId: 'drc', dryRun: true, accepted: 4, duplicates: 2, suppressed: 2, rejectedByReason: { suppressed: 2, 'not a phone number': 1 } });
  expect(out.samples).toEqual([n[2], n[3], n[4]].map((to) => ({ to, text: 'Hello there' })));
  expect(out.estimate).toMatchObject({ seconds: expect.any(Number) });

  expect(asText.code).toBe(0);
  expect(asText.stdout).toContain('dry run of campaign drc (nothing was written): would accept 4, duplicates 2, rejected 3 (suppressed 2)');
  expect(asText.stdout).toMatch(/rejected by reason: suppressed 2, not a phone number 1/);
  expect(asText.stdout).toContain(`samples:\n  ${n[2]}: "Hello there"\n  ${n[3]}: "Hello there"\n  ${n[4]}: "Hello there"\n`);
  expect(asText.stdout).toMatch(/estimated sending time: /);
  expect(await snapshotKeys(st.redis, st.base)).toEqual(before);
  // A dry run over a new campaign id with every recipient refused: exit 2, still nothing written.
  const none = await runCli(['send', '--campaign', 'drx', '--to', n[5], '--body', 'x', '--dry-run', '--json'], { env });
  expect(none.code).toBe(2);
  expect(await snapshotKeys(st.redis, st.base)).toEqual(before);
});

test('API: dryRun → 200 with counts, samples and estimate, nothing written', async () => {
  const st = (s = await startStack());
  const n = await setup(st);
  const h = await startApi({ base: st.base });
  try {
    const before = await snapshotKeys(st.redis, st.base);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: json(),
      payload: {
        campaignId: 'dr',
        body: BODY,
        dryRun: true,
        variables: { code: 'C' },
        to: [{ to: n[6], variables: { name: 'Sup' } }, { to: n[1], variables: { name: 'Dup' } }, { to: n[2], variables: { name: 'Ana' } }, 'bogus', { to: n[7], variables: { name: '' } }, { to: n[3], variables: { name: 'Bo', code: '9' } }, { to: n[4], variables: { name: 'Cy' } }, { to: n[8], variables: { name: 'Di' } }],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ campaignId: 'dr', dryRun: true, accepted: 4, duplicates: 1, suppressed: 1, rejectedByReason: { suppressed: 1, 'not a phone number': 1, 'empty placeholder': 1 } });
    expect(body.samples).toEqual([
      { to: n[2], text: 'Hi Ana, your code is C' },
      { to: n[3], text: 'Hi Bo, your code is 9' },
      { to: n[4], text: 'Hi Cy, your code is C' },
    ]);
    expect(body.estimate).toMatchObject({ seconds: expect.any(Number), ratePerSecond: expect.any(Number) });
    expect(await snapshotKeys(st.redis, st.base)).toEqual(before);
  } finally {
    await h.close();
  }
});

test('API upload: POST /v1/campaigns?dryRun=true → 200 with counts, samples and estimate, nothing written', async () => {
  const st = (s = await startStack());
  const n = await setup(st);
  const h = await startApi({ base: st.base });
  try {
    const before = await snapshotKeys(st.redis, st.base);
    const csv = `to,ref,name\n${n[5]},a,\n${n[0]},b,\n${n[2]},c,\nbogus,d,\n${n[3]},e,\n${n[4]},f,\n${n[4]},g,\n`;
    for (const campaignId of ['drc', 'upload-new']) {
      const res = await h.app.inject({ method: 'POST', url: `/v1/campaigns?campaignId=${campaignId}&dryRun=true&body=${encodeURIComponent('Hello {{name|there}}')}`, headers: { ...bearer(), 'content-type': 'text/csv' }, payload: csv });
      expect(res.statusCode).toBe(200);
      const existing = campaignId === 'drc' ? 1 : 0;
      expect(res.json()).toMatchObject({ dryRun: true, read: 7, accepted: 4 - existing, duplicates: 1 + existing, suppressed: 1, rejectedTotal: 2, rejectedByReason: { suppressed: 1, 'not a phone number': 1 }, estimate: { seconds: expect.any(Number) } });
      expect(res.json().samples).toEqual((existing ? [n[2], n[3], n[4]] : [n[0], n[2], n[3]]).map((to) => ({ to, text: 'Hello there' })));
    }
    expect(await snapshotKeys(st.redis, st.base)).toEqual(before);
  } finally {
    await h.close();
  }
});
