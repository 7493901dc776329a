import type { ChainableCommander, Redis } from 'ioredis';

/**
 * Group commit for the worker's per-message scripts on a single Redis: the calls made on one
 * connection while the event loop handles one round of I/O (every Kaleyra answer that arrived
 * together) leave in one pipeline, one socket write, at the next setImmediate. Each caller still
 * gets its own reply or its own error and waits for it: a 'sent' is recorded before its job
 * completes exactly as with a call of its own. Redis runs the commands one by one, in order, as if
 * each had been sent alone. Only for a standalone connection (a cluster pipeline must stay in one
 * slot; callers there send their commands directly).
 */
interface Queued {
  add: (pipeline: ChainableCommander) => void;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A pipeline with the script commands of `T` (withScripts): each queues its command and returns the pipeline. */
export type PipelineOf<T> = ChainableCommander & { [K in keyof T]: T[K] extends (...args: infer A) => unknown ? (...args: A) => ChainableCommander : never };

const batches = new WeakMap<Redis, (add: Queued['add']) => Promise<unknown>>();

/** The connection's batcher (one per connection, made on first use). */
export function tickBatch(redis: Redis): <T>(add: (pipeline: ChainableCommander) => void) => Promise<T> {
  let batch = batches.get(redis);
  if (batch === undefined) {
    let queued: Queued[] = [];
    const flush = () => {
      const calls = queued;
      queued = [];
      const pipeline = redis.pipeline();
      for (const call of calls) call.add(pipeline);
      pipeline.exec().then(
        (results) => {
          for (let i = 0; i < calls.length; i++) {
            const [err, reply] = results?.[i] ?? [new Error('no reply in the pipeline'), undefined];
            if (err) calls[i]!.reject(err);
            else calls[i]!.resolve(reply);
          }
        },
        (err: unknown) => {
          for (const call of calls) call.reject(err);
        },
      );
    };
    batch = (add) =>
      new Promise((resolve, reject) => {
        if (queued.length === 0) setImmediate(flush);
        queued.push({ add, resolve, reject });
      });
    batches.set(redis, batch);
  }
  return batch as <T>(add: (pipeline: ChainableCommander) => void) => Promise<T>;
}
