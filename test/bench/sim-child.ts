// Child process: the Kaleyra simulator on a free port, so it does not share the worker's event loop.
// Prints `BENCH_RESULT {"url": …}` once listening; SIGTERM closes it.
import { startSimulator } from '@wabulk/kaleyra-sim';
import { childArg, reportResult } from './child-process.js';
import { API_KEY, SENDER, SID } from './fixtures.js';

const { latencyMs = 0 } = childArg<{ latencyMs?: number }>();
const sim = await startSimulator({ sid: SID, apiKey: API_KEY, senders: [SENDER], latencyMs, seed: 1 });
reportResult({ url: sim.url });
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
