import type { RedisClient } from './redis.js';

export interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * The connection with these Lua scripts as commands (ioredis runs them with EVALSHA, loading them
 * on NOSCRIPT). Each is defined once per connection, on first use. `T` names the commands' types.
 */
export function withScripts<T extends object>(redis: RedisClient, scripts: Readonly<Record<string, ScriptDefinition>>): RedisClient & T {
  const commands = redis as unknown as Record<string, unknown>;
  for (const [name, script] of Object.entries(scripts)) {
    if (typeof commands[name] !== 'function') redis.defineCommand(name, script);
  }
  return redis as RedisClient & T;
}
