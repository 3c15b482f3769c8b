import { inspect } from 'node:util';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConfigurationError,
  GrantTypeTokenProvider,
  TokenManager,
} from '../src/index.js';

// IBM Cloud's vendor grant; the testkit accepts `<username>:<password>` as a user's API key.
const API_KEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';
const fast = { timeoutMs: 2_000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };

let auth: AuthServer;

beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 300 });
});
afterAll(async () => {
  await auth.close();
});

function client(kind: 'basic' | 'post' = 'basic') {
  const { clientId, clientSecret } = auth.clients[kind];
  return {
    clientId,
    clientSecret,
    clientAuth: kind === 'basic' ? 'client_secret_basic' : 'client_secret_post',
    issuer: auth.issuer,
    ...fast,
  } as const;
}

describe('GrantTypeTokenProvider', () => {
  it('obtains a token with a vendor grant, with the usual client authentication', async () => {
    for (const kind of ['basic', 'post'] as const) {
      const provider = new GrantTypeTokenProvider({
        ...client(kind),
        grantType: API_KEY_GRANT,
        params: { apikey: 'alice:alice-password', scope: 'read' },
        secretParams: ['apikey'],
      });
      const before = auth.tokenRequestsByGrantType()[API_KEY_GRANT] ?? 0;
      const token = await provider.fetchToken();
      expect(token.accessToken.length).toBeGreaterThan(10);
      expect(token.scope).toBe('read');
      expect(auth.tokenRequestsByGrantType()[API_KEY_GRANT]).toBe(before + 1);
    }
  });

  it('computes parameters per input, one token per cache key, through a manager', async () => {
    const provider = new GrantTypeTokenProvider<string>({
      ...client(),
      grantType: API_KEY_GRANT,
      params: (user) => ({ apikey: `${user}:${user}-password` }),
      secretParams: ['apikey'],
      cacheKey: (user) => `api-key:${user}`,
    });
    const manager = new TokenManager(provider);
    try {
      const [alice, bob, again] = await Promise.all([
        manager.getToken('alice'),
        manager.getToken('bob'),
        manager.getToken('alice'),
      ]);
      expect(again).toBe(alice);
      expect(bob.accessToken).not.toBe(alice.accessToken);
    } finally {
      await manager.close();
    }
  });

  it('turns the server refusing the grant into a typed error without the secret', async () => {
    const provider = new GrantTypeTokenProvider({
      ...client(),
      grantType: API_KEY_GRANT,
      params: { apikey: 'alice:wrong-password-s3cr3t' },
      secretParams: ['apikey'],
    });
    const error = (await provider.fetchToken().catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toBe('invalid_grant');
    for (const text of [error.message, inspect(error), JSON.stringify(error), inspect(provider)]) {
      expect(text).not.toContain('wrong-password-s3cr3t');
    }
  });

  it('validates its options', () => {
    const base = { ...client(), grantType: API_KEY_GRANT };
    const option = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).option;
      }
      return undefined;
    };
    expect(option(() => new GrantTypeTokenProvider({ ...base, grantType: '' }))).toBe('grantType');
    expect(
      option(() => new GrantTypeTokenProvider({ ...base, params: { grant_type: 'password' } })),
    ).toBe('params.grant_type');
    expect(
      option(() => new GrantTypeTokenProvider({ ...base, params: { n: 1 as unknown as string } })),
    ).toBe('params.n');
    expect(
      option(() => new GrantTypeTokenProvider<string>({ ...base, params: (u) => ({ u }) })),
    ).toBe('cacheKey');
    expect(
      option(() => new GrantTypeTokenProvider({ ...base, secretParams: 'apikey' as never })),
    ).toBe('secretParams');
  });
});
