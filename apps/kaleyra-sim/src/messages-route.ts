// GET /__sim/messages[?to=&offset=&limit=&format=json|ndjson] — streamed in batches with backpressure,
// so a million messages never become one string.
import type { ServerResponse } from 'node:http';
import { drained, writeFieldError } from './http-io.js';
import { toSimMessage, type MessageStore, type StoredMessage } from './message-store.js';

const BATCH = 1000;

export interface MessagesQuery {
  to: string | null;
  offset: number;
  limit: number | null;
  format: 'json' | 'ndjson';
}

export type QueryParse = { ok: true; value: MessagesQuery } | { ok: false; field: string; message: string };

function count(params: URLSearchParams, name: string): number | null | undefined {
  const v = params.get(name);
  if (v === null) return null;
  return /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

export function parseMessagesQuery(search: string): QueryParse {
  const params = new URLSearchParams(search);
  const offset = count(params, 'offset');
  if (offset === undefined) return { ok: false, field: 'offset', message: 'must be a non-negative integer' };
  const limit = count(params, 'limit');
  if (limit === undefined) return { ok: false, field: 'limit', message: 'must be a non-negative integer' };
  const format = params.get('format') ?? 'json';
  if (format !== 'json' && format !== 'ndjson') return { ok: false, field: 'format', message: 'must be json or ndjson' };
  return { ok: true, value: { to: params.get('to'), offset: offset ?? 0, limit, format } };
}

export async function serveMessages(res: ServerResponse, store: MessageStore, search: string): Promise<void> {
  const q = parseMessagesQuery(search);
  if (!q.ok) return writeFieldError(res, q.field, q.message);
  const { to, offset, limit, format } = q.value;
  // A snapshot of the range at request time; later messages (or a reset) do not change this answer.
  const items: StoredMessage[] = to === null ? store.items : store.filterTo(to);
  const total = items.length;
  const start = Math.min(offset, total);
  const end = limit === null ? total : Math.min(total, start + limit);
  const ndjson = format === 'ndjson';
  res.writeHead(200, {
    'content-type': ndjson ? 'application/x-ndjson' : 'application/json',
    'x-total-count': String(total),
  });
  if (!ndjson) res.write(`{"total":${total},"offset":${offset},"limit":${limit === null ? 'null' : limit},"messages":[`);
  for (let i = start; i < end && !res.destroyed; i += BATCH) {
    const stop = Math.min(end, i + BATCH);
    let chunk = '';
    for (let j = i; j < stop; j++) {
      const line = JSON.stringify(toSimMessage(items[j]!, store.epoch));
      chunk += ndjson ? `${line}\n` : j === start ? line : `,${line}`;
    }
    if (!res.write(chunk)) await drained(res);
  }
  res.end(ndjson ? undefined : ']}');
}
