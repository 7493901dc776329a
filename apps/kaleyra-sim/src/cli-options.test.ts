import { DEFAULT_API_KEY, DEFAULT_SENDER, DEFAULT_SID, parseCliArgs } from './cli-options.js';

test('defaults', () => {
  expect(parseCliArgs([])).toEqual({
    kind: 'run',
    options: { port: 8089, host: '127.0.0.1', sid: DEFAULT_SID, apiKey: DEFAULT_API_KEY, senders: [DEFAULT_SENDER] },
  });
});

test('every flag', () => {
  const r = parseCliArgs([
    '--port', '0', '--host', '0.0.0.0', '--sid', 'SID1', '--api-key', 'k', '--sender', '+919000000001, 919000000002',
    '--balance', '10', '--fail-rate', '0.25', '--latency-ms', '5', '--callback-url', 'http://127.0.0.1:9/cb',
    '--rate-limit', '80', '--seed', '7',
  ]);
  expect(r).toEqual({
    kind: 'run',
    options: {
      port: 0, host: '0.0.0.0', sid: 'SID1', apiKey: 'k', senders: ['+919000000001', '919000000002'], balance: 10,
      failRate: 0.25, latencyMs: 5, callbackUrl: 'http://127.0.0.1:9/cb', rateLimitPerSecond: 80, seed: 7,
    },
  });
  expect(parseCliArgs(['--balance', 'unlimited'])).toMatchObject({ options: { balance: Infinity } });
});

test('--help', () => {
  expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
  expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
});

test.each<[string[], string]>([
  [['--port', 'abc'], '--port'],
  [['--port', '70000'], '--port'],
  [['--fail-rate', '2'], '--fail-rate'],
  [['--fail-rate', '-0.1'], '--fail-rate'],
  [['--fail-rate', 'x'], '--fail-rate'],
  [['--balance', '-1'], '--balance'],
  [['--balance', '1.5'], '--balance'],
  [['--latency-ms', 'soon'], '--latency-ms'],
  [['--rate-limit', '0'], '--rate-limit'],
  [['--callback-url', 'ftp://x'], '--callback-url'],
  [['--callback-url', 'not a url'], '--callback-url'],
  [['--sender', '+91abc'], '--sender'],
  [['--sid', ''], '--sid'],
  [['--api-key', ' '], '--api-key'],
  [['--bogus'], '--bogus'],
  [['--port'], '--port'],
  [['extra'], 'extra'],
])('%j is an error naming %s', (argv, flag) => {
  const r = parseCliArgs(argv);
  expect(r.kind).toBe('error');
  if (r.kind === 'error') expect(r.message).toContain(flag);
});
