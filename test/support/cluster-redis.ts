import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `primaries` redis-server processes with --cluster-enabled on
 * free loopback ports (each in its own directory, no persistence), joined by
 * `redis-cli --cluster create`, ready once every node says cluster_state:ok and agrees on the slots.
 */
export class OwnCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'wabulk-cluster-'));
  readonly #children: ChildProcess[] = [];
  ports: number[] = [];

  static async start(primaries = 3): Promise<OwnCluster> {
    const c = new OwnCluster();
    try {
      await c.#start(primaries);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** REDIS_CLUSTER_NODES for the apps. */
  get nodes(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p}`);
  }

  async #start(primaries: number): Promise<void> {
    // freePort() closes its probe before returning: take distinct ports, and their bus ports (+10000) must be free too.
    while (this.ports.length < primaries) {
      const p = await freePort();
      if (p < 55_000 && !this.ports.includes(p)) this.ports.push(p);
    }
    for (const port of this.ports) {
      const dir = join(this.dir, String(port));
      mkdirSync(dir);
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      this.#children.push(child);
    }
    await Promise.all(this.ports.map((port) => waitFor(() => this.#ping(port), { timeoutMs: 10_000, what: `redis-server on ${port}` })));
    await run('redis-cli', ['--cluster', 'create', ...this.nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await waitFor(async () => (await Promise.all(this.ports.map((p) => this.#clusterOk(p)))).every(Boolean), { timeoutMs: 20_000, what: 'cluster_state:ok on every node' });
  }

  async #ping(port: number): Promise<boolean> {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** cluster_state:ok, every slot assigned, and this node knows every primary. */
  async #clusterOk(port: number): Promise<boolean> {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      const info = String(await probe.call('CLUSTER', 'INFO'));
      return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${this.ports.length}\\b`).test(info);
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  /** Which primary (port) serves a key. */
  async portOf(key: string): Promise<number> {
    const probe = new Redis({ port: this.ports[0], host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>;
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no node serves slot ${slot}`);
      return Number(owner[2][1]);
    } finally {
      probe.disconnect();
    }
  }

  /**
   * Names (`<prefix>0`, `<prefix>1`, …) whose key, as `keyOf` builds it, lands on a primary none of
   * `taken` is on: so a test can spread queues and ledgers over different nodes on purpose.
   */
  async pickName(prefix: string, keyOf: (name: string) => string, takenPorts: number[]): Promise<{ name: string; port: number }> {
    for (let i = 0; i < 200; i++) {
      const port = await this.portOf(keyOf(`${prefix}${i}`));
      if (!takenPorts.includes(port)) return { name: `${prefix}${i}`, port };
    }
    throw new Error(`no name ${prefix}N lands on a primary other than ${takenPorts.join(', ')}`);
  }

  /** Keys matching `pattern` on one primary, or on all (SCAN per node: a cluster-wide SCAN does not exist). */
  async keys(pattern: string, onlyPort?: number): Promise<string[]> {
    const all: string[] = [];
    for (const port of onlyPort === undefined ? this.ports : [onlyPort]) {
      const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
      node.on('error', () => {});
      try {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          all.push(...keys);
        } while (cursor !== '0');
      } finally {
        node.disconnect();
      }
    }
    return all;
  }

  /** SIGKILL the primary on `port` (no replicas: its slots stay down). */
  async killNode(port: number): Promise<void> {
    const child = this.#children[this.ports.indexOf(port)];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGKILL every node and remove their directories. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
