import { selectorsOf, withoutForDurations } from './rule-helpers.js';

test('selectorsOf: metric and recording-rule selectors with their matchers, never a name inside a label value', () => {
  expect(selectorsOf('sum by (account) (rate(wabulk_messages_failed_total[5m])) / sum by (account) (rate({__name__=~"wabulk_messages_(sent|failed)_total"}[5m]))'))
    .toEqual(['wabulk_messages_failed_total', '{__name__=~"wabulk_messages_(sent|failed)_total"}']);
  expect(selectorsOf('account:wabulk_queue_ready_jobs:max > 0 unless on (account) max by (account) (wabulk_account_paused{reason!~"E110|manual"}) == 1'))
    .toEqual(['account:wabulk_queue_ready_jobs:max', 'wabulk_account_paused{reason!~"E110|manual"}']);
  expect(selectorsOf('absent(up{job="wabulk-worker"} == 1)')).toEqual(['up{job="wabulk-worker"}']);
});

test('withoutForDurations: every for: becomes 0s, nothing else changes', () => {
  const text = 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: x > 0\n        for: 10m\n      - alert: B\n        expr: y\n        for: 1h\n';
  const out = withoutForDurations(text);
  expect(out.changed).toBe(2);
  expect(out.text).toBe(text.replace('for: 10m', 'for: 0s').replace('for: 1h', 'for: 0s'));
});
