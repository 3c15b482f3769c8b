// The leak check: every grant and every adapter (axios, got, ky, Nest's
// HttpService, Express's req.forge.fetch and proxy), on the happy path and on
// the broken ones, with a marker in every client secret and password. Every
// console line, stdout/stderr write, manager event, error (message, stack,
// cause chain, util.inspect, JSON) and every response body Express sends is
// captured, and none may contain a marker, an issued token, an assertion, a
// code or a verifier. Every adapter and every manager also logs to pino
// (headers and bodies on, debug level), and every log line counts too. The
// tokens are the real ones the server issued,
// captured from the token endpoint's answers on the client side (a recording
// `fetch`), since the testkit issues opaque tokens.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { withForge as axiosWithForge } from '@forge/axios';
import { main as forgeCli } from '@forge/cli';
import {
  AuthenticationError,
  AuthorizationCodeFlow,
  ClientCredentialsTokenProvider,
  clientSecretJwt,
  clientSecretPost,
  type DPoP,
  JwtBearerTokenProvider,
  logEvents,
  PasswordGrantTokenProvider,
  privateKeyJwt,
  RefreshTokenProvider,
  selfSignedTlsClientAuth,
  TokenEndpointError,
  TokenExchangeProvider,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { forge, forgeErrorHandler, PROBLEM_CONTENT_TYPE } from '@forge/express';
import { withForge as fetchWithForge } from '@forge/fetch';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeHttpModule, ForgeModule, ForgeService } from '@forge/nest';
import { PostgresTokenStorage } from '@forge/storage-postgres';
import { UnstorageTokenStorage } from '@forge/storage-unstorage';
import { skipWithoutPostgres, startPostgres } from '@forge/test-utils';
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
import pg from 'pg';
import pino from 'pino';
import { firstValueFrom } from 'rxjs';
import { Agent } from 'undici';
import { createStorage, defineDriver } from 'unstorage';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { safeJSON } from '../security/support.js';
import { leakTelemetry } from './telemetry.js';

const MARKER = `LeakMarker${randomBytes(6).toString('hex')}`;
/** In a token endpoint's query: telemetry must not carry it (see `recorded` below). */
const QUERY_MARKER = `QueryMarker${randomBytes(6).toString('hex')}`;
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

/** Every line the request logs and manager events wrote, as pino wrote them. */
const logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      haystack.push(chunk.toString('utf8'));
      done();
    },
  }),
);
/** The most a request log shows: headers and bodies, every request at debug. */
const log = { logger, headers: true, bodies: true, level: 'debug' } as const;

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
  const middleware = forge({ services: { svc: { manager, baseURL } }, log });
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

/** OpenTelemetry spans and metrics of every manager, searched with the rest. */
const telemetry = leakTelemetry();

function watch<T>(manager: TokenManager<T>): TokenManager<T> {
  telemetry.instrument(manager as unknown as TokenManager<never>);
  for (const event of [
    'started',
    'attempt',
    'fetched',
    'refreshed',
    'reused',
    'failed',
    'invalidated',
    'storageError',
    'closed',
  ] as const) {
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
  logEvents(manager, logger, { refreshed: 'debug' });
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
  await telemetry.shutdown();
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
      const http = axiosWithForge(axios.create({ baseURL: api.url }), manager, { log });
      await settle(http.get('/orders'));
      await settle(manager.forceRefresh());
    }

    // A token endpoint with a query (not a secret, so the provider's own description
    // shows it): telemetry carries the endpoint's origin, never its path or query.
    const queryManager = managerFor(
      new ClientCredentialsTokenProvider({
        serviceName: 'cc-query',
        clientId: 'leak-post',
        clientSecret: secrets.post,
        clientAuth: 'client_secret_post',
        ...common(),
        tokenEndpoint: `${auth.tokenEndpoint}?tenant=${QUERY_MARKER}`,
      }),
    );
    await settle(queryManager.getToken());

    // The same manager through got and ky.
    const [basicManager] = ccManagers as [TokenManager<never>];
    const gotClient = gotWithForge(got.extend({ prefixUrl: api.url }), basicManager, { log });
    await settle(gotClient.get('orders').json());
    const kyClient = kyWithForge(ky.create({ prefix: api.url }), basicManager, { log });
    await settle(kyClient.get('orders').json());

    // Every adapter's own error objects after a 5xx and a final 401, logged whole.
    const axiosFailing = axiosWithForge(axios.create({ baseURL: api.url }), basicManager, { log });
    const gotFailing = gotWithForge(
      got.extend({ prefixUrl: api.url, retry: { limit: 0 } }),
      basicManager,
      { log },
    );
    const kyFailing = kyWithForge(ky.create({ prefix: api.url, retry: 0 }), basicManager, { log });
    const nestProvider = new ClientCredentialsTokenProvider({
      serviceName: 'nest',
      clientId: 'leak-basic',
      clientSecret: secrets.basic,
      ...common(),
    });
    haystack.push(inspect(nestProvider, { depth: 4 }));
    const nest = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          services: { nest: { provider: nestProvider, baseURL: api.url } },
          log,
        }),
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
      const http = axiosWithForge(axios.create({ baseURL: api.url }), broken, { log });
      await settle(http.get('/orders'));
      const gotBroken = gotWithForge(
        got.extend({ prefixUrl: api.url, retry: { limit: 0 } }),
        broken,
        { log },
      );
      await settle(gotBroken.get('orders'));
      const kyBroken = kyWithForge(ky.create({ prefix: api.url, retry: 0 }), broken, { log });
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
    const storm = axiosWithForge(axios.create({ baseURL: api.url }), basicManager, { log });
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
    for (const manager of managers) {
      haystack.push(inspect(manager), inspect(manager.status(), { depth: 8 }));
      haystack.push(JSON.stringify(manager.status()));
    }
    // Spans and metrics: attributes, statuses, links and data points of every manager.
    const recorded = await telemetry.text();
    expect(recorded.spans).toBeGreaterThan(20);
    expect(recorded.points).toBeGreaterThan(20);
    expect(recorded.text).toContain('http.response.status_code');
    expect(recorded.text).toContain('FORGE_AUTHENTICATION');
    expect(recorded.text).toContain(new URL(auth.tokenEndpoint).origin);
    expect(recorded.text).not.toContain(QUERY_MARKER);
    expect(recorded.text).not.toContain('/token');
    haystack.push(recorded.text);

    // The scenario ran for real: every grant obtained tokens, and errors were produced.
    expect([...obtained].sort()).toEqual(
      [
        'cc-0',
        'cc-1',
        'cc-2',
        'cc-3',
        'cc-query',
        'code',
        'exchange',
        'jwt-bearer',
        'nest',
        'password',
        'refresh',
      ].sort(),
    );
    expect(needles.size).toBeGreaterThan(20);
    // Every adapter wrote request lines, and the managers their events.
    const written = logLines.join('');
    // Nest's HttpService is @forge/axios's; Express's req.forge.fetch is @forge/fetch's.
    for (const client of ['axios', 'got', 'ky', 'fetch', 'express']) {
      expect(written, client).toContain(`"client":"${client}"`);
    }
    for (const event of ['fetched', 'refreshed', 'failed', 'invalidated']) {
      expect(written, event).toContain(`"event":"${event}"`);
    }
    expect(written).toContain('"authorization":"[REDACTED]"');
    expect(written).toContain('"responseBody"');
    expect(logLines.length).toBeGreaterThan(60);
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

  it('storage-unstorage: drivers that fail, echo what they are given, hang or hold corrupted entries leak nothing', async () => {
    const start = haystack.length;
    // A driver whose errors echo the value it was handed: the envelope, token inside.
    let echo = '';
    const echoing = defineDriver(() => ({
      name: 'echo',
      hasItem: () => false,
      getItem: () => {
        throw new Error(`GET failed near ${echo}`);
      },
      setItem: (_key: string, value: string) => {
        echo = value;
        throw new Error(`SET failed for ${value}`);
      },
      removeItem: () => {
        throw new Error(`DEL failed near ${echo}`);
      },
      getKeys: () => [],
    }))(undefined);
    const hanging = defineDriver(() => ({
      name: 'hanging',
      hasItem: () => new Promise<boolean>(() => {}),
      getItem: () => new Promise<null>(() => {}),
      setItem: () => new Promise<void>(() => {}),
      removeItem: () => new Promise<void>(() => {}),
      getKeys: () => [],
    }))(undefined);
    const corrupted = createStorage();
    const key = new Uint8Array(32).fill(3);
    const storages = [
      new UnstorageTokenStorage(createStorage({ driver: echoing }), { operationTimeoutMs: 100 }),
      new UnstorageTokenStorage(createStorage({ driver: hanging }), { operationTimeoutMs: 50 }),
      new UnstorageTokenStorage(corrupted, { encryption: { key } }),
    ];
    for (const [i, storage] of storages.entries()) {
      haystack.push(inspect(storage, { depth: 6 }));
      const manager = watch(
        new TokenManager(
          new ClientCredentialsTokenProvider({
            serviceName: `unstorage-${i}`,
            clientId: 'leak-post',
            clientAuth: clientSecretPost('leak-post', secrets.post),
            ...common(),
          }),
          { storage },
        ),
      );
      const token = await manager.getToken();
      await settle(manager.invalidate(token));
      await settle(manager.getToken());
      // Direct calls, as a user's own code would make them, errors logged whole.
      await settle(storage.set('direct', token, 60_000));
      await settle(storage.get('direct'));
      await settle(storage.delete('direct', token));
    }
    // Corrupt every sealed entry (a flipped ciphertext), then read it from a fresh manager.
    for (const entry of await corrupted.getKeys()) {
      const value = (await corrupted.getItem(entry)) as { data: string };
      await corrupted.setItem(entry, { ...value, data: `A${value.data.slice(1)}` });
    }
    const reader = watch(
      new TokenManager(
        new ClientCredentialsTokenProvider({
          serviceName: 'unstorage-2',
          clientId: 'leak-post',
          clientAuth: clientSecretPost('leak-post', secrets.post),
          ...common(),
        }),
        { storage: storages[2] },
      ),
    );
    await settle(reader.getToken());
    expect(echo).not.toBe('');
    const written = haystack.slice(start);
    expect(
      written.filter((text) => text.includes('[forge] [storage-unstorage]')).length,
    ).toBeGreaterThan(6);
    const all = written.join('\n');
    const leaked = [...needles].filter((needle) => all.includes(needle));
    expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
  });

  it('the forge CLI: token and doctor output, healthy and broken, never holds a secret or a token', async () => {
    // The CLI uses the global fetch: remember what it sends and receives the same way.
    const original = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const body = init?.body;
      if (typeof body === 'string') {
        for (const name of SECRET_PARAMS) remember(new URLSearchParams(body).get(name));
      }
      return original(input, init).then(async (response) => {
        try {
          const json = JSON.parse(await response.clone().text()) as Record<string, unknown>;
          for (const field of ['access_token', 'refresh_token', 'id_token']) remember(json[field]);
        } catch {
          // A fault page: nothing issued.
        }
        return response;
      });
    };
    const output: string[] = [];
    const cli = async (argv: string[], env: Record<string, string> = {}) => {
      const code = await forgeCli(argv, {
        stdout: { write: (text: string) => output.push(text) },
        stderr: { write: (text: string) => output.push(text) },
        env,
      });
      output.push(`exit ${code}`);
      return code;
    };
    const basicEnv = { FORGE_CLIENT_SECRET: secrets.basic };
    const base = ['--issuer', auth.issuer, '--client-id', 'leak-basic'];
    try {
      expect(await cli(['token', ...base, '--scope', 'read'], basicEnv)).toBe(0);
      expect(await cli(['token', ...base, '--json'], basicEnv)).toBe(0);
      expect(await cli(['doctor', ...base], basicEnv)).toBe(0);
      expect(await cli(['doctor', ...base, '--json'], basicEnv)).toBe(0);
      await cli(
        [
          'token',
          '--issuer',
          auth.issuer,
          '--client-id',
          'leak-jwt',
          '--client-auth',
          'client_secret_jwt',
        ],
        { FORGE_CLIENT_SECRET: secrets.jwt },
      );
      await cli(
        [
          'token',
          ...base,
          '--grant',
          'password',
          '--username',
          'leak-user',
          '--scope',
          'openid offline_access',
        ],
        { ...basicEnv, FORGE_PASSWORD: secrets.password },
      );
      // Refused: a wrong method (probed with every secret method), a wrong password.
      expect(
        await cli(['doctor', '--issuer', auth.issuer, '--client-id', 'leak-jwt'], {
          FORGE_CLIENT_SECRET: secrets.jwt,
        }),
      ).toBe(1);
      expect(
        await cli(['token', ...base, '--grant', 'password', '--username', 'leak-user'], {
          ...basicEnv,
          FORGE_PASSWORD: `${MARKER}-wrong`,
        }),
      ).toBe(1);
      // A secret on the command line: a warning that must not repeat it.
      await cli(['token', ...base, '--client-secret', secrets.basic]);
      // Faults, through both commands.
      for (const mode of [
        'status429',
        'status503',
        'html',
        'malformed-json',
        'empty',
        'reset',
      ] as const) {
        auth.faults.set({ mode, times: 1 });
        await cli(['doctor', ...base, '--json'], basicEnv);
        auth.faults.set({ mode, times: 1 });
        await cli(['token', ...base, '--retries', '0'], basicEnv);
      }
      // Invalid input that carries a secret.
      await cli(['token', ...base, '--client-auth', secrets.basic], basicEnv);
      await cli(
        [
          'token',
          '--token-endpoint',
          `https://user:${MARKER}@auth.example/token`,
          '--client-id',
          'x',
        ],
        basicEnv,
      );
      await cli(['token', `--${MARKER}`, secrets.basic]);
      await cli(['token', ...base, '--param', `${MARKER}`], basicEnv);
      // A token shown on request is the one positive control: the detector sees it.
      const before = output.length;
      expect(await cli(['token', ...base, '--show-token'], basicEnv)).toBe(0);
      const shown = output.slice(before).join('');
      expect([...needles].some((needle) => shown.includes(needle))).toBe(true);
      output.length = before;
    } finally {
      globalThis.fetch = original;
      auth.faults.clear();
    }
    expect(output.length).toBeGreaterThan(40);
    const all = output.join('\n');
    const leaked = [...needles].filter((needle) => all.includes(needle));
    expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
  });

  it('mutual TLS: no private key of a client certificate, and no token, in any log, event or error', async () => {
    const mtlsAuth = await startAuthServer({ mtls: true });
    const mtlsApi = await startResourceServer({ auth: mtlsAuth, mtls: true });
    const agents: Agent[] = [];
    const { ca, clients } = mtlsAuth.mtls;
    const stranger = mtlsAuth.mtls.issueCertificate('leak-stranger');
    const keys = [clients.tls.key, clients.selfSigned.key, stranger.key];
    const before = needles.size;
    for (const key of keys)
      for (const line of key.split('\n')) if (!line.startsWith('-----')) remember(line);
    expect(needles.size).toBeGreaterThan(before + 3);
    const dispatcher = (certificate: { cert: string; key: string }, trusted = true) => {
      const agent = new Agent({
        connect: { ...(trusted ? { ca } : {}), cert: certificate.cert, key: certificate.key },
      });
      agents.push(agent);
      return agent;
    };
    const mtlsCommon = {
      issuer: mtlsAuth.issuer,
      fetch: recordingFetch,
      timeoutMs: 2_000,
      retry: false,
    } as const;
    try {
      const tls = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: 'mtls-tls',
          clientId: clients.tls.clientId,
          clientAuth: 'tls_client_auth',
          dispatcher: dispatcher(clients.tls),
          ...mtlsCommon,
        }),
      );
      const selfSigned = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: 'mtls-self-signed',
          clientAuth: selfSignedTlsClientAuth(clients.selfSigned.clientId),
          dispatcher: dispatcher(clients.selfSigned),
          ...mtlsCommon,
        }),
      );
      const unknownCertificate = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: 'mtls-stranger',
          clientId: clients.tls.clientId,
          clientAuth: 'tls_client_auth',
          dispatcher: dispatcher(stranger),
          ...mtlsCommon,
        }),
      );
      const untrustedServer = managerFor(
        new ClientCredentialsTokenProvider({
          serviceName: 'mtls-untrusted',
          clientId: clients.tls.clientId,
          clientAuth: 'tls_client_auth',
          dispatcher: dispatcher(clients.tls, false),
          ...mtlsCommon,
        }),
      );
      const resource = (
        certificate: { cert: string; key: string },
        manager: TokenManager<undefined>,
      ) => {
        const through = dispatcher(certificate);
        return kyWithForge(
          ky.create({
            prefix: mtlsApi.url,
            fetch: (input, init) => fetch(input, { ...init, dispatcher: through } as RequestInit),
            retry: 0,
          }),
          manager,
        );
      };
      await settle(resource(clients.tls, tls).get('orders').json());
      await settle(resource(clients.selfSigned, selfSigned).get('orders').json());
      // A stolen token with another certificate: refused, renewed once, refused again.
      await settle(resource(stranger, tls).get('orders').json());
      const refused = await unknownCertificate.getToken().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AuthenticationError);
      haystack.push(textOf(refused));
      const unreachable = await untrustedServer.getToken().catch((error: unknown) => error);
      expect(unreachable).toBeInstanceOf(TokenEndpointError);
      haystack.push(textOf(unreachable));
      for (const bad of [
        () =>
          new ClientCredentialsTokenProvider({
            clientId: 'x',
            clientAuth: 'tls_client_auth',
            issuer: mtlsAuth.issuer,
          }),
        () =>
          new ClientCredentialsTokenProvider({
            clientId: 'x',
            clientAuth: 'tls_client_auth',
            issuer: mtlsAuth.issuer,
            dispatcher: { key: stranger.key } as never,
          }),
      ]) {
        try {
          bad();
          haystack.push('no error');
        } catch (error) {
          haystack.push(textOf(error));
        }
      }
      expect(obtained).toContain('mtls-tls');
      expect(obtained).toContain('mtls-self-signed');
      const all = haystack.join('\n');
      expect(all).not.toContain('PRIVATE KEY');
      const leaked = [...needles].filter((needle) => all.includes(needle));
      expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
    } finally {
      await Promise.all(agents.map((agent) => agent.close()));
      await mtlsApi.close();
      await mtlsAuth.close();
    }
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

// PostgreSQL storage: its errors (server killed, corrupted and foreign rows,
// a read-only server, a lock held elsewhere) and its manager's events never
// carry a token, a refresh token or a client secret; rows hold no clear token.
describe.skipIf(skipWithoutPostgres)('leak check: @forge/storage-postgres', () => {
  it('keeps tokens and secrets out of its errors, events and rows', async () => {
    const start = haystack.length;
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.url, connectionTimeoutMillis: 1_000 });
    pool.on('error', (error) => haystack.push(textOf(error)));
    const storage = new PostgresTokenStorage(pool, {
      queryTimeoutMs: 5_000,
      encryption: { key: randomBytes(32) },
    });
    try {
      const manager = watch(
        new TokenManager(
          new ClientCredentialsTokenProvider({
            serviceName: 'pg-leak',
            clientId: 'leak-basic',
            clientSecret: secrets.basic,
            ...common(),
          }),
          { storage },
        ),
      );
      const token = await manager.getToken();
      const rows = JSON.stringify((await pool.query('SELECT * FROM forge_tokens')).rows);
      expect(rows).not.toContain(token.accessToken);
      for (const value of ['{broken', '{"v":1,"fp":"x","enc":{"kid":"k","iv":"i"},"data":"d"}']) {
        await pool.query('UPDATE forge_tokens SET value = $1', [value]);
        await settle(manager.forceRefresh());
      }
      await settle(Promise.resolve(storage.lock('held', 60_000)));
      await settle(Promise.resolve(storage.lock('held', 60_000)));
      await server.kill();
      await settle(manager.forceRefresh());
      await settle(storage.get('after-crash'));
      await settle(Promise.resolve(storage.set('after-crash', token, 60_000)));
      haystack.push(inspect(storage, { depth: 6 }));
    } finally {
      await storage.dispose();
      await pool.end().catch(() => {});
      await server.stop();
    }
    const mine = haystack.slice(start);
    expect(mine.some((text) => text.includes('[forge] [storage-postgres]'))).toBe(true);
    const all = mine.join('\n');
    const leaked = [...needles].filter((needle) => all.includes(needle));
    expect(leaked.map((needle) => `${needle.slice(0, 4)}… (${needle.length} chars)`)).toEqual([]);
  }, 60_000);
});
