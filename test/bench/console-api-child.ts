// Child process of the "console" benchmark: the real API (buildApi, as `wabulk api` wires it: one
// producer Redis connection, silent logs) listening on 127.0.0.1:0 with one operator token, serving
// the built console at /ui/. A process of its own, so that its RSS and CPU are its alone (not the
// Node client's, nor Playwright's). Prints `BENCH_RESULT {"url": …}` once listening; SIGTERM closes it.
import type { AddressInfo } from 'node:net';
import { buildApi } from '@wabulk/api';
import { createRedis, waitForReady } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { Registry } from 'prom-client';
import { childArg, reportResult } from './child-process.js';
import { ACCOUNT } from './fixtures.js';

export interface ConsoleApiChildArg {
  redisUrl: string;
  base: string;
  token: string;
}

const { redisUrl, base, token } = childArg<ConsoleApiChildArg>();
const redis = createRedis(redisUrl, 'producer');
await waitForReady(redis);
const api = await buildApi({
  redis,
  base,
  tokens: [{ name: 'operator', token, accounts: '*', scopes: ['send', 'read', 'control'] }],
  logger: createLogger({ level: 'silent', destination: process.stderr }),
  registry: new Registry(),
  defaultAccount: ACCOUNT,
  configuredAccounts: [ACCOUNT],
});
await api.listen({ host: '127.0.0.1', port: 0 });
reportResult({ url: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}` });
process.on('SIGTERM', () =>
  void api
    .close()
    .finally(() => redis.disconnect())
    .then(() => process.exit(0)),
);
