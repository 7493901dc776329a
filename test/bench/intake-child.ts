// Child process of the "intake" benchmark: an HTTP server on 127.0.0.1:0 that the parent loads with
// autocannon. `api`: the real API (buildApi on the connection `wabulk api` makes, connectApiRedis;
// logs at info as `wabulk api` runs by default: nothing per 202 answer).
// `api-before`: the same API as before issue 15: fastSingleMessages: false (the general path's five
// Redis round trips) on a plain producer connection (no coalesceWrites). `api-uncoalesced`: the fast
// single-message path on a plain connection (what coalesceWrites adds, apart). `bare`: the baseline, a fastify route that answers 202 once it has done one Redis SET of the body
// (its own producer connection, no validation, no auth). A process of its own, so its CPU is its
// alone. Prints `BENCH_RESULT {"url": …}` once listening; SIGTERM closes it.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { buildApi, connectApiRedis } from '@wabulk/api';
import { createRedis, waitForReady } from '@wabulk/queue';
import { createLogger } from '@wabulk/telemetry';
import { Registry } from 'prom-client';
import { childArg, reportResult } from './child-process.js';
import { ACCOUNT } from './fixtures.js';

export interface IntakeChildArg {
  mode: 'api' | 'api-before' | 'api-uncoalesced' | 'bare';
  redisUrl: string;
  base: string;
  token: string;
}

const { mode, redisUrl, base, token } = childArg<IntakeChildArg>();

async function startApi(fast: boolean, coalesced: boolean) {
  const redis = coalesced ? connectApiRedis({ url: redisUrl }) : createRedis(redisUrl, 'producer');
  await waitForReady(redis);
  const app = await buildApi({
    redis,
    base,
    tokens: [{ name: 'service', token, accounts: '*', scopes: ['send'] }],
    logger: createLogger({ level: 'info', name: 'wabulk-api', destination: process.stderr }),
    registry: new Registry(),
    defaultAccount: ACCOUNT,
    configuredAccounts: [ACCOUNT],
    fastSingleMessages: fast,
  });
  return { app, close: async () => {
    await app.close();
    redis.disconnect();
  } };
}

async function startBare() {
  const redis = createRedis(redisUrl, 'producer');
  await waitForReady(redis);
  const app = Fastify();
  let n = 0;
  app.post('/v1/messages', async (request, reply) => {
    await redis.set(`${base}:bare:${++n}`, JSON.stringify(request.body));
    return reply.code(202).send({ ok: true });
  });
  return { app, close: async () => {
    await app.close();
    redis.disconnect();
  } };
}

const { app, close } = mode === 'bare' ? await startBare() : await startApi(mode !== 'api-before', mode === 'api');
await app.listen({ host: '127.0.0.1', port: 0 });
reportResult({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` });
process.on('SIGTERM', () => void close().finally(() => process.exit(0)));
