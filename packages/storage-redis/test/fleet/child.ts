// One process of the fleet: a TokenManager on RedisTokenStorage. Driven by
// the parent over IPC: `go` fires `concurrency` getToken() calls at once
// with the clock moved forward by `offsetMs`; `exit` closes everything.
import {
  ClientCredentialsTokenProvider,
  isToken,
  PasswordGrantTokenProvider,
  Token,
  type TokenInit,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { Redis } from 'ioredis';
import { RedisTokenStorage } from '../../src/index.js';

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

/** Which token endpoint the fleet talks to. */
export type FleetEndpoint =
  | {
      readonly kind: 'client_credentials';
      readonly tokenEndpoint: string;
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly kind: 'password';
      readonly tokenEndpoint: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly username: string;
      readonly password: string;
    };

const [redisUrl, endpointJson] = process.argv.slice(2);
if (!redisUrl || !endpointJson) throw new Error('usage: child <redis url> <endpoint json>');
const endpoint = JSON.parse(endpointJson) as FleetEndpoint;

let offsetMs = 0;
const clock = (): number => Date.now() + offsetMs;

/**
 * The real provider computes expiry from the real clock; shifting its tokens
 * into the manager's moved clock lets the test jump past expiry without sleeping.
 */
function shifted(inner: TokenProvider<undefined>): TokenProvider<undefined> {
  const shift = (answer: Token | TokenInit): Token => {
    const token = isToken(answer) ? answer : new Token(answer);
    return new Token({
      ...token.toJSON(),
      expiresAt: token.expiresAtMs + offsetMs,
      issuedAt: token.issuedAtMs + offsetMs,
    });
  };
  return {
    serviceName: inner.serviceName,
    fetchToken: async (input, context) => shift(await inner.fetchToken(input, context)),
    refreshToken: async (current, input, context) =>
      shift(await inner.refreshToken!(current, input, context)),
  };
}

function providerFor(endpoint: FleetEndpoint): TokenProvider<undefined> {
  if (endpoint.kind === 'client_credentials') {
    return shifted(
      new ClientCredentialsTokenProvider({
        serviceName: 'fleet',
        tokenEndpoint: endpoint.tokenEndpoint,
        clientId: endpoint.clientId,
        clientSecret: endpoint.clientSecret,
      }),
    );
  }
  return shifted(
    new PasswordGrantTokenProvider({
      serviceName: 'fleet',
      tokenEndpoint: endpoint.tokenEndpoint,
      clientId: endpoint.clientId,
      clientSecret: endpoint.clientSecret,
      username: endpoint.username,
      password: endpoint.password,
      scope: 'offline_access',
    }),
  );
}
const provider = providerFor(endpoint);
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
// Outages are part of the tests; the storage reports them through the manager.
redis.on('error', () => {});
const storage = new RedisTokenStorage(redis);
const manager = new TokenManager(provider, {
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
