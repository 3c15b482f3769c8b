// What a hostile token endpoint may answer: a token that is already expired, a
// success that carries an error, a body without end, and a Retry-After meant
// to lock the client out. Each is played by a loopback server (or the
// testkit's fault switch) against the real provider, manager and axios.
import { withForge } from '@forge/axios';
import {
  AuthenticationError,
  type ClientCredentialsOptions,
  ClientCredentialsTokenProvider,
  DiscoveryCache,
  ForgeError,
  type Token,
  TokenEndpointError,
  TokenManager,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Attacker,
  rejection,
  type StreamOutcome,
  startAttacker,
  streamWithoutEnd,
} from './core-support.js';

const MiB = 1024 * 1024;
// What a client with a limit lets through: the limit plus what sat in the
// kernel's socket buffers when it hung up (about 4 MB on loopback). A client
// without a limit reads the whole 64 MiB.
const BOUNDED_WRITE = 16 * MiB;

/** A manager whose clock a test moves forward instead of waiting. */
function managerWithClock(options: Partial<ClientCredentialsOptions> & { tokenEndpoint: string }) {
  const time = { offsetMs: 0 };
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId: 'orders-client',
      clientSecret: 'orders-client-secret',
      timeoutMs: 20_000,
      retry: false,
      ...options,
    }),
    { clock: () => Date.now() + time.offsetMs },
  );
  return { manager, time };
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 8; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

describe('token endpoint: what a hostile server may answer', () => {
  let issued = 0;
  let tokenEndpoint: Attacker;
  let upstream: Attacker;
  let answer: (res: import('node:http').ServerResponse) => void | Promise<void>;
  const streams: Promise<StreamOutcome>[] = [];

  beforeAll(async () => {
    tokenEndpoint = await startAttacker((_req, res) => answer(res));
    upstream = await startAttacker((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  afterEach(() => {
    tokenEndpoint.requests.length = 0;
    upstream.requests.length = 0;
    streams.length = 0;
  });
  afterAll(async () => {
    await tokenEndpoint.close();
    await upstream.close();
  });

  const json = (body: unknown) => (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  for (const expiresIn of [0, -60, '0', '-1']) {
    it(`expires_in ${JSON.stringify(expiresIn)}: the token is not cached for a default lifetime`, async () => {
      answer = (res) => json({ access_token: `tok-${++issued}`, expires_in: expiresIn })(res);
      const { manager, time } = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
      try {
        const first = await Promise.allSettled([manager.getToken()]);
        const firstToken = first[0]?.status === 'fulfilled' ? first[0].value : undefined;
        time.offsetMs = 60_000;
        const asked = tokenEndpoint.requests.length;
        const second = await Promise.allSettled([manager.getToken()]);
        const outcome = second[0];
        if (outcome?.status === 'fulfilled') {
          // Served: only after asking the server again, and never the 0-lifetime token.
          expect(tokenEndpoint.requests.length).toBe(asked + 1);
          expect(outcome.value.accessToken).not.toBe(firstToken?.accessToken);
        } else {
          expect(outcome?.reason).toBeInstanceOf(ForgeError);
        }
      } finally {
        await manager.close();
      }
    });
  }

  it('expires_in 0 through axios: the API never sees one expired token twice', async () => {
    answer = (res) => json({ access_token: `tok-${++issued}`, expires_in: 0 })(res);
    const { manager, time } = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
    const http = withForge(axios.create({ baseURL: upstream.url }), manager);
    try {
      const outcomes = await Promise.allSettled([http.get('/orders')]);
      time.offsetMs = 60_000;
      outcomes.push(...(await Promise.allSettled([http.get('/orders')])));
      // A call either went out with a token of its own or failed with a typed error.
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(causes(outcome.reason).some((cause) => cause instanceof ForgeError)).toBe(true);
        }
      }
      const sent = upstream.requests.map((request) => request.headers.authorization);
      expect(new Set(sent).size).toBe(sent.length);
    } finally {
      await manager.close();
    }
  });

  it('a 200 that carries `error` is an AuthenticationError, whatever else it carries', async () => {
    for (const body of [
      {
        access_token: 'tok-with-error',
        token_type: 'Bearer',
        expires_in: 3600,
        error: 'invalid_client',
      },
      { access_token: 'tok-with-error', error: 'access_denied', error_description: 'no' },
    ]) {
      answer = json(body);
      const { manager } = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
      try {
        const error = await rejection(manager.getToken());
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as AuthenticationError).error).toBe(body.error);
      } finally {
        await manager.close();
      }
    }
  });

  it('a 200 that carries `error`, through axios: the request fails typed and no token is sent', async () => {
    answer = json({ access_token: 'tok-with-error', expires_in: 3600, error: 'invalid_grant' });
    const { manager } = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
    const http = withForge(axios.create({ baseURL: upstream.url }), manager);
    try {
      const error = await rejection(http.get('/orders'));
      expect(causes(error).some((cause) => cause instanceof AuthenticationError)).toBe(true);
      for (const request of upstream.requests) {
        expect(request.headers.authorization ?? '').not.toContain('tok-with-error');
      }
    } finally {
      await manager.close();
    }
  });

  it('a body without end is a malformed answer read with bounded memory (default 1 MiB limit)', async () => {
    answer = (res) => {
      streams.push(streamWithoutEnd(res, '{"access_token":"'));
    };
    const { manager } = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
    try {
      const error = await rejection(manager.getToken());
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect((error as TokenEndpointError).reason).toBe('malformed');
      expect(streams).toHaveLength(1);
      const outcome = await streams[0];
      expect(outcome?.clientLeft).toBe(true);
      expect(outcome?.written).toBeLessThan(BOUNDED_WRITE);
    } finally {
      await manager.close();
    }
  });

  it('`maxResponseBytes` sets the limit: a finite body above it is malformed, and names the option', async () => {
    const padding = 'a'.repeat(256 * 1024);
    answer = json({ access_token: 'tok-large', expires_in: 3600, padding });
    const defaults = managerWithClock({ tokenEndpoint: `${tokenEndpoint.url}/token` });
    const limited = managerWithClock({
      tokenEndpoint: `${tokenEndpoint.url}/token`,
      maxResponseBytes: 64 * 1024,
    });
    try {
      // Under the default limit the same answer is a token.
      expect((await defaults.manager.getToken()).accessToken).toBe('tok-large');
      const error = await rejection(limited.manager.getToken());
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect((error as TokenEndpointError).reason).toBe('malformed');
      expect((error as Error).message).toContain('maxResponseBytes');
      expect((error as Error).message).not.toContain('aaaaaaaa');
    } finally {
      await defaults.manager.close();
      await limited.manager.close();
    }
  });

  it('`maxResponseBytes` also bounds a body without end', async () => {
    answer = (res) => {
      streams.push(streamWithoutEnd(res, '{"access_token":"'));
    };
    const { manager } = managerWithClock({
      tokenEndpoint: `${tokenEndpoint.url}/token`,
      maxResponseBytes: 64 * 1024,
    });
    try {
      const error = await rejection(manager.getToken());
      expect((error as TokenEndpointError).reason).toBe('malformed');
      expect((error as Error).message).toContain('maxResponseBytes');
      const outcome = await streams[0];
      expect(outcome?.clientLeft).toBe(true);
      expect(outcome?.written).toBeLessThan(BOUNDED_WRITE);
    } finally {
      await manager.close();
    }
  });
});

describe('discovery document: a body without end', () => {
  let issuer: Attacker;
  let answer: (res: import('node:http').ServerResponse) => void;
  const streams: Promise<StreamOutcome>[] = [];

  beforeAll(async () => {
    issuer = await startAttacker((_req, res) => answer(res));
  });
  afterEach(() => {
    issuer.requests.length = 0;
    streams.length = 0;
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('a metadata document without end fails typed with bounded memory, and no token request is sent', async () => {
    answer = (res) => {
      streams.push(
        streamWithoutEnd(
          res,
          `{"issuer":"${issuer.url}","token_endpoint":"${issuer.url}/token","padding":"`,
        ),
      );
    };
    const provider = new ClientCredentialsTokenProvider({
      clientId: 'orders-client',
      clientSecret: 'orders-client-secret',
      issuer: issuer.url,
      discovery: new DiscoveryCache(),
      timeoutMs: 20_000,
      retry: false,
    });
    const error = await rejection(provider.fetchToken());
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(streams.length).toBeGreaterThan(0);
    for (const outcome of await Promise.all(streams)) {
      expect(outcome.clientLeft).toBe(true);
      expect(outcome.written).toBeLessThan(BOUNDED_WRITE);
    }
    expect(issuer.requests.filter((request) => request.method === 'POST')).toEqual([]);
  });

  it('`maxResponseBytes` bounds the metadata document', async () => {
    const metadata = {
      issuer: issuer.url,
      token_endpoint: `${issuer.url}/token`,
      padding: 'a'.repeat(256 * 1024),
    };
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
    };
    // Under the default limit the document is fine.
    expect((await new DiscoveryCache().get(issuer.url)).token_endpoint).toBe(
      metadata.token_endpoint,
    );
    const error = await rejection(
      new DiscoveryCache().get(issuer.url, { maxResponseBytes: 64 * 1024 }),
    );
    expect(error).toBeInstanceOf(TokenEndpointError);
  });
});

describe('token endpoint: Retry-After is honoured only up to a cap', () => {
  let auth: AuthServer;
  let api: ResourceServer;

  beforeAll(async () => {
    auth = await startAuthServer();
    api = await startResourceServer({ auth });
  });
  afterEach(() => {
    auth.faults.clear();
  });
  afterAll(async () => {
    await api.close();
    await auth.close();
  });

  function client(extra: Partial<ClientCredentialsOptions> = {}) {
    const { clientId, clientSecret } = auth.clients.basic;
    const time = { offsetMs: 0 };
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'orders',
        clientId,
        clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
        timeoutMs: 5_000,
        // One attempt per getToken(): the manager's schedule is what is under test.
        retry: false,
        ...extra,
      }),
      { clock: () => Date.now() + time.offsetMs },
    );
    return { manager, time, clientId };
  }

  const LOCK_OUTS = [
    ['Retry-After: 86400', '86400'],
    ['Retry-After: a date in 2099', 'Thu, 01 Jan 2099 00:00:00 GMT'],
  ] as const;

  for (const [name, retryAfter] of LOCK_OUTS) {
    it(`${name}: after the default cap (60 s) getToken() asks again`, async () => {
      const { manager, time, clientId } = client();
      try {
        auth.faults.set({ mode: 'status429', retryAfter, times: 1 });
        const error = await rejection(manager.getToken());
        expect(error).toBeInstanceOf(TokenEndpointError);
        expect((error as TokenEndpointError).reason).toBe('rate-limited');
        const before = auth.tokenRequests(clientId);
        time.offsetMs = 60_001;
        const token: Token = await manager.getToken();
        expect(token.accessToken).toBeTruthy();
        expect(auth.tokenRequests(clientId)).toBe(before + 1);
      } finally {
        await manager.close();
      }
    });

    it(`${name}: a configured \`maxRetryAfterMs\` is honoured, and no longer`, async () => {
      const { manager, time, clientId } = client({ maxRetryAfterMs: 5_000 });
      try {
        auth.faults.set({ mode: 'status429', retryAfter, times: 1 });
        await rejection(manager.getToken());
        const before = auth.tokenRequests(clientId);
        time.offsetMs = 4_000;
        expect(await rejection(manager.getToken())).toBeInstanceOf(TokenEndpointError);
        expect(auth.tokenRequests(clientId)).toBe(before);
        time.offsetMs = 5_001;
        expect((await manager.getToken()).accessToken).toBeTruthy();
        expect(auth.tokenRequests(clientId)).toBe(before + 1);
      } finally {
        await manager.close();
      }
    });
  }

  it('Retry-After: 86400 through axios: the API is reachable again after the cap', async () => {
    const { manager, time } = client();
    const http = withForge(axios.create({ baseURL: api.url }), manager);
    try {
      auth.faults.set({ mode: 'status429', retryAfter: '86400', times: 1 });
      const error = await rejection(http.get('/orders'));
      expect(causes(error).some((cause) => cause instanceof TokenEndpointError)).toBe(true);
      time.offsetMs = 60_001;
      expect((await http.get('/orders')).status).toBe(200);
    } finally {
      await manager.close();
    }
  });
});
