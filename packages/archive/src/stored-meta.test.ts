import type { CampaignMeta } from '@wabulk/queue';
import { splitStoredMeta, storedMeta } from './stored-meta.js';

const meta: CampaignMeta = { account: 'acme', body: 'Hi {{name}}', priority: 'normal', createdAt: 1000, vars: ['name'] };

test('the meta column holds the meta and the reasons; read back, they come apart again', () => {
  const stored = JSON.parse(storedMeta(meta, { WA400: 'Invalid parameter' })) as CampaignMeta & { failureReasons?: unknown };
  expect(stored).toEqual({ ...meta, failureReasons: { WA400: 'Invalid parameter' } });
  expect(splitStoredMeta(stored)).toEqual({ meta, failureReasons: { WA400: 'Invalid parameter' } });
});

test('no reasons: the meta as before; a row archived before reasons were kept reads as none', () => {
  expect(storedMeta(meta, {})).toBe(JSON.stringify(meta));
  expect(splitStoredMeta({ ...meta })).toEqual({ meta, failureReasons: {} });
  // Anything but text is left out.
  expect(splitStoredMeta({ ...meta, failureReasons: { A: 1, B: '', C: 'ok' } })).toEqual({ meta, failureReasons: { C: 'ok' } });
  expect(splitStoredMeta({ ...meta, failureReasons: 'x' }).failureReasons).toEqual({});
});

test('Kaleyra\'s reason text is made storable for jsonb (NUL and lone surrogates become U+FFFD); the meta is left as it is', () => {
  const stored = JSON.parse(storedMeta(meta, { WA500: 'bad\u0000byte \ud800 end', E110: 'fine 😀' })) as { failureReasons: Record<string, string> };
  expect(stored.failureReasons).toEqual({ WA500: 'bad\uFFFDbyte \uFFFD end', E110: 'fine 😀' });
  expect(storedMeta({ ...meta, body: 'x\u0000' }, { A: 'y' })).toContain('x\\u0000');
});
