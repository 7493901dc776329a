// Small node:http helpers shared by the routes.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Reads the whole request body. Past `limit` bytes the rest is drained and discarded (answering
 * before the client finished sending would reset the connection) and `done` gets null.
 * When the client goes away first, `done` is never called.
 */
export function readBody(req: IncomingMessage, limit: number, done: (raw: string | null) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      first = undefined;
      chunks = undefined;
    } else if (first === undefined) {
      first = chunk;
    } else {
      (chunks ??= [first]).push(chunk);
    }
  });
  req.on('end', () => {
    if (size > limit) done(null);
    else if (chunks !== undefined) done(Buffer.concat(chunks).toString('utf8'));
    else done(first === undefined ? '' : first.toString('utf8'));
  });
}

/** Reads a small JSON body for the /__sim routes. */
export function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false }> {
  return new Promise((resolve) => {
    readBody(req, BODY_LIMIT_BYTES, (raw) => {
      if (raw === null) return resolve({ ok: false });
      if (raw.trim() === '') return resolve({ ok: true, value: {} });
      try {
        resolve({ ok: true, value: JSON.parse(raw) as unknown });
      } catch {
        resolve({ ok: false });
      }
    });
  });
}

export function writeBody(res: ServerResponse, status: number, body: Buffer | string, extra?: readonly string[], contentType = 'application/json'): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const headers = ['content-type', contentType, 'content-length', String(length)];
  if (extra !== undefined) headers.push(...extra);
  res.writeHead(status, headers);
  res.end(body);
}

export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  writeBody(res, status, JSON.stringify(value));
}

/** The error shape of the /__sim routes. */
export function writeFieldError(res: ServerResponse, field: string, message: string): void {
  writeJson(res, 400, { error: `invalid ${field}: ${message}`, field, message });
}

/** Resolves on 'drain' or when the response is gone. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
