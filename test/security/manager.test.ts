// Load and renewal an attacker (or a 401) can cause in the token manager: a
// flood of distinct keys must not grow it past `maxKeys` nor cost O(keys) per
// key, and a 401 must be answered with the refresh token the manager holds,
// never by sending the user's password again or asking the user to log in.
import { inspect } from 'node:util';
import {
  AuthorizationCodeFlow,
  DiscoveryCache,
  PasswordGrantTokenProvider,
  Token,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KEYS = 100_000;
const MAX_KEYS = 1_000;
// For starting every call. Generous: with O(keys) eviction per new key today's
// code starts fewer than half of them in this time; O(1) eviction needs a few
// seconds at most, even on a busy machine.
const BUDGET_MS = 20_000;

function keysHeld(manager: TokenManager<string>): number {
  return Number(/keys: (\d+)/.exec(inspect(manager))?.[1]);
}

describe('manager: maxKeys holds under concurrency', () => {
  it(
    `${KEYS.toLocaleString('en')} concurrent first calls settle in bounded time and leave at most maxKeys keys`,
    async () => {
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      // Every fetch waits for the gate, so all keys are in flight at once.
      const provider: TokenProvider<string> = {
        serviceName: 'tenants',
        cacheKey: (tenant) => tenant,
        fetchToken: async (tenant) => {
          await gate;
          return new Token({ accessToken: `tok-${tenant}`, expiresAt: Date.now() + 3_600_000 });
        },
      };
      const manager = new TokenManager(provider, { maxKeys: MAX_KEYS });
      const started = performance.now();
      try {
        const pending: Promise<Token>[] = [];
        for (let i = 0; i < KEYS; i++) {
          // Yield now and then, so the budget is checked however slow each call is.
          if (i % 1_000 === 0) {
            await new Promise((resolve) => setImmediate(resolve));
            if (performance.now() - started > BUDGET_MS) break;
          }
          pending.push(manager.getToken(`tenant-${i}`));
        }
        expect(pending.length, `keys started within ${BUDGET_MS} ms`).toBe(KEYS);
        open();
        const settled = await Promise.allSettled(pending);
        expect(settled.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
        expect(keysHeld(manager)).toBeLessThanOrEqual(MAX_KEYS);
      } finally {
        open();
        await manager.close();
      }
    },
    // Settling is bounded by this timeout only: it is the manager's per-call work, which eviction does not change.
    BUDGET_MS + 40_000,
  );
});

describe('manager: renewal after a 401 uses the refresh token it holds', () => {
  let auth: AuthServer;
  const bodies: string[] = [];
  // Records every token request body the provider sends.
  const recordingFetch: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') bodies.push(init.body);
    return fetch(input, init);
  };
  const grantTypes = (): (string | null)[] =>
    bodies.map((body) => new URLSearchParams(body).get('grant_type'));

  beforeAll(async () => {
    auth = await startAuthServer({ accessTokenTtlSeconds: 300 });
  });
  afterAll(async () => {
    await auth.close();
  });

  it('a password-grant manager renews with refresh_token and does not send the password again', async () => {
    const { clientId, clientSecret } = auth.clients.basic;
    const manager = new TokenManager(
      new PasswordGrantTokenProvider({
        serviceName: 'mail',
        clientId,
        clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
        username: 'alice',
        password: 'alice-password',
        scope: 'offline_access read',
        fetch: recordingFetch,
      }),
    );
    try {
      const first = await manager.getToken();
      expect(first.refreshToken).toBeTruthy();
      bodies.length = 0;
      const before = auth.tokenRequestsByGrantType();

      // What every adapter does with the token the API answered 401 to.
      await manager.invalidate(first);
      const renewed = await manager.getToken();

      expect(renewed.accessToken).not.toBe(first.accessToken);
      expect(grantTypes()).toEqual(['refresh_token']);
      expect(bodies.join('\n')).not.toContain('alice-password');
      const after = auth.tokenRequestsByGrantType();
      expect(after.password ?? 0).toBe(before.password ?? 0);
      expect(after.refresh_token ?? 0).toBe((before.refresh_token ?? 0) + 1);
    } finally {
      await manager.close();
    }
  });

  it('a per-user authorization-code manager renews after invalidate instead of asking the user to log in', async () => {
    const { clientId, clientSecret, redirectUri } = auth.clients.confidential;
    const flow = new AuthorizationCodeFlow({
      serviceName: 'calendar',
      clientId,
      clientSecret,
      issuer: auth.issuer,
      discovery: new DiscoveryCache(),
      redirectUri,
      scope: 'openid offline_access read',
      fetch: recordingFetch,
    });
    const users = new TokenManager(flow);
    try {
      const { url, codeVerifier } = await flow.authorizationUrl();
      const { code } = await auth.authorize(url, { user: 'alice' });
      const stored = await flow.completeAuthorization(users, 'user-1', { code, codeVerifier });
      expect(stored.refreshToken).toBeTruthy();
      bodies.length = 0;

      await users.invalidate(stored, 'user-1');
      const renewed = await users.getToken('user-1');

      expect(renewed.accessToken).not.toBe(stored.accessToken);
      expect(grantTypes()).toEqual(['refresh_token']);
    } finally {
      await users.close();
    }
  });
});
