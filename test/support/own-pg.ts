import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './redis.js';

const run = promisify(execFile);

/** The server binaries: WABULK_TEST_PG_BIN, else Debian's newest /usr/lib/postgresql/<version>/bin. */
function binDir(): string {
  if (process.env.WABULK_TEST_PG_BIN) return process.env.WABULK_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (install postgresql, or set WABULK_TEST_PG_BIN)');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
}

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, on a free port, trust auth) that the
 * test may stop and start: the real thing going away, connections and all. As root (this project's
 * machines) it runs as the `postgres` user, which initdb and postgres require.
 */
export class OwnPostgres {
  readonly #bin = binDir();
  readonly #asRoot = process.getuid?.() === 0;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'wabulk-pg-'));
    const server = new OwnPostgres(dir, await freePort());
    if (server.#asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await server.#cmd('initdb', ['-D', server.#data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    await server.up();
    return server;
  }

  get #data() {
    return join(this.dir, 'data');
  }

  async #cmd(tool: string, args: string[]): Promise<string> {
    const exe = join(this.#bin, tool);
    const [file, argv] = this.#asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    // cwd: a directory the postgres user may enter (the test's cwd may not be).
    const { stdout } = await run(file, argv, { cwd: this.dir, timeout: 60_000 });
    return stdout;
  }

  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async up(): Promise<void> {
    await this.#cmd('pg_ctl', ['-D', this.#data, '-l', join(this.dir, 'log'), '-w', '-t', '30', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`, 'start']);
  }

  /** Stops it (`fast`: open sessions are terminated, like an operator's stop; `immediate`: like a crash). */
  async down(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.#cmd('pg_ctl', ['-D', this.#data, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  /** Stops the server (if running) and removes its directory. */
  async destroy(): Promise<void> {
    await this.down('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
