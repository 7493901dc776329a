import type { Cluster, Redis } from 'ioredis';

/** What this module uses of an ioredis Command (Command.js: isSettled, reject, promise). */
interface DeadlineCommand {
  isSettled?: boolean;
  reject(err: Error): void;
  promise: Promise<unknown>;
}

/**
 * A deadline on every command of `client` (WABULK_REDIS_COMMAND_TIMEOUT_MS): past it the command
 * fails with ioredis's own "Command timed out" (redis-errors.ts reads it), as with ioredis's
 * `commandTimeout`, with one difference: a process whose event loop was held (a long synchronous
 * task, a module loading, a starved CPU) finds its timers due before it has read the socket, and
 * `commandTimeout` would then fail commands whose answers are already there. Here the timer only
 * schedules the decision for the end of the loop's turn (setImmediate runs after the poll phase,
 * which reads what has arrived): only a command Redis did not answer in time fails.
 */
export function withCommandDeadline<T extends Redis | Cluster>(client: T, ms: number): T {
  const send = client.sendCommand.bind(client) as (command: DeadlineCommand, ...rest: unknown[]) => unknown;
  (client as unknown as { sendCommand: (command: DeadlineCommand, ...rest: unknown[]) => unknown }).sendCommand = (command, ...rest) => {
    const result = send(command, ...rest);
    if (!command.isSettled) {
      const timer = setTimeout(() => {
        setImmediate(() => {
          if (!command.isSettled) command.reject(new Error('Command timed out'));
        });
      }, ms);
      const clear = () => clearTimeout(timer);
      command.promise.then(clear, clear);
    }
    return result;
  };
  return client;
}
