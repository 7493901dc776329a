import type { Redis } from 'ioredis';

/**
 * Commands sent in one turn of the event loop leave in one socket write: the first command of a turn
 * corks the connection's socket and the turn's check phase (setImmediate) uncorks it. Each command is
 * still its own command with its own reply, in order (not a pipeline object, not a MULTI): only the
 * system calls are shared. Under load an API's concurrent requests send their commands in the same
 * turns, so one write carries many of them (a write per command cost a quarter of the API's CPU).
 *
 * Not ioredis's enableAutoPipelining: that builds a Pipeline per turn (copying every defined script
 * onto it) and mis-assigns replies when a script is defined while a turn's pipeline is open (ioredis
 * issue #1931). Standalone connections only (a Cluster has a connection per node).
 */
export function coalesceWrites(redis: Redis): Redis {
  const send = redis.sendCommand.bind(redis);
  let corked = false;
  redis.sendCommand = (command, stream) => {
    // A pipeline passes its own stream and writes its commands in one piece anyway.
    if (!corked && stream === undefined && redis.status === 'ready') {
      const socket = redis.stream;
      socket.cork();
      corked = true;
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  };
  return redis;
}
