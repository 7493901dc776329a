import { Queue } from 'bullmq';
import { queueName, queuePrefix } from './keys.js';
import type { RedisClient } from './redis.js';

/** One BullMQ Queue per Kaleyra account ("wa-<account>"), created on first use and shared. */
export class QueueRegistry {
  readonly #queues = new Map<string, Queue>();

  constructor(
    readonly connection: RedisClient,
    readonly base: string,
  ) {}

  get(account: string): Queue {
    let queue = this.#queues.get(account);
    if (!queue) {
      queue = new Queue(queueName(account), { connection: this.connection, prefix: queuePrefix(this.base, account) });
      // Errors surface on the calls that hit them; without a listener an 'error' event would crash the process.
      queue.on('error', () => {});
      this.#queues.set(account, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
  }
}
