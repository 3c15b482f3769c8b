// The leak check: every grant and every adapter (axios, got, ky, Nest's
// HttpService, Express's req.forge.fetch and proxy), on the happy path and on
// the broken ones, with a marker in every client secret and password. Every
// console line, stdout/stderr write, manager event, error (message, stack,
// cause chain, util.inspect, JSON) and every response body Express sends is
// captured, and none may contain a marker, an issued token, an assertion, a
// code or a verifier. The tokens are the real ones the server issued,
// captured from the token endpoint's answers on the client side (a recording
// `fetch`), since the testkit issues opaque tokens.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format, inspect } from 'node:util';
import { withForge as axiosWithForge } from '@forge/axios';
import {
  AuthorizationCodeFlow,
  ClientCredentialsTokenProvider,
  clientSecretJwt,
  clientSecretPost,
  type DPoP,
  JwtBearerTokenProvider,
  PasswordGrantTokenProvider,
  privateKeyJwt,
  RefreshTokenProvider,
  TokenExchangeProvider,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { forge, forgeErrorHandler, PROBLEM_CONTENT_TYPE } from '@forge/express';
import { withForge as fetchWithForge } from '@forge/fetch';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeHttpModule, ForgeModule, ForgeService } from '@forge/nest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
  TokenType,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import express, { type ErrorRequestHandler } from 'express';
import got from 'got';
import ky from 'ky';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { safeJSON } from '../security/support.js';

const MARKER = `LeakMarker${randomBytes(6).toString('hex')}`;
const SECRET_PARAMS = [
  'client_secret',
  'client_assertion',
  'assertion',
  'subject_token',
  'actor_token',
  'password',
  'code',
  'code_verifier',
  'refresh_token',
];

/** Every value that must never show up: markers, credentials sent, tokens received. */
const needles = new Set<string>([MARKER]);
function remember(value: unknown): void {
  if (typeof value === 'string' && value.length >= 8) needles.add(value);
}

/** A `fetch` that remembers the secrets it sends and the tokens it receives, then forwards. */
const recordingFetch: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  remember(headers.get('dpop'));
  const authorization = headers.get('authorization');
  if (authorization?.startsWith('DPoP ')) remember(authorization.slice(5));
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    remember(decoded);
    remember(decodeURIComponent((decoded.split(':')[1] ?? '').replace(/\+/g, ' ')));
  }
  const body = init?.body;
  if (typeof body === 'string' || body instanceof URLSearchParams) {
    const params = new URLSearchParams(body);
    for (const name of SECRET_PARAMS) remember(params.get(name));
  }
  const response = await fetch(input, init);
  try {
    const json = JSON.parse(await response.clone().text()) as Record<string, unknown>;
    remember(json.access_token);
    remember(json.refresh_token);
    remember(json.id_token);
  } catch {
    // Not a JSON answer (a fault page): nothing issued.
  }
  return response;
};

/** Everything written where a person or a log pipeline could read it. */
const haystack: string[] = [];

/**
 * What an application would log for an error: all of it. Forge's own errors,
 * and the HTTP clients' own errors too (AxiosError, got's and ky's errors):
 * Forge keeps its credentials out of those (a caller's own headers would be
 * theirs, but no request here sets one), so `util.inspect` and `JSON` of the
 * whole error count, down the cause chain.
 */
function textOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    parts.push(current.message, current.stack ?? '');
    current = current.cause;
  }
  parts.push(inspect(error, { depth: 10 }), safeJSON(error));
  return parts.join('\n');
}

/** What a result looks like in a log: an HTTP response's status and body, anything else inspected. */
function logged(value: unknown): string {
  if (Array.isArray(value)) return value.map(logged).join('\n');
  const response = value as { status?: unknown; data?: unknown; config?: unknown } | null;
  if (
    response !== null &&
    typeof response === 'object' &&
    'config' in response &&
    'data' in response
  ) {
    return JSON.stringify({ status: response.status, data: response.data });
  }
  return inspect(value, { depth: 4 });
}

async function settle(promise: Promise<unknown>): Promise<void> {
  try {
    haystack.push(logged(await promise));
  } catch (error) {
    haystack.push(textOf(error));
  }
}

/**
 * Serves `manager`'s service through an Express app, from a handler's
 * `req.forge.fetch` and through the proxy, with forgeErrorHandler and then
 * Express's own final handler (which renders the stack outside production):
 * every answer the app sends, and every error its handlers see, is logged.
 */
async function throughExpress(
  manager: TokenManager<undefined>,
  baseURL: string,
  paths: readonly string[],
): Promise<void> {
  const middleware = forge({ services: { svc: { manager, baseURL } } });
  const app = express();
  app.use(middleware);
  app.get('/call', async (req, res) => {
    const response = await req.forge.fetch('svc', String(req.query.path));
    res.status(response.status).send(await response.text());
  });
  app.use('/proxy', middleware.proxy('svc', { timeoutMs: 1_000 }));
  const logError: ErrorRequestHandler = (error, _req, _res, next) => {
    haystack.push(textOf(error));
    next(error);
  };
  app.use(logError, forgeErrorHandler());
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const path of paths) {
      for (const url of [`/call?path=${encodeURIComponent(path)}`, `/proxy${path}`]) {
        const response = await fetch(`${origin}${url}`);
        haystack.push(
          JSON.stringify({
            status: response.status,
            headers: Object.fromEntries(response.headers),
            body: await response.text(),
          }),
        );
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const managers: TokenManager<never>[] = [];
/** Services that obtained at least one token, to prove every grant really ran. */
const obtained = new Set<string>();

function watch<T>(manager: TokenManager<T>): TokenManager<T> {
  for (const event of ['fetched', 'refreshed', 'failed', 'invalidated', 'storageError'] as const) {
    manager.on(event, (payload) => {
      if (event === 'fetched' || event === 'refreshed') obtained.add(payload.serviceName);
      haystack.push(
        JSON.stringify(payload, (_key, value: unknown) =>
          value instanceof Error ? textOf(value) : value,
        ),
        inspect(payload, { depth: 8 }),
      );
    });
  }
  haystack.push(inspect(manager));
  managers.push(manager as unknown as TokenManager<never>);
  return manager;
}

function managerFor<T>(provider: TokenProvider<T>): TokenManager<T> {
  haystack.push(inspect(provider, { depth: 4 }));
  return watch(new TokenManager(provider));
}

let auth: AuthServer;
let api: ResourceServer;
const secrets = {
  basic: `${MARKER}-basic-${randomBytes(8).toString('hex')}`,
  post: `${MARKER}-post-${randomBytes(8).toString('hex')}`,
  jwt: `${MARKER}-jwt-${randomBytes(24).toString('hex')}`,
  password: `${MARKER}-password`,
};

const restore: (() => void)[] = [];

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      haystack.push(format(...args));
    });
    restore.push(() => spy.mockRestore());
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      haystack.push(String(chunk));
      return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  auth = await startAuthServer({
    users: [{ username: 'leak-user', password: secrets.password }],
  });
  api = await startResourceServer({
    auth,
    routes: {
      '/unavailable': () => ({ status: 503, body: { error: 'unavailable' } }),
      '/refused': () => ({
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        body: { error: 'invalid_token' },
      }),
    },
  });
  await auth.registerClient({
    client_id: 'leak-basic',
    client_secret: secrets.basic,
    token_endpoint_auth_method: 'client_secret_basic',
  });
  await auth.registerClient({
    client_id: 'leak-post',
    client_secret: secrets.post,
    token_endpoint_auth_method: 'client_secret_post',
  });
  await auth.registerClient({
    client_id: 'leak-jwt',
    client_secret: secrets.jwt,
    token_endpoint_auth_method: 'client_secret_jwt',
    token_endpoint_auth_signing_alg: 'HS256',
  });
  const pem = auth.clients.privateKeyJwt.privateKeyPem;
  for (const line of pem.split('\n')) if (!line.startsWith('-----')) remember(line);
  remember(auth.clients.privateKeyJwt.privateJwk.d);
});

afterAll(async () => {
  for (const manager of managers) await manager.close();
  await api?.close();
  await auth?.close();
  for (const undo of restore) undo();
});

const common = () => ({
  tokenEndpoint: auth.tokenEndpoint,
  fetch: recordingFetch,
  timeoutMs: 2_000,
});

describe('leak check: no secret, token or assertion in any log, event or error', () => {
  it('runs every grant, client authentication and adapter, healthy and broken', async () => {
    // Client credentials with every client authentication method, through axios.
    const clientAuths = [
      { clientId: 'leak-basic', clientSecret: secrets.basic },
      { clientAuth: clientSecretPost('leak-post', secrets.post) },
      { clientAuth: clientSecretJwt('leak-jwt', secrets.jwt) },
      {
        clientAuth: privateKeyJwt(
          auth.clients.privateKeyJwt.clientId,
          auth.clients.privateKeyJwt.privateKeyPem,
          { kid: auth.clients.privateKeyJwt.kid },
        ),
      },
    ];
    const ccManagers = clientAuths.map((options, index) =>
      managerFor(
        new ClientCredentialsTokenProvider({ serviceName: `cc-${index}`, ...options, ...common() }),
      ),
    );
    for (const manager of ccManagers) {
      const http = axiosWithForge(axios.create({ baseURL: api.url }), manager);
      await settle(http.get('/orders'));
      await settle(manager.forceRefresh());
    }

    // The same manager through got and ky.
    const [basicManager] = ccManagers as [TokenManager<never>];
    const gotClient = gotWithForge(got.extend({ prefixUrl: api.url }), basicManager);
    await settle(gotClient.get('orders').json());
    const kyClient = kyWithForge(ky.create({ prefix: api.url }), basicManager);
    await settle(kyClient.get('orders').json());

    // Every adapter's own error objects after a 5xx and a final 401, logged whole.
    const axiosFailing = axiosWithForge(axios.create({ baseURL: api.url }), basicManager);
    const gotFailing = gotWithForge(
      got.extend({ prefixUrl: api.url, retry: { limit: 0 } }),
      basicManager,
    );
    const kyFailing = kyWithForge(ky.create({ prefix: api.url, retry: 0 }), basicManager);
    const nestProvider = new ClientCredentialsTokenProvider({
      serviceName: 'nest',
      clientId: 'leak-basic',
      clientSecret: secrets.basic,
      ...common(),
    });
    haystack.push(inspect(nestProvider, { depth: 4 }));
    const nest = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({ services: { nest: { provider: nestProvider, baseURL: api.url } } }),
        ForgeHttpModule.register({ service: 'nest' }),
      ],
    }).compile();
    try {
      watch(nest.get(ForgeService).manager('nest'));
      const nestHttp = nest.get(HttpService);
      for (const path of ['/unavailable', '/refused']) {
        await settle(axiosFailing.get(path));
        await settle(gotFailing.get(path.slice(1)));
        await settle(kyFailing.get(path.slice(1)));
        await settle(firstValueFrom(nestHttp.get(path)));
      }
    } finally {
      await nest.close();
    }

    // Express: upstream answers relayed and proxied, and an upstream that cannot be reached.
    await throughExpress(basicManager, api.url, ['/orders', '/unavailable', '/refused']);
    await throughExpress(basicManager, 'http://127.0.0.1:9', ['/orders']);

    // Password grant, its refresh, and a RefreshTokenProvider from the refresh token.
    const password = managerFor(
      new PasswordGrantTokenProvider({
        serviceName: 'password',
        clientId: 'leak-basic',
        clientSecret: secrets.basic,
        username: 'leak-user',
        password: secrets.password,
        scope: 'openid offline_access read',
        ...common(),
      }),
    );
    const userToken = await password.getToken();
    await settle(password.forceRefresh());
    const latest = await password.getToken();
    if (latest.refreshToken) {
      const refresh = managerFor(
        new RefreshTokenProvider({
          serviceName: 'refresh',
          clientId: 'leak-basic',
          clientSecret: secrets.basic,
          refreshToken: latest.refreshToken,
          ...common(),
        }),
      );
      await settle(refresh.getToken());
    }

    // Token exchange (a testkit subject token, then a real access token as subject).
    const exchange = managerFor(
      new TokenExchangeProvider({
        serviceName: 'exchange',
        clientId: 'leak-post',
        clientAuth: clientSecretPost('leak-post', secrets.post),
        audience: auth.issuer,
        ...common(),
      }),
    );
    const subject = await auth.tokenExchange.createSubjectToken({ subject: 'leak-user' });
    remember(subject);
    await settle(exchange.getToken({ subjectToken: subject, subjectTokenType: TokenType.Jwt }));
    await settle(exchange.getToken({ subjectToken: userToken.accessToken }));

    // JWT bearer with an assertion from the trusted issuer.
    const jwtBearer = managerFor(
      new JwtBearerTokenProvider({
        serviceName: 'jwt-bearer',
        clientId: 'leak-basic',
        clientSecret: secrets.basic,
        assertion: async ({ tokenEndpoint }) => {
          const assertion = await auth.jwtBearer.createAssertion({
            subject: 'leak-user',
            audience: tokenEndpoint,
          });
          remember(assertion);
          return assertion;
        },
        ...common(),
      }),
    );
    await settle(jwtBearer.getToken());

    // Authorization code with PKCE, then a refresh of the user's token.
    const flow = new AuthorizationCodeFlow({
      serviceName: 'code',
      clientId: auth.clients.confidential.clientId,
      clientSecret: auth.clients.confidential.clientSecret,
      issuer: auth.issuer,
      redirectUri: auth.clients.confidential.redirectUri,
      scope: 'openid offline_access read',
      fetch: recordingFetch,
    });
    remember(auth.clients.confidential.clientSecret);
    const users = managerFor(flow);
    const { url, codeVerifier } = await flow.authorizationUrl();
    remember(codeVerifier);
    const { code } = await auth.authorize(url, { user: 'leak-user' });
    remember(code);
    await settle(flow.completeAuthorization(users, 'user-1', { code, codeVerifier }));
    await settle(users.forceRefresh('user-1'));
    await settle(flow.exchangeCode({ code, codeVerifier })); // a reused code: invalid_grant

    // Broken paths: a wrong secret, every fault, a revoked token, bad configuration.
    const wrong = managerFor(
      new ClientCredentialsTokenProvider({
        serviceName: 'wrong',
        clientId: 'leak-basic',
        clientSecret: `${MARKER}-wrong-secret`,
        ...common(),
      }),
    );
    await settle(wrong.getToken());
    await throughExpress(wrong, api.url, ['/orders']);
    for (const mode of [
      'status500',
      'status429',
      'html',
      'malformed-json',
      'empty',
      'reset',
      'hang',
    ] as const) {
      const broken = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: `fault-${mode}`,
          clientId: 'leak-post',
          clientAuth: clientSecretPost('leak-post', secrets.post),
          retry: false,
          ...common(),
          timeoutMs: 300,
        }),
      );
      auth.faults.set({ mode, retryAfter: '1' });
      const http = axiosWithForge(axios.create({ baseURL: api.url }), broken);
      await settle(http.get('/orders'));
      const gotBroken = gotWithForge(
        got.extend({ prefixUrl: api.url, retry: { limit: 0 } }),
        broken,
      );
      await settle(gotBroken.get('orders'));
      const kyBroken = kyWithForge(ky.create({ prefix: api.url, retry: 0 }), broken);
      await settle(kyBroken.get('orders'));
      // A manager of its own, so Express meets the fault and not a failure remembered.
      const expressBroken = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: `express-fault-${mode}`,
          clientId: 'leak-post',
          clientAuth: clientSecretPost('leak-post', secrets.post),
          retry: false,
          ...common(),
          timeoutMs: 300,
        }),
      );
      await throughExpress(expressBroken, api.url, ['/orders']);
      auth.faults.clear();
    }
    const storm = axiosWithForge(axios.create({ baseURL: api.url }), basicManager);
    await storm.get('/orders');
    api.revokeAll();
    await settle(Promise.all(Array.from({ length: 10 }, () => storm.get('/orders'))));
    await settle(storm.get(`/redirect?to=${encodeURIComponent('http://127.0.0.1:9/elsewhere')}`));
    for (const bad of [
      () =>
        new ClientCredentialsTokenProvider({
          clientId: 'x',
          clientSecret: secrets.basic,
          tokenEndpoint: `https://user:${MARKER}@auth.example/token`,
        }),
      () =>
        new ClientCredentialsTokenProvider({
          clientId: 'x',
          clientSecret: secrets.basic,
          tokenEndpoint: `not a url ${MARKER}`,
        }),
      () => new TokenManager({ serviceName: `svc`, fetchToken: secrets.basic } as never),
    ]) {
      try {
        bad();
        haystack.push('no error');
      } catch (error) {
        haystack.push(textOf(error));
      }
    }
    for (const manager of managers) haystack.push(inspect(manager));

    // The scenario ran for real: every grant obtained tokens, and errors were produced.
    expect([...obtained].sort()).toEqual(
      [
        'cc-0',
        'cc-1',
        'cc-2',
        'cc-3',
        'code',
        'exchange',
        'jwt-bearer',
        'nest',
        'password',
        'refresh',
      ].sort(),
    );
    expect(needles.size).toBeGreaterThan(20);
    expect(haystack.length).toBeGreaterThan(50);
    expect(haystack.some((text) => text.includes('[forge]'))).toBe(true);
    // Express answered problems (token failures, an unreachable upstream) and they were logged.
    expect(haystack.filter((text) => text.includes(PROBLEM_CONTENT_TYPE)).length).toBeGreaterThan(
      8,
    );

    // The detector works: a token's storage JSON holds its access token, and is caught.
    const stored = JSON.stringify(await basicManager.getToken());
    expect([...needles].some((needle) => stored.includes(needle))).toBe(true);

    const all = haystack.join('\n');
    const leaked = [...needles].filter((needle) => all.includes(needle));
    expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
  });
  it('DPoP: no token, proof or private key in any log, event or error, healthy and broken', async () => {
    const dpopAuth = await startAuthServer({ dpop: { nonce: true } });
    const plainAuth = await startAuthServer();
    const seen = (headers: Readonly<Record<string, string | string[] | undefined>>) => {
      remember(headers.dpop as string | undefined);
      remember(String(headers.authorization ?? '').slice(5));
    };
    const dpopApi = await startResourceServer({
      auth: dpopAuth,
      dpop: { nonce: true },
      routes: {
        '/orders': ({ headers }) => {
          seen(headers);
          return { body: { ok: true } };
        },
        '/unavailable': ({ headers }) => {
          seen(headers);
          return { status: 503, body: { error: 'unavailable' } };
        },
      },
    });
    const skewedApi = await startResourceServer({
      auth: dpopAuth,
      dpop: { clockOffsetSeconds: 3_600 },
    });
    try {
      // A key whose private part we know, so it can be searched for.
      const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
      remember(privateJwk.d);
      const dpopProvider = (server: AuthServer, name: string, allowBearer = false) =>
        new ClientCredentialsTokenProvider({
          serviceName: name,
          clientId: server.clients.basic.clientId,
          clientSecret: server.clients.basic.clientSecret,
          tokenEndpoint: server.tokenEndpoint,
          fetch: recordingFetch,
          timeoutMs: 2_000,
          dpop: { key: privateJwk, allowBearer },
        });
      remember(dpopAuth.clients.basic.clientSecret);
      remember(plainAuth.clients.basic.clientSecret);
      const manager = managerFor(dpopProvider(dpopAuth, 'dpop'));
      await settle(manager.getToken());

      // Every adapter, against a resource server that checks proofs and demands its nonce.
      for (const path of ['/orders', '/unavailable']) {
        await settle(axiosWithForge(axios.create({ baseURL: dpopApi.url }), manager).get(path));
        // `.json()`, as above: a whole got Response holds the request it answered (`req._header`).
        await settle(
          gotWithForge(got.extend({ prefixUrl: dpopApi.url, retry: { limit: 0 } }), manager)
            .get(path.slice(1))
            .json(),
        );
        await settle(
          kyWithForge(ky.create({ prefix: dpopApi.url, retry: 0 }), manager).get(path.slice(1)),
        );
        await settle(
          fetchWithForge(recordingFetch, manager, { policy: { baseURL: dpopApi.url } })(
            `${dpopApi.url}${path}`,
          ),
        );
      }
      await throughExpress(manager, dpopApi.url, ['/orders', '/unavailable']);

      // Refused proofs: a server clock an hour ahead (beyond the bound), through every adapter.
      await settle(
        axiosWithForge(axios.create({ baseURL: skewedApi.url }), manager).get('/orders'),
      );
      await settle(
        gotWithForge(got.extend({ prefixUrl: skewedApi.url, retry: { limit: 0 } }), manager).get(
          'orders',
        ),
      );
      await settle(
        kyWithForge(ky.create({ prefix: skewedApi.url, retry: 0 }), manager).get('orders'),
      );
      await throughExpress(manager, skewedApi.url, ['/orders']);

      // A server that answers Bearer (a downgrade), refused and allowed.
      const downgraded = managerFor(dpopProvider(plainAuth, 'dpop-downgrade'));
      await settle(
        axiosWithForge(axios.create({ baseURL: dpopApi.url }), downgraded).get('/orders'),
      );
      await settle(managerFor(dpopProvider(plainAuth, 'dpop-allowed', true)).getToken());

      // A token whose key was rotated out, and keys that are not usable.
      const token = await manager.getToken();
      const dpop = manager.dpop as DPoP;
      await dpop.rotate();
      await dpop.rotate();
      await settle(
        dpop.proof({
          method: 'GET',
          url: dpopApi.url,
          accessToken: token.accessToken,
          thumbprint: token.jkt,
        }),
      );
      for (const key of [
        { ...privateJwk, crv: 'P-384' },
        { ...privateJwk, x: 'AAAA' },
        { kty: 'EC', crv: 'P-256', d: privateJwk.d },
      ]) {
        const broken = managerFor(
          new ClientCredentialsTokenProvider({
            serviceName: 'dpop-bad-key',
            clientId: 'x',
            clientSecret: secrets.basic,
            tokenEndpoint: dpopAuth.tokenEndpoint,
            dpop: { key },
          }),
        );
        await settle(broken.getToken());
      }
      haystack.push(inspect(dpop, { depth: 8 }), JSON.stringify(dpop), String(dpop));
      for (const made of managers) haystack.push(inspect(made));

      expect(obtained.has('dpop')).toBe(true);
      expect(obtained.has('dpop-allowed')).toBe(true);
      expect(dpopApi.requests({ status: 200 })).toBeGreaterThan(4);
      expect(skewedApi.requests({ status: 401 })).toBeGreaterThan(2);
      expect(
        haystack.some((text) => text.includes('dpop_downgrade') || text.includes('allowBearer')),
      ).toBe(true);
      // The detector sees proofs and the key: the proofs sent were recorded, and a JWK export shows `d`.
      expect([...needles].some((needle) => needle.split('.').length === 3)).toBe(true);
      expect(JSON.stringify(privateJwk)).toContain(privateJwk.d as string);

      const all = haystack.join('\n');
      const leaked = [...needles].filter((needle) => all.includes(needle));
      expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
    } finally {
      await skewedApi.close();
      await dpopApi.close();
      await plainAuth.close();
      await dpopAuth.close();
    }
  });
});
