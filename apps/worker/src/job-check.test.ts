import { sendJobSchema } from '@wabulk/queue';
import { readSendJob } from './job-check.js';

// The hand check must answer what sendJobSchema answers: accept what it accepts, refuse what it refuses.
const cases: unknown[] = [
  { c: 'camp', to: '+14155550100' },
  { c: 'camp', to: '+14155550100', r: 'a', r1: 'b', r2: '', v: ['x', ''], w: 1, we: 2, sc: 0 },
  { c: 'camp', to: '+14155550100', w: 0, extra: 'kept or stripped, never read' },
  { c: '', to: '+14155550100' },
  { c: 'camp', to: '14155550100' },
  { c: 'camp', to: '+0415555010' },
  { c: 'camp', to: '+123456' },
  { c: 'camp', to: '+1234567890123456' },
  { c: 'camp', to: '+1415555O100' },
  { c: 'camp' },
  { to: '+14155550100' },
  { c: 7, to: '+14155550100' },
  { c: 'camp', to: '+14155550100', r: 5 },
  { c: 'camp', to: '+14155550100', r1: null },
  { c: 'camp', to: '+14155550100', v: 'x' },
  { c: 'camp', to: '+14155550100', v: ['x', 1] },
  { c: 'camp', to: '+14155550100', v: [] },
  { c: 'camp', to: '+14155550100', w: 2 },
  { c: 'camp', to: '+14155550100', w: 0.5 },
  { c: 'camp', to: '+14155550100', we: -1 },
  { c: 'camp', to: '+14155550100', sc: '1' },
  { c: 'camp', to: '+14155550100', sc: Number.MAX_SAFE_INTEGER + 2 },
  null,
  'camp',
  [],
  42,
];

test.each(cases.map((data) => [JSON.stringify(data) ?? String(data), data]))('readSendJob agrees with sendJobSchema: %s', (_name, data) => {
  const zod = sendJobSchema.safeParse(data);
  const mine = readSendJob(data);
  expect(mine !== undefined).toBe(zod.success);
  if (zod.success) {
    // The fields the processor reads are the schema's values.
    for (const key of ['c', 'to', 'r', 'r1', 'r2', 'v', 'w', 'we', 'sc'] as const) expect(mine?.[key]).toEqual(zod.data[key]);
  }
});
