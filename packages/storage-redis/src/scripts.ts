import { createHash } from 'node:crypto';
import type { RedisCommands } from './client.js';

/** A Lua script run with EVALSHA, loaded with EVAL on a node that lacks it. @internal */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Writes the entry and announces the change in one round trip.
 * KEYS[1] entry; ARGV: value, ttl in ms ('0' = no expiry), channel, message.
 * @internal
 */
export const SET_SCRIPT: Script = script(`
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Deletes the entry, only while its fingerprint matches when one is given
 * (compare-and-delete), and announces the change.
 * KEYS[1] entry; ARGV: expected fingerprint ('' = any), channel, message.
 * @internal
 */
export const DELETE_SCRIPT: Script = script(`
if ARGV[1] ~= '' then
  local current = redis.call('GET', KEYS[1])
  if not current then return 0 end
  local ok, decoded = pcall(cjson.decode, current)
  if not ok or type(decoded) ~= 'table' or decoded.fp ~= ARGV[1] then return 0 end
end
local removed = redis.call('DEL', KEYS[1])
if removed == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return removed
`);

/**
 * Releases a lock only while this holder still owns it, so a holder whose
 * lock expired never deletes the next holder's lock.
 * KEYS[1] lock; ARGV[1] owner token.
 * @internal
 */
export const RELEASE_SCRIPT: Script = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`);

/**
 * Runs a script on the node that owns `key`. EVALSHA first (the script is
 * sent once per node); a NOSCRIPT answer (new node, restart, SCRIPT FLUSH)
 * falls back to EVAL, which also caches it there.
 * @internal
 */
export async function runScript(
  redis: RedisCommands,
  { source, sha }: Script,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(sha, 1, key, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return redis.eval(source, 1, key, ...args);
    }
    throw error;
  }
}
