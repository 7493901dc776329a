// `pnpm sim` flags → SimulatorOptions. Pure: main.ts prints and exits.
import { parseArgs } from 'node:util';
import type { SimulatorOptions } from './simulator.js';
import { normalisePhone } from './validate-send.js';

export const DEFAULT_SID = 'HXAP16XXXXXX97IN';
export const DEFAULT_API_KEY = 'sim-api-key';
export const DEFAULT_SENDER = '+919000000000';

export const CLI_USAGE = `Usage: pnpm sim [options]
A Kaleyra WhatsApp v2 compatible server with fault injection.

  --port N            port to listen on, 0 = any free port (default 8089)
  --host H            address to bind (default 127.0.0.1)
  --sid S             account SID (default ${DEFAULT_SID})
  --api-key K         api-key header value to accept (default ${DEFAULT_API_KEY})
  --sender +91…[,…]   business numbers on the account (default ${DEFAULT_SENDER})
  --balance N         units, one per accepted recipient (default unlimited)
  --fail-rate R       share 0..1 of requests answered 500 WA500 (default 0)
  --latency-ms N      delay before each answer (default 0)
  --callback-url URL  POST delivery callbacks (sent, delivered, read) here
  --rate-limit N      answer 429 beyond N requests per second (default off)
  --seed N            seed for random faults (default random)
  -h, --help          show this help

Routes: POST /v2/<sid>/whatsapp/<sender>/messages, GET /__sim/messages, GET /__sim/stats,
GET|POST /__sim/faults, GET|POST /__sim/balance, POST /__sim/reset (see apps/kaleyra-sim/README.md).
`;

export type CliParse =
  | { kind: 'run'; options: SimulatorOptions & { port: number; host: string } }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

const INT = /^\d{1,15}$/;

class FlagError extends Error {}

function int(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = INT.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new FlagError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function text(flag: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (v.trim() === '') throw new FlagError(`--${flag} must not be empty`);
  return v;
}

function fromFlags(v: Record<string, string | boolean | undefined>): CliParse {
  const str = (k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const sid = text('sid', str('sid'), DEFAULT_SID);
  if (/[/?#%\s]/.test(sid)) throw new FlagError(`--sid must not contain / ? # % or spaces, got "${sid}"`);
  const senders = text('sender', str('sender'), DEFAULT_SENDER).split(',').map((s) => s.trim());
  for (const s of senders) {
    if (normalisePhone(s) === null) throw new FlagError(`--sender must be E.164 numbers separated by commas, got "${s}"`);
  }
  const balanceFlag = str('balance');
  const balance = balanceFlag === 'unlimited' ? Infinity : int('balance', balanceFlag, 0, Number.MAX_SAFE_INTEGER);
  const failRateFlag = str('fail-rate');
  let failRate: number | undefined;
  if (failRateFlag !== undefined) {
    failRate = /^\d*\.?\d+$/.test(failRateFlag) ? Number(failRateFlag) : NaN;
    if (!(failRate >= 0 && failRate <= 1)) throw new FlagError(`--fail-rate must be a number from 0 to 1, got "${failRateFlag}"`);
  }
  const callbackUrl = str('callback-url');
  if (callbackUrl !== undefined && !/^https?:$/.test(URL.canParse(callbackUrl) ? new URL(callbackUrl).protocol : '')) {
    throw new FlagError(`--callback-url must be an http(s) URL, got "${callbackUrl}"`);
  }
  const options: SimulatorOptions & { port: number; host: string } = {
    port: int('port', str('port'), 0, 65535) ?? 8089,
    host: text('host', str('host'), '127.0.0.1'),
    sid,
    apiKey: text('api-key', str('api-key'), DEFAULT_API_KEY),
    senders,
  };
  if (balance !== undefined) options.balance = balance;
  if (failRate !== undefined) options.failRate = failRate;
  const latencyMs = int('latency-ms', str('latency-ms'), 0, 3_600_000);
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (callbackUrl !== undefined) options.callbackUrl = callbackUrl;
  const rateLimit = int('rate-limit', str('rate-limit'), 1, 10_000_000);
  if (rateLimit !== undefined) options.rateLimitPerSecond = rateLimit;
  const seed = int('seed', str('seed'), 0, 2 ** 32 - 1);
  if (seed !== undefined) options.seed = seed;
  return { kind: 'run', options };
}

export function parseCliArgs(argv: string[]): CliParse {
  const stringFlags = ['port', 'host', 'sid', 'api-key', 'sender', 'balance', 'fail-rate', 'latency-ms', 'callback-url', 'rate-limit', 'seed'];
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(stringFlags.map((f) => [f, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) return { kind: 'help' };
    return fromFlags(values);
  } catch (err) {
    if (err instanceof FlagError) return { kind: 'error', message: err.message };
    // node:util throws TypeErrors with ERR_PARSE_ARGS_* codes (duck-typed: jest runs in another realm).
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return { kind: 'error', message: String(e.message) };
    throw err;
  }
}
