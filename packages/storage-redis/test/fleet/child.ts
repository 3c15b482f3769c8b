// One process of the fleet: a TokenManager on RedisTokenStorage. Driven by
// the parent over IPC: `go` fires `concurrency` getToken() calls at once
// with the clock moved forward by `offsetMs`; `exit` closes everything.
import { TokenManager } from '@forge/core';
import { Redis } from 'ioredis';
import { RedisTokenStorage } from '../../src/index.js';
import { loopbackProvider } from './provider.js';

export interface GoMessage {
  readonly type: 'go';
  readonly offsetMs: number;
  readonly concurrency: number;
}
export interface ExitMessage {
  readonly type: 'exit';
}
export interface ResultMessage {
  readonly type: 'result';
  readonly ok: number;
  readonly failed: number;
  readonly accessTokens: string[];
  readonly errors: string[];
}

const [redisUrl, tokenUrl] = process.argv.slice(2);
if (!redisUrl || !tokenUrl) throw new Error('usage: child.ts <redis url> <token url>');

let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
// Outages are part of the tests; the storage reports them through the manager.
redis.on('error', () => {});
const storage = new RedisTokenStorage(redis);
const manager = new TokenManager(loopbackProvider(tokenUrl, clock), {
  storage,
  clock,
  skewMs: 0,
  refreshAhead: false,
});

process.on('message', (message: GoMessage | ExitMessage) => {
  if (message.type === 'go') {
    offsetMs = message.offsetMs;
    void Promise.allSettled(
      Array.from({ length: message.concurrency }, () => manager.getToken()),
    ).then((results) => {
      const tokens = new Set<string>();
      const errors: string[] = [];
      for (const result of results) {
        if (result.status === 'fulfilled') tokens.add(result.value.accessToken);
        else errors.push(String(result.reason));
      }
      const reply: ResultMessage = {
        type: 'result',
        ok: results.length - errors.length,
        failed: errors.length,
        accessTokens: [...tokens],
        errors: [...new Set(errors)],
      };
      process.send?.(reply);
    });
  } else {
    void (async () => {
      await manager.close();
      await storage.dispose();
      await redis.quit();
      process.disconnect();
    })();
  }
});
process.send?.({ type: 'ready' });
