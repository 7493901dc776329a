import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT for a long-running process: log, run `close` (stop intake, let in-flight work
 * finish, close connections), flush the logger and exit 0. A second signal, or `close` running
 * past `timeoutMs`, exits 1 at once. `what` says what is being finished, for the log line.
 */
export function handleShutdownSignals(options: { logger: Logger; timeoutMs: number; what: string; close: () => Promise<void> }): void {
  const { logger } = options;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `shutting down: finishing ${options.what}`);
    const force = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, options.timeoutMs);
    force.unref();
    await options.close();
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
