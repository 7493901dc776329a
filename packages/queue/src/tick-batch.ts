import type { ChainableCommander, Redis } from 'ioredis';

/** A pipeline with the script commands of `T` (withScripts): each queues its command and returns the pipeline. */
export type PipelineOf<T> = ChainableCommander & { [K in keyof T]: T[K] extends (...args: infer A) => unknown ? (...args: A) => ChainableCommander : never };

/**
 * Queues one command on the client it is given: a pipeline (the batch), or, for a retry after a
 * connection loss, the connection itself (where the same call returns the reply's promise).
 */
export type BatchedCall = (client: ChainableCommander) => unknown;

interface Queued {
  call: BatchedCall;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * ioredis's answer for the commands of a pipeline cut by a connection loss (it resends a whole
 * pipeline, but aborts the rest of one that was partly answered), where a command of its own would
 * have been sent again after the reconnect.
 */
const abortedByConnectionLoss = (err: unknown) => err instanceof Error && err.name === 'AbortError' && /connection close/i.test(err.message);

const batches = new WeakMap<Redis, (call: BatchedCall) => Promise<unknown>>();

/**
 * Group commit for the worker's per-message scripts on a single Redis: the calls made on one
 * connection while the event loop handles one round of I/O (every Kaleyra answer that arrived
 * together) leave in one pipeline, one socket write, at the next setImmediate. Each caller still
 * gets its own reply or its own error and waits for it: a 'sent' is recorded before its job
 * completes exactly as with a call of its own. Redis runs the commands one by one, in order, as if
 * each had been sent alone. A command aborted by a connection loss is sent again on its own, as
 * ioredis does for a lone command (so the calls batched here must be safe to run twice: the
 * pre-send checks read, the sent record keeps the first message_id). Only for a standalone
 * connection (a cluster pipeline must stay in one slot; callers there send their commands directly).
 */
export function tickBatch(redis: Redis): <T>(call: BatchedCall) => Promise<T> {
  let batch = batches.get(redis);
  if (batch === undefined) {
    let queued: Queued[] = [];
    const settle = (item: Queued, err: unknown, reply: unknown) => {
      if (!err) return item.resolve(reply);
      if (!abortedByConnectionLoss(err)) return item.reject(err);
      Promise.resolve(item.call(redis as unknown as ChainableCommander)).then(item.resolve, item.reject);
    };
    const flush = () => {
      const calls = queued;
      queued = [];
      const pipeline = redis.pipeline();
      for (const item of calls) item.call(pipeline);
      pipeline.exec().then(
        (results) => {
          for (let i = 0; i < calls.length; i++) {
            const [err, reply] = results?.[i] ?? [new Error('no reply in the pipeline'), undefined];
            settle(calls[i]!, err, reply);
          }
        },
        (err: unknown) => {
          for (const item of calls) settle(item, err, undefined);
        },
      );
    };
    batch = (call) =>
      new Promise((resolve, reject) => {
        if (queued.length === 0) setImmediate(flush);
        queued.push({ call, resolve, reject });
      });
    batches.set(redis, batch);
  }
  return batch as <T>(call: BatchedCall) => Promise<T>;
}
