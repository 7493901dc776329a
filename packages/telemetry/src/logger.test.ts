import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { maskPhone } from './mask.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

test('maskPhone keeps only the last 4 digits', () => {
  expect(maskPhone('+919876543210')).toBe('********3210'.padStart(12, '*'));
  expect(maskPhone('+919876543210').endsWith('3210')).toBe(true);
  expect(maskPhone('+919876543210')).not.toMatch(/9876/);
  expect(maskPhone('12')).toBe('**');
});

test('api keys are redacted and phone numbers masked, at the top level and nested', () => {
  const { lines, logger } = capture();
  logger.child({ account: 'a', to: '+919876543210' }).info({ apiKey: 'sekret-key-123', req: { headers: { 'api-key': 'sekret-key-123' } }, job: { to: '+14155550100' } }, 'sending');
  const out = lines.join('');
  expect(out).not.toContain('sekret-key-123');
  expect(out).not.toContain('9876543210');
  expect(out).not.toContain('4155550100');
  expect(out).toContain('3210');
  expect(out).toContain('0100');
  expect(JSON.parse(lines[0]!).msg).toBe('sending');
});

test('job ids keep the campaign but mask the recipient digits', () => {
  const { lines, logger } = capture();
  logger.child({ jobId: 'diwali-2026-919876543210' }).info('x');
  const line = JSON.parse(lines[0]!);
  expect(line.jobId).toBe('diwali-2026-********3210');
});
