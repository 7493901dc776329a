import type { CampaignStatus } from '@wabulk/queue';
import { formatStatusLine } from './live-summary.js';

const status = (pauseReason: string | null): CampaignStatus => ({
  campaignId: 'c', account: 'acme', priority: 'normal', total: 10, pending: 5, sent: 0, failed: 5, cancelled: 0,
  state: 'running', startsAt: null, window: null, tz: null, waitingForWindow: 0, delivered: 0, read: 0,
  byCode: { HTTP_404: 5 }, failureReasons: {}, failedAfterSend: 0, failedAfterSendByCode: {}, paused: pauseReason !== null, pauseReason, createdAt: 0, startedAt: null, done: false,
});

test.each([
  ['E110', 'top up'],
  ['HTTP_403', 'check the api-key and the base URL'],
  ['HTTP_401', 'check the api-key and the base URL'],
  ['BREAKER:HTTP_404', 'check the base URL or Kaleyra\'s new code'],
])('a %s pause says what to do', (reason, hint) => {
  const line = formatStatusLine(status(reason));
  expect(line).toContain(`PAUSED (${reason}: `);
  expect(line).toContain(hint);
});

test('other reasons are shown as they are', () => {
  expect(formatStatusLine(status('RBC001'))).toContain('PAUSED (RBC001)');
  expect(formatStatusLine(status(null))).not.toContain('PAUSED');
});
