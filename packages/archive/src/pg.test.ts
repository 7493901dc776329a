import { ArchiveUnavailableError } from '@wabulk/queue';
import { describeArchiveUrl, isUnavailable, unavailable } from './pg.js';

test('describeArchiveUrl: the server and database, never the password', () => {
  expect(describeArchiveUrl('postgres://wabulk:S3cret%21@db.internal:5432/wabulk')).toBe('postgres://wabulk@db.internal:5432/wabulk');
  expect(describeArchiveUrl('postgresql://db/wabulk')).toBe('postgresql://db/wabulk');
  expect(describeArchiveUrl('not a url')).toBe('(an invalid PostgreSQL URL)');
});

test('connection failures become ArchiveUnavailableError (503); a query PostgreSQL refused stays what it is', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' });
  expect(isUnavailable(refused)).toBe(true);
  expect(isUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
  expect(isUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  // the server out of resources is PostgreSQL's state, not a campaign's fault: the pass waits, no campaign is backed off
  expect(isUnavailable(Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }))).toBe(true);
  expect(isUnavailable(Object.assign(new Error('out of memory'), { code: '53200' }))).toBe(true);
  // a campaign's own data PostgreSQL refuses stays the campaign's (backed off alone)
  expect(isUnavailable(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(false);
  expect(isUnavailable(Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' }))).toBe(false);
  expect(() => unavailable(refused, 'postgres://u@db:5432/x')).toThrow(ArchiveUnavailableError);
  expect(() => unavailable(refused, 'postgres://u@db:5432/x')).toThrow('the campaign archive (PostgreSQL at postgres://u@db:5432/x) is unavailable: connect ECONNREFUSED 127.0.0.1:5999');
  const bug = new Error('column "nope" does not exist');
  expect(() => unavailable(bug, 'x')).toThrow(bug);
});
