/**
 * REDIS_CLUSTER_NODES entries: `host:port`, `[v6]:port` or `redis[s]://[[user]:password@]host:port`
 * (credentials and TLS apply to every node). The one parser: configuration checks entries with it,
 * the queue package connects with its result.
 */
export interface ClusterNodes {
  nodes: Array<{ host: string; port: number }>;
  /** Credentials and TLS of the `redis[s]://` entries, applied to every node. */
  redisOptions: { username?: string; password?: string; tls?: Record<string, never> };
}

export const CLUSTER_NODES_RULE =
  'must be comma-separated host:port entries (or redis://[user:password@]host:port), e.g. 10.0.0.1:6379,10.0.0.2:6379';

const ENTRY = /^(rediss?:\/\/([^@/\s]*@)?)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})\/?$/;

/** A bad entry; the message names its position and the rule, never its text (it may hold a password). */
export class ClusterNodesError extends RangeError {
  override readonly name = 'ClusterNodesError';
}

/** Splits "a, b," into its entries. */
export const splitClusterNodes = (text: string): string[] => text.split(',').map((p) => p.trim()).filter((p) => p !== '');

export function parseClusterNodes(entries: readonly string[]): ClusterNodes {
  const result: ClusterNodes = { nodes: [], redisOptions: {} };
  if (entries.length === 0) throw new ClusterNodesError(`a Redis Cluster needs at least one node: ${CLUSTER_NODES_RULE}`);
  entries.forEach((entry, i) => {
    const port = Number(ENTRY.exec(entry)?.[4]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ClusterNodesError(`cluster node ${i + 1}: ${CLUSTER_NODES_RULE}`);
    const url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
    result.nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (url.username) result.redisOptions.username = decodeURIComponent(url.username);
    if (url.password) result.redisOptions.password = decodeURIComponent(url.password);
    if (url.protocol === 'rediss:') result.redisOptions.tls = {};
  });
  return result;
}

/** "host:port, [v6]:port" of the startup nodes, for messages (never credentials). */
export const describeClusterNodes = (entries: readonly string[]): string =>
  parseClusterNodes(entries).nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(', ');
