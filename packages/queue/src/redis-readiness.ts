import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis.js';

/** Whether Redis can serve the app now, and if not, why (for /readyz). */
export interface RedisReadiness {
  ready: boolean;
  /** 'ready', or what is wrong: "redis unreachable", "cluster_state:fail", "primary 10.0.0.3:7002 unreachable", … */
  status: string;
}

const ALL_SLOTS = 16384;

/**
 * The decision on CLUSTER INFO's text: ready only when `cluster_state:ok`, every slot is assigned,
 * and no slot is failing or suspected failing (a primary serving it is unreachable: pfail before
 * cluster-node-timeout, fail after).
 */
export function clusterInfoReadiness(info: string): RedisReadiness {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const state = fields.get('cluster_state');
  if (state !== 'ok') return { ready: false, status: `cluster_state:${state ?? 'unknown'}` };
  const num = (name: string) => Number(fields.get(name) ?? NaN);
  const assigned = num('cluster_slots_assigned');
  if (Number.isFinite(assigned) && assigned < ALL_SLOTS) return { ready: false, status: `cluster_slots_assigned:${assigned} of ${ALL_SLOTS}` };
  for (const name of ['cluster_slots_fail', 'cluster_slots_pfail']) {
    const n = num(name);
    if (Number.isFinite(n) && n > 0) return { ready: false, status: `${name}:${n} (a primary serving them is unreachable)` };
  }
  return { ready: true, status: 'ready' };
}

/**
 * The primaries that serve slots, from CLUSTER NODES' text, each with whether that node sees it as
 * unreachable (flagged fail or fail?, no address, or its link down).
 */
export function slotPrimaries(nodes: string): Array<{ address: string; down: boolean }> {
  const out: Array<{ address: string; down: boolean }> = [];
  for (const line of nodes.split(/\r?\n/)) {
    const f = line.trim().split(' ');
    if (f.length < 9) continue; // no slots
    const flags = f[2]!.split(',');
    if (!flags.includes('master')) continue;
    const address = f[1]!.split('@')[0]!;
    const down = flags.includes('fail') || flags.includes('fail?') || flags.includes('noaddr') || (!flags.includes('myself') && f[7] === 'disconnected');
    out.push({ address, down });
  }
  return out;
}

/** `p`, or `fallback` once `ms` have passed. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.catch(() => fallback), new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Standalone: Redis answers PING. Cluster (REDIS_CLUSTER_NODES): CLUSTER INFO says ok (clusterInfoReadiness),
 * CLUSTER NODES flags no primary serving slots as failing or disconnected (slotPrimaries), and each of
 * those primaries answers PING through ioredis's connection to it, each within `timeoutMs`.
 */
export async function checkRedisReadiness(redis: RedisClient, timeoutMs = 1000): Promise<RedisReadiness> {
  if (!redis.isCluster) {
    const ok = await within(redis.ping().then(() => true), timeoutMs, false);
    return ok ? { ready: true, status: 'ready' } : { ready: false, status: 'redis unreachable' };
  }
  const cluster = redis as Cluster;
  const info = await within<string | undefined>(cluster.cluster('INFO'), timeoutMs, undefined);
  if (info === undefined) return { ready: false, status: 'redis cluster unreachable' };
  const decided = clusterInfoReadiness(info);
  if (!decided.ready) return decided;
  // The primaries serving slots, as the cluster sees them; each must be one ioredis still holds, and answer.
  const nodesText = await within(cluster.cluster('NODES') as Promise<string>, timeoutMs, undefined);
  if (nodesText === undefined) return { ready: false, status: 'redis cluster unreachable' };
  const serving = slotPrimaries(nodesText);
  if (serving.length === 0) return { ready: false, status: 'no primary serves slots' };
  const flagged = serving.find((p) => p.down);
  if (flagged) return { ready: false, status: `primary ${flagged.address} unreachable` };
  const held = new Map(cluster.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
  const answers = await Promise.all(serving.map((p) => (held.has(p.address) ? within(held.get(p.address)!.ping().then(() => true), timeoutMs, false) : Promise.resolve(false))));
  const down = serving.find((_, i) => !answers[i]);
  if (down) return { ready: false, status: `primary ${down.address} unreachable` };
  return decided;
}
