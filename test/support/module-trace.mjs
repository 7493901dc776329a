// `node --import ./test/support/module-trace.mjs …` with WABULK_MODULE_TRACE=<file>: when the process
// exits, <file> lists every module it loaded, one path or URL a line: the ES modules it resolved (a
// resolve hook, chained after tsx's) and the CommonJS ones in require.cache (fastify, ioredis, pg, bullmq
// load their insides with require, which the hook does not see). For tests of what a command loads
// (test/cli/lazy-load.test.ts): no timing, only which modules.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.WABULK_MODULE_TRACE;
if (file) {
  writeFileSync(file, '');
  register('./module-trace-hooks.mjs', import.meta.url, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => appendFileSync(file, Object.keys(cache).map((k) => `${k}\n`).join('')));
}
