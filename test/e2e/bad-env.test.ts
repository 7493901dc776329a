import { killAllWorkers, spawnWorker, workerEnv } from '../support/proc-worker.js';

// A worker started with a bad setting must refuse to start: exit code 2 (a configuration error,
// not a crash), a message on stderr that names the variable, and never the api-key's value.

const SECRET = 'k3y-that-must-never-be-printed-7f3a9c';
// Nothing listens here: a worker that got past configuration would fail differently (and later).
const env = (overrides: Record<string, string | undefined>) =>
  workerEnv({ base: 'wbt-bad-env', simUrl: 'http://127.0.0.1:9' }, { REDIS_URL: 'redis://127.0.0.1:9', KALEYRA_API_KEY: SECRET, ...overrides });

afterEach(async () => killAllWorkers());

test.each([
  ['WORKER_CONCURRENCY=abc', { WORKER_CONCURRENCY: 'abc' }, /WORKER_CONCURRENCY/],
  ['KALEYRA_SID missing', { KALEYRA_SID: undefined }, /KALEYRA_SID/],
  ['KALEYRA_SENDER not a number', { KALEYRA_SENDER: 'acme-sender' }, /KALEYRA_SENDER/],
  ['WABULK_RETRY_DELAYS_MS not milliseconds', { WABULK_RETRY_DELAYS_MS: 'soon' }, /WABULK_RETRY_DELAYS_MS/],
] as const)('%s: exit code 2, the variable named, the api-key never printed', async (_name, overrides, names) => {
  const worker = await spawnWorker(env(overrides), { waitStarted: false });
  const exit = await worker.waitExit(20_000);
  expect(exit).toEqual({ code: 2, signal: null });
  expect(worker.stderr()).toMatch(names);
  expect(worker.stderr()).toMatch(/^wabulk worker: invalid configuration/);
  // Nothing started: no 'worker started' line, and the secret appears nowhere.
  expect(worker.stdout()).not.toContain('worker started');
  expect(worker.stdout() + worker.stderr()).not.toContain(SECRET);
}, 30_000);
