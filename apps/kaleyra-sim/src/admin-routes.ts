// The /__sim inspection and control routes (fixed names, see docs/architecture.md "The operator contract").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFaults, parseBalanceBody, parseFaults } from './faults.js';
import { readJson, writeFieldError, writeJson } from './http-io.js';
import { serveMessages } from './messages-route.js';
import type { SimState } from './sim-state.js';

export const ADMIN_ROUTES = [
  'GET /__sim/messages', 'GET /__sim/stats', 'GET /__sim/faults', 'POST /__sim/faults',
  'GET /__sim/balance', 'POST /__sim/balance', 'POST /__sim/reset',
] as const;

function balanceJson(state: SimState): { balance: number | null } {
  return { balance: Number.isFinite(state.balance) ? state.balance : null };
}

async function postFaults(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  if (!body.ok) return writeFieldError(res, 'body', 'must be a JSON object of at most 64 KiB');
  const parsed = parseFaults(body.value);
  if (!parsed.ok) return writeFieldError(res, parsed.field, parsed.message);
  applyFaults(state.faults, parsed.value);
  writeJson(res, 200, state.faults);
}

async function postBalance(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  if (!body.ok) return writeFieldError(res, 'body', 'must be a JSON object of at most 64 KiB');
  const parsed = parseBalanceBody(body.value);
  if (!parsed.ok) return writeFieldError(res, parsed.field, parsed.message);
  const { balance, add } = parsed.value;
  state.setBalance(add !== undefined ? state.balance + add : balance ?? Infinity);
  writeJson(res, 200, balanceJson(state));
}

export async function handleAdmin(state: SimState, req: IncomingMessage, res: ServerResponse, path: string, search: string): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /__sim/messages': return serveMessages(res, state.store, search);
    case 'GET /__sim/stats': return writeJson(res, 200, state.stats());
    case 'GET /__sim/faults': return writeJson(res, 200, state.faults);
    case 'POST /__sim/faults': return postFaults(state, req, res);
    case 'GET /__sim/balance': return writeJson(res, 200, balanceJson(state));
    case 'POST /__sim/balance': return postBalance(state, req, res);
    case 'POST /__sim/reset':
      state.reset();
      return writeJson(res, 200, state.stats());
    default: {
      const known = ADMIN_ROUTES.some((r) => r.endsWith(` ${path}`));
      req.resume();
      return writeJson(res, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found', routes: ADMIN_ROUTES });
    }
  }
}
