#!/usr/bin/env node
// The one entry point behind the root package.json scripts, so that `npm test`, `npm run demo`
// (and the same through pnpm) work on a fresh machine with only Node 20 and npm:
//   1. puts the pinned pnpm first on PATH (installed with npm into .wabulk/tools when missing: turbo
//      needs a `pnpm` binary), then installs the workspace from the lockfile when node_modules is
//      missing or older than the lockfile (corepack is not used: it fails signature checks on some mirrors);
//   2. makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379); if none does, it
//      starts `redis-server` from PATH on a free port for the length of the command, or says how to
//      get one;
//   3. runs the command: test (typecheck, lint, jest) | sim | wabulk (the build when up to date, else
//      tsx from source) | link-cli (a `wabulk` on PATH running the build) | demo | bench | setup.
// Plain Node, no dependencies: it runs before anything is installed.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_MAIN, staleCliPackages } from './cli-sources.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PNPM = 'pnpm@12.4.2';
const [command = 'help', ...args] = process.argv.slice(2);

const say = (msg) => process.stderr.write(`[wabulk] ${msg}\n`);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const PNPM_VERSION = PNPM.split('@')[1];
const toolsDir = join(root, '.wabulk', 'tools');
const pnpmVersionOf = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8', env: process.env }).stdout?.trim();
const installedPnpmVersion = () => {
  try {
    return JSON.parse(readFileSync(join(toolsDir, 'node_modules', 'pnpm', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
};

/**
 * Puts the pinned pnpm first on PATH for this process and every child it starts. turbo (typecheck,
 * lint, build) looks for a `pnpm` binary on PATH because of `packageManager`; a newcomer has none, or
 * one of another version. The pinned one is installed with npm (no corepack: it fails signature
 * checks on some mirrors) into .wabulk/tools, once, and reused after that.
 */
function ensurePnpmOnPath() {
  const toolsBin = join(toolsDir, 'node_modules', '.bin');
  const pnpmBin = join(toolsBin, process.platform === 'win32' ? 'pnpm.cmd' : 'pnpm');
  // The installed version read from its package.json: asking `pnpm --version` costs a Node start
  // (~0.3 s) on every command, `pnpm wabulk …` included (issue 15).
  if (!existsSync(pnpmBin) || installedPnpmVersion() !== PNPM_VERSION) {
    say(`installing ${PNPM} into .wabulk/tools (turbo and the scripts need it on PATH)…`);
    mkdirSync(toolsDir, { recursive: true });
    writeFileSync(join(toolsDir, 'package.json'), '{ "private": true }\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const status = run(npm, ['install', '--prefix', toolsDir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', PNPM]);
    if (status !== 0 || pnpmVersionOf(pnpmBin) !== PNPM_VERSION) {
      say(`could not install ${PNPM} with npm (exit ${status}). Check that the npm registry answers, then run the command again.`);
      process.exit(status || 1);
    }
  }
  process.env.PATH = `${toolsBin}${delimiter}${process.env.PATH ?? ''}`;
  return pnpmBin;
}

function ensureInstalled(pnpm) {
  // After a successful install we stamp node_modules with the lockfile's hash: same hash, nothing to do.
  const stamp = join(root, 'node_modules', '.wabulk-lock-hash');
  const hash = createHash('sha256').update(readFileSync(join(root, 'pnpm-lock.yaml'))).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  say(`installing dependencies from the lockfile with ${PNPM}…`);
  const status = run(pnpm, ['install', '--frozen-lockfile']);
  if (status !== 0) {
    say(`install failed (exit ${status}). Try: ${pnpm} install --frozen-lockfile`);
    process.exit(status);
  }
  writeFileSync(stamp, hash);
}

function redisReachable(url) {
  const u = new URL(url);
  return new Promise((done) => {
    const socket = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let buf = '';
    const finish = (ok) => { socket.destroy(); done(ok); };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      const auth = u.password ? `AUTH ${decodeURIComponent(u.username || 'default')} ${decodeURIComponent(u.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (d) => { buf += d.toString(); if (buf.includes('PONG')) finish(true); else if (buf.includes('-')) finish(false); });
  });
}

function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => done(port)); });
  });
}

/** Returns a cleanup function; sets process.env.REDIS_URL for the children. */
async function ensureRedis() {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await redisReachable(url)) { process.env.REDIS_URL = url; return () => {}; }
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (which.status !== 0) {
    say(`no Redis answers at ${url} and redis-server is not on PATH.`);
    say('Install one (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis),');
    say('or point REDIS_URL at a running Redis 6.2+ and run the command again.');
    process.exit(1);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wabulk-redis-'));
  say(`no Redis at ${url}: starting redis-server on 127.0.0.1:${port} for this command`);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const redisUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await redisReachable(redisUrl)); i++) await new Promise((r) => setTimeout(r, 50));
  process.env.REDIS_URL = redisUrl;
  return () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); };
}

/**
 * The monitoring tests run Debian's prometheus and promtool. Where they are missing and we may use
 * apt (root), install them; otherwise stop and say how to get them.
 */
function ensurePrometheus() {
  const have = (b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0;
  if (have(process.env.PROMETHEUS_BIN || 'prometheus') && have(process.env.PROMTOOL_BIN || 'promtool')) return;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (canApt) {
    say('prometheus/promtool missing (monitoring tests): installing Debian\'s prometheus package with apt');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }) === 0 && run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { env }) === 0) return;
  }
  say('the monitoring tests need prometheus and promtool on PATH (or PROMETHEUS_BIN / PROMTOOL_BIN):');
  say('  Debian/Ubuntu: sudo apt-get install -y prometheus    macOS: brew install prometheus');
  process.exit(1);
}

/**
 * The console's browser tests (issue 14) drive Debian's Chromium (WABULK_CHROMIUM, default
 * /usr/bin/chromium) with playwright-core; nothing downloads a browser. As root with apt, install
 * it; otherwise stop and say how.
 */
function ensureChromium() {
  const path = process.env.WABULK_CHROMIUM || '/usr/bin/chromium';
  if (existsSync(path)) return;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (canApt) {
    say(`${path} missing (console browser tests): installing Debian's chromium package with apt`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }) === 0 && run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env }) === 0 && existsSync(path)) return;
  }
  say(`the console's browser tests need Chromium at ${path} (or WABULK_CHROMIUM):`);
  say('  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium');
  process.exit(1);
}

/** Newest modification time under a folder (0 when missing). */
function newestMtime(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The API serves the operator console from apps/console/dist (GET /ui/): build it (Vite, about 2 s)
 * when it is missing or older than its sources, so `pnpm wabulk api`, the demo and the tests serve
 * what the source says.
 */
function ensureConsoleBuilt() {
  const app = join(root, 'apps', 'console');
  const built = join(app, 'dist', 'index.html');
  // Its sources, its build settings, and the lockfile (a dependency bump changes the bundle too).
  const inputs = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'].map((f) => join(app, f)).concat(join(root, 'pnpm-lock.yaml'));
  const sources = Math.max(newestMtime(join(app, 'src')), ...inputs.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  say('building the operator console (apps/console, served at /ui/)…');
  if (run(bin('turbo'), ['run', 'build', '--filter=@wabulk/console', '--output-logs=errors-only']) !== 0) process.exit(1);
}

/**
 * The archive tests (issue 13) need PostgreSQL at 127.0.0.1:5432 (user postgres, no password) or
 * WABULK_TEST_PG_URL. As root, infra/scripts/ensure-postgres.sh (the one .ci/run uses) installs,
 * starts and trusts Debian's; otherwise one must answer on the port, or we stop and say how.
 */
async function ensurePostgres() {
  if (process.env.WABULK_TEST_PG_URL) return;
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0) {
    if (run('bash', [join(root, 'infra/scripts/ensure-postgres.sh')]) === 0) return;
    process.exit(1);
  }
  const answers = await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 5432 });
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('connect', () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
  if (answers) return;
  say('the archive tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trusted local connections), or WABULK_TEST_PG_URL:');
  say('  Debian/Ubuntu: sudo bash infra/scripts/ensure-postgres.sh    macOS: brew install postgresql@15 && brew services start postgresql@15');
  process.exit(1);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
// Run TypeScript from source: tsx strips types, the export condition picks each package's src/.
const tsNode = (entry, argv) => [process.execPath, ['--conditions=@wabulk/source', '--import', 'tsx', join(root, entry), ...argv]];

/**
 * apps/cli/dist/main.js when every package of the CLI was built from its source as it is now (cli-sources.mjs: an mtime
 * scan, then each package's content stamp), undefined otherwise: a stale build never runs.
 * WABULK_FROM_SOURCE=1 always runs the source.
 */
function freshCliBuild() {
  if (process.env.WABULK_FROM_SOURCE === '1') return undefined;
  const stale = staleCliPackages(root);
  if (stale.length === 0) return CLI_MAIN;
  if (existsSync(CLI_MAIN)) say(`the build is older than the source of ${stale.map((d) => d.slice(root.length + 1)).join(', ')}: running from source with tsx (\`pnpm build\` for the fast start)`);
  return undefined;
}

function spawnForward(cmd, argv) {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: 'inherit', env: process.env });
    const forward = (sig) => () => child.kill(sig);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 + 1 : 1)));
  });
}

/**
 * `pnpm run link-cli [DIR]`: builds (turbo: a no-op when nothing changed) and writes DIR/wabulk
 * (default ~/.local/bin), a small shell script that runs this checkout's apps/cli/dist/main.js
 * with the `node` on PATH: the fast start (issue 15), no pnpm, no tsx, no freshness scan. After
 * pulling or editing, run `pnpm build` again (`pnpm wabulk …` checks that for you; this does not).
 */
function linkCli(dir = join(homedir(), '.local', 'bin')) {
  if (run(bin('turbo'), ['run', 'build', '--filter=@wabulk/cli...', '--output-logs=errors-only']) !== 0) return 1;
  const main = CLI_MAIN;
  mkdirSync(dir, { recursive: true });
  const target = join(resolve(dir), 'wabulk');
  writeFileSync(target, `#!/bin/sh\n# wabulk, the operator CLI built from ${root} (written by \`pnpm run link-cli\`; run \`pnpm build\` there after changes)\nexec node '${main.replace(/'/g, "'\\''")}' "$@"\n`, { mode: 0o755 });
  chmodSync(target, 0o755);
  const onPath = (process.env.PATH ?? '').split(delimiter).includes(resolve(dir));
  say(`wrote ${target}${onPath ? '' : ` (not on PATH: add ${resolve(dir)} to PATH)`}; try: wabulk --help`);
  return 0;
}

async function main() {
  if (command === 'help' || command === '--help') {
    console.log('usage: node infra/scripts/bootstrap.mjs setup|test|sim|wabulk|link-cli|demo|bench [args…]');
    return 0;
  }
  ensureInstalled(ensurePnpmOnPath());
  if (command === 'setup') {
    ensureConsoleBuilt();
    return 0;
  }
  if (command === 'sim') return spawnForward(...tsNode('apps/kaleyra-sim/src/main.ts', args));
  if (command === 'wabulk') {
    // `wabulk api` serves the console; other commands need not wait for a build.
    if (args[0] === 'api') ensureConsoleBuilt();
    // The build (plain node, about 0.2 s to `--help`) when it is up to date; tsx from source otherwise.
    const built = freshCliBuild();
    return spawnForward(...(built ? [process.execPath, [built, ...args]] : tsNode('apps/cli/src/main.ts', args)));
  }
  if (command === 'link-cli') return linkCli(args[0]);
  if (command === 'test') {
    ensurePrometheus();
    ensureChromium();
    await ensurePostgres();
  }
  if (command === 'test' || command === 'demo') ensureConsoleBuilt();
  const stopRedis = await ensureRedis();
  try {
    if (command === 'test') {
      const tc = run(bin('turbo'), ['run', 'typecheck', '--output-logs=errors-only']);
      if (tc !== 0) return tc;
      // Type-aware lint (oxlint + tsgolint, .oxlintrc.json): what tsc does not catch.
      const lint = run(bin('oxlint'), []);
      if (lint !== 0) return lint;
      // One suite at a time, as before (two at once starve each other's processes on two cores:
      // CLI and worker start-ups hit their deadlines), but in a worker that is replaced once its
      // heap passes workerIdleMemoryLimit (test/jest.config.mjs), not in jest's own process
      // (--runInBand), whose heap only grows.
      return await spawnForward(bin('jest'), ['-c', 'test/jest.config.mjs', '--maxWorkers=1', ...args]);
    }
    if (command === 'demo') return await spawnForward(...tsNode('apps/cli/src/main.ts', ['demo', ...args]));
    if (command === 'bench') return await spawnForward(...tsNode('test/bench/main.ts', args));
    say(`unknown command: ${command}`);
    return 2;
  } finally {
    stopRedis();
  }
}

process.exitCode = await main();
