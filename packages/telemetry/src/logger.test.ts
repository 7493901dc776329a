import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { maskPhone } from './mask.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

test('maskPhone keeps only the last 4 digits', () => {
  // 12 digits (the '+' is dropped): 8 stars, then the last 4.
  expect(maskPhone('+919876543210')).toBe('********3210');
  expect(maskPhone('+91 98765-43210')).toBe('********3210');
  expect(maskPhone('+14155550100')).toBe('*******0100');
  // 4 digits or fewer: all masked, nothing kept.
  expect(maskPhone('3210')).toBe('****');
  expect(maskPhone('12')).toBe('**');
});

test('api keys are redacted and phone numbers masked, at the top level and nested', () => {
  const { lines, logger } = capture();
  logger.child({ account: 'a', to: '+919876543210' }).info({ apiKey: 'sekret-key-123', req: { headers: { 'api-key': 'sekret-key-123' } }, job: { to: '+14155550100' } }, 'sending');
  const out = lines.join('');
  expect(out).not.toContain('sekret-key-123');
  expect(out).not.toContain('9876543210');
  expect(out).not.toContain('4155550100');
  expect(JSON.parse(lines[0]!)).toMatchObject({
    msg: 'sending',
    account: 'a',
    to: '********3210',
    apiKey: '[redacted]',
    req: { headers: { 'api-key': '[redacted]' } },
    job: { to: '*******0100' },
  });
});

test('job ids keep the campaign but mask the recipient digits', () => {
  const { lines, logger } = capture();
  logger.child({ jobId: 'diwali-2026-919876543210' }).info('x');
  const line = JSON.parse(lines[0]!);
  expect(line.jobId).toBe('diwali-2026-********3210');
});
