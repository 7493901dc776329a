import { KaleyraError } from './kaleyra-error.js';

/** What went wrong below HTTP, and whether the request had been handed to a socket. */
export interface TransportFailure {
  error: unknown;
  written: boolean;
  aborted: boolean;
}

const errorCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const describe = (error: unknown): string => {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
};

/**
 * Map an undici failure to a `KaleyraError` (status 0, the undici error as `cause`):
 * - connect timeout → `TIMEOUT`, `retryable` (nothing was sent);
 * - headers or body timeout → `TIMEOUT`, `ambiguous` (the request was written);
 * - the caller's signal → `ABORTED`; a closed client → `CLIENT_CLOSED`;
 * - anything else (refused, reset, DNS, TLS, parser) → `NETWORK`.
 * Except for the timeouts, the kind is `retryable` when the request was never handed to a socket
 * and `ambiguous` when it was: Kaleyra may have received it.
 */
export function transportError({ error, written, aborted }: TransportFailure): KaleyraError {
  const undiciCode = errorCode(error);
  const options = { cause: error };
  const unlessWritten = written ? 'ambiguous' : 'retryable';
  if (aborted) {
    return new KaleyraError('ABORTED', 0,
      `The send was aborted ${written ? 'after' : 'before'} the request was written: ${describe(error)}`,
      { ...options, kind: unlessWritten });
  }
  switch (undiciCode) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new KaleyraError('TIMEOUT', 0, `Connecting to Kaleyra timed out: ${describe(error)}`,
        { ...options, kind: 'retryable' });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new KaleyraError('TIMEOUT', 0,
        'Kaleyra sent no response headers before the headers timeout; the message may have been accepted',
        { ...options, kind: 'ambiguous' });
    case 'UND_ERR_BODY_TIMEOUT':
      return new KaleyraError('TIMEOUT', 0,
        'Kaleyra stopped sending the response body before the body timeout; the message may have been accepted',
        { ...options, kind: 'ambiguous' });
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new KaleyraError('CLIENT_CLOSED', 0, 'The Kaleyra client is closed', { ...options, kind: unlessWritten });
    case undefined: // no undici code at all: a plain network error too
    default:
      return new KaleyraError('NETWORK', 0,
        `Network error ${written ? 'after' : 'before'} the request was written`
        + ` (${undiciCode ?? 'no code'}): ${describe(error)}`,
        { ...options, kind: unlessWritten });
  }
}
