// `pnpm sim`: flags → startSimulator → one line with the URL; SIGTERM/SIGINT close it gracefully.
import { CLI_USAGE, parseCliArgs } from './cli-options.js';
import { startSimulator } from './simulator.js';

const parsed = parseCliArgs(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(CLI_USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') {
  process.stderr.write(`kaleyra-sim: ${parsed.message}\nRun with --help for the list of flags.\n`);
  process.exit(2);
}
const { options } = parsed;
const sim = await startSimulator(options).catch((err: unknown) => {
  const code = (err as { code?: string }).code;
  const why = code === 'EADDRINUSE' ? 'address already in use' : err instanceof Error ? err.message : String(err);
  process.stderr.write(`kaleyra-sim: cannot listen on ${options.host}:${options.port}: ${why}\n`);
  process.exit(1);
});
process.stdout.write(`kaleyra-sim listening on ${sim.url} (sid ${options.sid}, senders ${options.senders.join(',')})\n`);

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) process.exit(1); // second signal: do not wait
  stopping = true;
  process.stderr.write(`kaleyra-sim: ${signal}, closing\n`);
  sim.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
