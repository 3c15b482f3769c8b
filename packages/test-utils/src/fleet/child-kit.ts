// One process of a fleet: a TokenManager on the storage the child script
// made. Driven by the parent over IPC: `go` fires `concurrency` getToken()
// calls at once with the clock moved forward by `offsetMs`; `exit` closes
// everything. Imported by bundled children, so it imports only @forge/core.
import {
  ClientCredentialsTokenProvider,
  isToken,
  PasswordGrantTokenProvider,
  Token,
  type TokenInit,
  TokenManager,
  type TokenProvider,
  type TokenStorage,
} from '@forge/core';

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

/**
 * The real provider computes expiry from the real clock; shifting its tokens
 * into the manager's moved clock lets the test jump past expiry without sleeping.
 */
function shifted(inner: TokenProvider<undefined>, offset: () => number): TokenProvider<undefined> {
  const shift = (answer: Token | TokenInit): Token => {
    const token = isToken(answer) ? answer : new Token(answer);
    return new Token({
      ...token.toJSON(),
      expiresAt: token.expiresAtMs + offset(),
      issuedAt: token.issuedAtMs + offset(),
    });
  };
  return {
    serviceName: inner.serviceName,
    fetchToken: async (input, context) => shift(await inner.fetchToken(input, context)),
    refreshToken: async (current, input, context) =>
      shift(await inner.refreshToken!(current, input, context)),
  };
}

function providerFor(endpoint: FleetEndpoint, offset: () => number): TokenProvider<undefined> {
  if (endpoint.kind === 'client_credentials') {
    return shifted(
      new ClientCredentialsTokenProvider({
        serviceName: 'fleet',
        tokenEndpoint: endpoint.tokenEndpoint,
        clientId: endpoint.clientId,
        clientSecret: endpoint.clientSecret,
      }),
      offset,
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
    offset,
  );
}

/**
 * Runs this process as one member of a fleet: a manager (no skew, no
 * refresh ahead, a movable clock) on `storage`, answering the parent's
 * `go` and `exit` messages. `close` ends the storage's client.
 *
 * @example
 * ```ts
 * const storage = new RedisTokenStorage(redis);
 * runFleetChild(endpointJson, storage, () => redis.quit());
 * ```
 */
export function runFleetChild(
  endpointJson: string,
  storage: TokenStorage,
  close: () => Promise<unknown>,
): void {
  const endpoint = JSON.parse(endpointJson) as FleetEndpoint;
  let offsetMs = 0;
  const manager = new TokenManager(
    providerFor(endpoint, () => offsetMs),
    {
      storage,
      clock: () => Date.now() + offsetMs,
      skewMs: 0,
      refreshAhead: false,
    },
  );
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
        await storage.dispose?.();
        await close();
        process.disconnect();
      })();
    }
  });
  process.send?.({ type: 'ready' });
}
