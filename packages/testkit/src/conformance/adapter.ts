import {
  type Authorizer,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  type ForgeOptions,
  type MaybePromise,
  REDACTED,
  SENSITIVE_KEYS,
  TokenManager,
  type TokenManagerOptions,
  type TokenProvider,
} from '@forge/core';
import type { AuthorizerOrManager } from '@forge/core/adapter';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../auth-server/start-auth-server.js';
import type { AuthServer } from '../auth-server/types.js';
import {
  type ResourceServer,
  startResourceServer,
} from '../resource-server/start-resource-server.js';
import type { ContractBody } from './bodies.js';
import { checkFunction, checkName, invalid } from './checks.js';

/** What a contract request answers: non-2xx statuses are answers too, not errors. */
export interface ContractResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Per-request options of a contract client. */
export interface ContractRequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The manager key this request names, to pass with the client's own
   * per-request option: axios `{ forge: { key } }`, got and ky
   * `{ context: { forge: { key } } }`, `fetch` init `{ forge: { key } }`.
   * Absent: pass none.
   */
  readonly key?: unknown;
}

/** The HTTP client under test, bound to one adapter. */
export interface ContractClient {
  /** GET a path (relative to the base URL) or an absolute URL. */
  get(pathOrUrl: string, options?: ContractRequestOptions): Promise<ContractResponse>;
  /** POST a string, form, streamed or JSON body. */
  post(
    pathOrUrl: string,
    body: ContractBody,
    options?: ContractRequestOptions,
  ): Promise<ContractResponse>;
  /** Stops what the binding started for this client (a server); called after each test. */
  close?(): MaybePromise<void>;
}

/** How one adapter is plugged into the contract. */
export interface AdapterBinding {
  /** Shown in the test names, e.g. `axios 1.6`. */
  readonly name: string;
  /**
   * Builds a client for `baseURL` with Forge installed, passing `options`
   * (`{ policy, key }`) as the adapter takes them. HTTP error statuses must
   * come back as {@link ContractResponse}s; every other error is rethrown as
   * is. Invalid options must throw here, synchronously.
   */
  makeClient(
    baseURL: string,
    authorizerOrManager: AuthorizerOrManager<unknown>,
    options?: ForgeOptions,
  ): ContractClient;
  /** Whether the client can resend a streamed body (ky buffers every request) or must refuse. */
  readonly replaysStreamBodies: boolean;
  /**
   * Whether a client that cannot resend a streamed body answers with its 401
   * (as `fetch` would: `@forge/fetch` given a stream as `init.body`, Express's
   * `req.forge.fetch`) rather than refusing with a typed error; the token is
   * renewed all the same, so the next request gets the new one. Default `false`.
   */
  readonly answersStreamUnauthorized?: boolean;
  /**
   * Whether the adapter takes any `Authorizer` (a request signer), not only
   * a token manager. Default `true`; with `false` (an Express service takes a
   * `manager` or a `provider`) the custom-authorizer tests are reported as
   * skipped.
   */
  readonly acceptsAuthorizer?: boolean;
  /**
   * Where the caller finds the `RequestAuthorizationError` (method, URL,
   * code) of a request that could not be authorized or retried, given what
   * the client threw. Default: the thrown error itself. Express's
   * `req.forge.fetch` throws a `ServiceAuthorizationError` (the 502/503 to
   * answer with) that carries it as `cause`.
   */
  requestError?(thrown: unknown): unknown;
  /**
   * The name the adapter gives an option in its `ConfigurationError`s, from
   * the name in `withForge(client, authorizer, options)` terms (`authorizer`,
   * `policy.origins[0]`, `origins`). Default: unchanged. A framework service
   * nests it: `services.api.policy.origins[0]`.
   */
  optionName?(option: string): string;
}

const MANAGER_OPTIONS: TokenManagerOptions = { skewMs: 100, refreshAhead: false };
// The cases with 1,000 requests or a real token expiry take seconds on a busy
// machine: more than vitest's default 5 s test timeout, which the others keep.
const LONG_MS = 30_000;

/** The keys of the keyed manager: each is one of the server's clients, so `client_id` tells them apart. */
type ContractKey = 'post' | 'basic';

// Runs `count` requests with at most `width` in flight: "sequential-ish" traffic.
async function inWaves<T>(
  count: number,
  width: number,
  run: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    const wave = Array.from({ length: Math.min(width, count - start) }, (_, i) => run(start + i));
    results.push(...(await Promise.all(wave)));
  }
  return results;
}

function checkBinding(binding: unknown): asserts binding is AdapterBinding {
  if (typeof binding !== 'object' || binding === null) {
    throw invalid('binding', 'must be an object { name, makeClient, replaysStreamBodies }');
  }
  const given = binding as Record<string, unknown>;
  checkName(given.name, 'binding.name');
  if (typeof given.makeClient !== 'function') {
    throw invalid(
      'binding.makeClient',
      'must be a function (baseURL, authorizerOrManager, options) => ContractClient',
    );
  }
  if (typeof given.replaysStreamBodies !== 'boolean') {
    throw invalid(
      'binding.replaysStreamBodies',
      'must be true (the client buffers bodies and resends streams) or false (it must refuse)',
    );
  }
  if (given.acceptsAuthorizer !== undefined && typeof given.acceptsAuthorizer !== 'boolean') {
    throw invalid('binding.acceptsAuthorizer', 'must be true or false');
  }
  if (
    given.answersStreamUnauthorized !== undefined &&
    typeof given.answersStreamUnauthorized !== 'boolean'
  ) {
    throw invalid('binding.answersStreamUnauthorized', 'must be true or false');
  }
  checkFunction(given.requestError, 'binding.requestError', 'must be a function (thrown) => error');
  checkFunction(given.optionName, 'binding.optionName', 'must be a function (option) => string');
}

/** Everything an error shows: message, own properties and stack, for its causes too. */
function visibleText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    parts.push(current.message, JSON.stringify(current), String(current.stack));
    current = current.cause;
  }
  return parts.join(' ');
}

/**
 * The one behaviour contract every HTTP client adapter must pass
 * (`@forge/axios`, `@forge/got`, `@forge/ky`, Express's `req.forge.fetch`,
 * and yours), against the testkit authorization server and resource servers
 * on 127.0.0.1: token injection and reuse, single-flight under concurrency,
 * one retry after a 401, per-request keys, where credentials may go (paths,
 * origins, redirects), typed errors without secrets, body replay, custom
 * authorizers and option validation.
 *
 * @example
 * ```ts
 * import { runAdapterContract } from '@forge/testkit/conformance';
 *
 * runAdapterContract({
 *   name: 'my-client',
 *   replaysStreamBodies: false,
 *   makeClient(baseURL, authorizerOrManager, options) {
 *     const client = withForge(createMyClient({ baseURL }), authorizerOrManager, options);
 *     return { get: …, post: … };
 *   },
 * });
 * ```
 */
export function runAdapterContract(binding: AdapterBinding): void {
  checkBinding(binding);
  const signers = binding.acceptsAuthorizer !== false;
  const requestError = (thrown: unknown): unknown =>
    binding.requestError ? binding.requestError(thrown) : thrown;
  const optionName = (option: string): string =>
    binding.optionName ? binding.optionName(option) : option;

  describe(`adapter contract: ${binding.name}`, () => {
    let auth: AuthServer;
    let api: ResourceServer;
    let foreign: ResourceServer;
    const managers: TokenManager<unknown>[] = [];
    const clients: ContractClient[] = [];

    beforeAll(async () => {
      auth = await startAuthServer();
      api = await startResourceServer({
        auth,
        routes: {
          '/always-401': () => ({
            status: 401,
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
            body: { error: 'invalid_token' },
          }),
        },
      });
      foreign = await startResourceServer({ auth });
    });

    afterAll(async () => {
      await foreign?.close();
      await api?.close();
      await auth?.close();
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.close?.()));
      await Promise.all(managers.splice(0).map((manager) => manager.close()));
    });

    const provider = (name: ContractKey, server: AuthServer = auth, clientSecret?: string) => {
      const { clientId, clientSecret: secret } = server.clients[name];
      return new ClientCredentialsTokenProvider({
        clientId,
        clientSecret: clientSecret ?? secret,
        clientAuth: name === 'post' ? 'client_secret_post' : 'client_secret_basic',
        tokenEndpoint: server.tokenEndpoint,
        retry: false,
      });
    };

    const newManager = (server: AuthServer = auth, clientSecret?: string) => {
      const manager = new TokenManager(provider('post', server, clientSecret), MANAGER_OPTIONS);
      managers.push(manager as TokenManager<unknown>);
      return manager;
    };

    /** One manager, two tokens: key `basic` is the `basic` client's, no key or `post` the `post` client's. */
    const keyedManager = () => {
      const byKey = { post: provider('post'), basic: provider('basic') };
      const pick = (key: ContractKey | undefined) => {
        if (key === undefined || key === 'post') return byKey.post;
        if (key === 'basic') return byKey.basic;
        throw new Error(`the contract's manager has no key ${JSON.stringify(key)}`);
      };
      const keyed: TokenProvider<ContractKey | undefined> = {
        serviceName: 'contract-keys',
        cacheKey: (key) => `contract-keys:${key ?? 'post'}`,
        fetchToken: (key, context) => pick(key).fetchToken(undefined, context),
      };
      const manager = new TokenManager(keyed, MANAGER_OPTIONS);
      managers.push(manager as TokenManager<unknown>);
      return manager;
    };

    const make = (
      baseURL: string,
      authorizerOrManager: AuthorizerOrManager<unknown>,
      options?: ForgeOptions,
    ): ContractClient => {
      const client = binding.makeClient(baseURL, authorizerOrManager, options);
      clients.push(client);
      return client;
    };

    const fresh = (options?: ForgeOptions) => {
      auth.resetCounters();
      api.resetCounters();
      foreign.resetCounters();
      const manager = newManager();
      return { manager, client: make(api.url, manager, options) };
    };

    it('injects the token', async () => {
      const { client } = fresh();
      const response = await client.get('/orders?page=2');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        path: '/orders',
        query: { page: '2' },
        client_id: auth.clients.post.clientId,
      });
      expect(api.lastRequest()).toMatchObject({
        hadAuthorization: true,
        authorizationScheme: 'Bearer',
      });
    });

    it(
      'reuses the cached token: 1,000 requests, one token request',
      async () => {
        const { client } = fresh();
        const results = await inWaves(1_000, 50, (i) => client.get(`/items/${i}`));
        expect(results.every((r) => r.status === 200)).toBe(true);
        expect(auth.tokenRequests()).toBe(1);
        expect(api.requests({ status: 200 })).toBe(1_000);
      },
      LONG_MS,
    );

    it(
      '1,000 concurrent requests on a cold client make exactly one token request',
      async () => {
        const { client } = fresh();
        const results = await Promise.all(
          Array.from({ length: 1_000 }, (_, i) => client.get(`/cold/${i}`)),
        );
        expect(results.filter((r) => r.status === 200)).toHaveLength(1_000);
        expect(auth.tokenRequests()).toBe(1);
      },
      LONG_MS,
    );

    it('a server-side revocation during 200 concurrent requests: one refresh, one retry each, no failure', async () => {
      const { client } = fresh();
      expect((await client.get('/warm')).status).toBe(200);
      auth.resetCounters();
      api.resetCounters();
      const pending = Array.from({ length: 200 }, (_, i) => client.get(`/hot/${i}`));
      // The requests are still waiting for their (cached) token: a client calls
      // its adapter at once, so every one arrives revoked. A binding with a hop
      // of its own (Express: an HTTP request to the app) lets later ones start
      // after the refresh, with the new token: fewer 401s, the same rules.
      api.revokeAll();
      const results = await Promise.all(pending);
      expect(results.filter((r) => r.status === 200)).toHaveLength(200);
      expect(auth.tokenRequests()).toBe(1);
      expect(api.requests({ status: 401 })).toBeGreaterThan(0);
      expect(api.requests({ status: 200 })).toBe(200);
      // Per request (each has its own path): one 401 at most, then one success.
      const byPath = new Map<string, number[]>();
      for (const { path, status } of api.requestLog()) {
        byPath.set(path, [...(byPath.get(path) ?? []), status]);
      }
      expect(byPath.size).toBe(200);
      const sequences = new Set([...byPath.values()].map((statuses) => statuses.join(',')));
      expect(
        [...sequences].filter((sequence) => sequence !== '200' && sequence !== '401,200'),
      ).toEqual([]);
    });

    it('a second 401 goes back to the caller instead of looping', async () => {
      const { client } = fresh();
      const response = await client.get('/always-401');
      expect(response.status).toBe(401);
      expect(api.requests({ path: '/always-401' })).toBe(2);
      expect(auth.tokenRequests()).toBe(2);
    });

    it("a request's own key picks the manager's token; a retry after a 401 keeps it", async () => {
      auth.resetCounters();
      const { post, basic } = auth.clients;
      const client = make(api.url, keyedManager());
      expect(await client.get('/who')).toMatchObject({
        status: 200,
        body: { client_id: post.clientId },
      });
      expect(await client.get('/who', { key: 'basic' })).toMatchObject({
        status: 200,
        body: { client_id: basic.clientId },
      });
      expect(await client.get('/who', { key: 'basic' })).toMatchObject({
        body: { client_id: basic.clientId },
      });
      expect(auth.tokenRequests(basic.clientId)).toBe(1);
      api.revokeAll();
      const retried = await client.post('/orders', 'sku=A-1', {
        key: 'basic',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(retried).toMatchObject({
        status: 200,
        body: { client_id: basic.clientId, body: { sku: 'A-1' } },
      });
      expect(auth.tokenRequests(basic.clientId)).toBe(2);
      expect(auth.tokenRequests(post.clientId)).toBe(1);
    });

    it('options.key picks the key of every request that names none', async () => {
      const { post, basic } = auth.clients;
      const asked: { method: string; url: string }[] = [];
      const client = make(api.url, keyedManager(), {
        key: (request) => {
          asked.push({ method: request.method, url: request.url });
          return 'basic';
        },
      });
      expect(await client.get('/who?x=1')).toMatchObject({
        status: 200,
        body: { client_id: basic.clientId },
      });
      expect(asked[0]).toEqual({ method: 'GET', url: `${api.url}/who?x=1` });
      expect(await client.get('/who', { key: 'post' })).toMatchObject({
        status: 200,
        body: { client_id: post.clientId },
      });
    });

    it('sends no credentials to excluded paths and patterns', async () => {
      const { client } = fresh({
        policy: {
          excludedPaths: ['/health'],
          excludedPathPatterns: ['/public/*', '*/status', '/api/v*/ping'],
        },
      });
      expect((await client.get('/health')).status).toBe(200);
      expect(api.lastRequest()).toMatchObject({ path: '/health', hadAuthorization: false });
      expect((await client.get('/public/logo.png')).status).toBe(200);
      expect(api.lastRequest()).toMatchObject({ hadAuthorization: false });
      // Not public on the server: the 401 is the caller's, and not retried.
      expect((await client.get('/deep/service/status')).status).toBe(401);
      expect(api.lastRequest()).toMatchObject({
        path: '/deep/service/status',
        hadAuthorization: false,
      });
      expect((await client.get('/api/v2/ping')).status).toBe(401);
      expect((await client.get('/public/a/b')).status).toBe(200);
      expect(api.lastRequest()).toMatchObject({ path: '/public/a/b', hadAuthorization: true });
      expect(api.requests({ hadAuthorization: false })).toBe(4);
      expect(auth.tokenRequests()).toBe(1);
    });

    it('sends no credentials to an absolute URL on another origin, unless listed', async () => {
      const { client } = fresh();
      expect((await client.get(`${foreign.url}/public/x`)).status).toBe(200);
      expect((await client.get(`${foreign.url}/orders`)).status).toBe(401);
      expect(foreign.requests({ hadAuthorization: true })).toBe(0);
      expect(foreign.requests()).toBe(2);
      expect(auth.tokenRequests()).toBe(0);
      const listed = make(api.url, newManager(), { policy: { origins: [foreign.url] } });
      expect((await listed.get(`${foreign.url}/orders`)).status).toBe(200);
      expect(foreign.lastRequest()).toMatchObject({ hadAuthorization: true });
    });

    it('drops credentials on a cross-origin redirect and keeps them on a same-origin one', async () => {
      const { client } = fresh();
      const away = await client.get(
        `/redirect?to=${encodeURIComponent(`${foreign.url}/public/landing`)}`,
      );
      expect(away.status).toBe(200);
      expect(foreign.lastRequest()).toMatchObject({
        path: '/public/landing',
        hadAuthorization: false,
      });
      const home = await client.get(`/redirect?to=${encodeURIComponent(`${api.url}/landing`)}`);
      expect(home.status).toBe(200);
      expect(api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: true });
    });

    it('leaves an Authorization header the caller set alone', async () => {
      const { client } = fresh();
      await client.get('/public/mine', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(api.lastRequest()).toMatchObject({ authorizationScheme: 'Basic' });
      expect(auth.tokenRequests()).toBe(0);
      const override = make(api.url, newManager(), { policy: { overrideAuthorization: true } });
      await override.get('/public/mine', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(api.lastRequest()).toMatchObject({ authorizationScheme: 'Bearer' });
    });

    it(
      'keeps an expiring token invisible to callers',
      async () => {
        const shortLived = await startAuthServer({ accessTokenTtlSeconds: 1 });
        const server = await startResourceServer({ auth: shortLived });
        try {
          const client = make(server.url, newManager(shortLived));
          const deadline = Date.now() + 2_500;
          const statuses: number[] = [];
          // Bounded in time and count; stops once a second token was needed.
          for (let wave = 0; wave < 400 && Date.now() < deadline; wave += 1) {
            const results = await Promise.all(
              Array.from({ length: 5 }, (_, i) => client.get(`/tick/${wave}/${i}`)),
            );
            statuses.push(...results.map((r) => r.status));
            if (shortLived.tokenRequests() >= 2 && wave > 3) break;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          expect(shortLived.tokenRequests()).toBeGreaterThanOrEqual(2);
          expect(statuses.length).toBeGreaterThan(0);
          expect(statuses.filter((status) => status !== 200)).toEqual([]);
        } finally {
          await server.close();
          await shortLived.close();
        }
      },
      LONG_MS,
    );

    it('a token endpoint failure reaches the caller as a typed ForgeError with method and URL, no secret', async () => {
      auth.resetCounters();
      const secret = 'wrong-secret-that-must-not-leak';
      const client = make(api.url, newManager(auth, secret));
      const thrown = await client
        .get('/orders?access_token=leaky&page=1')
        .catch((caught: unknown) => caught);
      expect(thrown).toBeInstanceOf(ForgeError);
      const typed = requestError(thrown) as ForgeError & { method?: string; url?: string };
      expect(typed).toBeInstanceOf(ForgeError);
      expect(typed.code).toBe(ForgeErrorCode.Authentication);
      expect(typed.method).toBe('GET');
      expect(typed.url).toBe(`${api.url}/orders?access_token=%5BREDACTED%5D&page=1`);
      expect(typed.message).toContain(`GET ${api.url}/orders`);
      for (const error of [thrown, typed]) {
        const text = visibleText(error);
        expect(text).not.toContain(secret);
        expect(text).not.toContain('leaky');
      }
      expect(api.requests({ path: '/orders' })).toBe(0);
    });

    it('after a 401 resends a replayable body; a stream is resent, refused or its 401 answered', async () => {
      const { client } = fresh();
      expect((await client.get('/warm')).status).toBe(200);
      api.revokeAll();
      const replayed = await client.post('/orders', '{"sku":"A-1"}', {
        headers: { 'content-type': 'application/json' },
      });
      expect(replayed.status).toBe(200);
      expect(replayed.body).toMatchObject({ body: { sku: 'A-1' } });
      // A second client: on the first one, a second rejection this soon is damped (unauthorizedDampingMs).
      const { client: streaming } = fresh();
      expect((await streaming.get('/warm')).status).toBe(200);
      api.revokeAll();
      const outcome = await streaming
        .post(
          '/orders',
          { chunks: ['{"sku":', '"B-2"}'] },
          { headers: { 'content-type': 'application/json' } },
        )
        .catch((caught: unknown) => caught);
      if (binding.replaysStreamBodies) {
        expect(outcome).toMatchObject({ status: 200, body: { body: { sku: 'B-2' } } });
      } else if (binding.answersStreamUnauthorized) {
        expect(outcome).toMatchObject({ status: 401 });
        // Renewed meanwhile: the next request is accepted at its first attempt.
        const refused = api.requests({ path: '/orders', status: 401 });
        const again = await streaming.post('/orders', '{"sku":"B-2"}', {
          headers: { 'content-type': 'application/json' },
        });
        expect(again).toMatchObject({ status: 200, body: { body: { sku: 'B-2' } } });
        expect(api.requests({ path: '/orders', status: 401 })).toBe(refused);
      } else {
        expect(outcome).toBeInstanceOf(ForgeError);
        const typed = requestError(outcome);
        expect(typed).toBeInstanceOf(ForgeError);
        expect((typed as ForgeError).code).toBe(ForgeErrorCode.Request);
        expect((typed as Error).message).toMatch(/cannot be sent again/);
      }
    });

    // Only a binding that takes an authorizer has these; the others register none.
    if (signers) {
      it('hands a custom authorizer method, URL, lower-case headers, form body and key, and honours its replacements', async () => {
        const seen: unknown[] = [];
        const signer: Authorizer = {
          authorize(request) {
            seen.push(request);
            const url = new URL(request.url);
            url.searchParams.set('oauth_signature_method', 'TEST');
            return {
              headers: { 'x-signature': `sig:${request.method}` },
              url: url.toString(),
              ...(request.body === undefined ? {} : { body: `${String(request.body)}&signed=yes` }),
            };
          },
        };
        const client = make(api.url, signer);
        const response = await client.post(
          '/public/sign?a=1',
          new URLSearchParams({ name: 'x y' }),
          { headers: { 'X-Trace': 'T1' }, key: 'tenant-a' },
        );
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({
          query: { a: '1', oauth_signature_method: 'TEST' },
          body: { name: 'x y', signed: 'yes' },
        });
        expect(seen).toHaveLength(1);
        const request = seen[0] as {
          method: string;
          url: string;
          headers: Record<string, string>;
          body: unknown;
          attempt: number;
          key: unknown;
        };
        expect(request.method).toBe('POST');
        expect(request.url).toBe(`${api.url}/public/sign?a=1`);
        expect(request.headers['x-trace']).toBe('T1');
        expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
        expect(String(request.body)).toBe('name=x+y');
        expect(request.attempt).toBe(0);
        expect(request.key).toBe('tenant-a');
      });

      it('hands an authorizer with signsBody text and JSON bodies as sent; one without gets none', async () => {
        const seen: { signsBody: boolean; body: unknown; contentType: string | undefined }[] = [];
        const recorder = (signsBody: boolean): Authorizer => ({
          ...(signsBody ? { signsBody } : {}),
          authorize(request) {
            seen.push({
              signsBody,
              body: request.body,
              contentType: request.headers['content-type'],
            });
            return { headers: { 'x-signed': String(signsBody) } };
          },
        });
        const json = { sku: 'A-1', note: 'ünï ✓', list: [1, 2], none: null };
        const text = 'plain text, ✓ & = not a form';
        for (const signsBody of [true, false]) {
          const client = make(api.url, recorder(signsBody));
          const sentJson = await client.post('/public/json', { json });
          expect(sentJson).toMatchObject({ status: 200, body: { body: json } });
          const sentText = await client.post('/public/text', text, {
            headers: { 'content-type': 'text/plain' },
          });
          expect(sentText).toMatchObject({ status: 200, body: { body: text } });
        }
        expect(seen).toEqual([
          { signsBody: true, body: JSON.stringify(json), contentType: 'application/json' },
          { signsBody: true, body: text, contentType: 'text/plain' },
          // Without signsBody the adapter does no body work, so the client may not have set the type yet.
          expect.objectContaining({ signsBody: false, body: undefined }),
          { signsBody: false, body: undefined, contentType: 'text/plain' },
        ]);
      });
    }

    it('fails at install time with a ConfigurationError naming the option', () => {
      const manager = newManager();
      const optionOf = (run: () => unknown): string | undefined => {
        try {
          clients.push(run() as ContractClient);
        } catch (error) {
          if (error instanceof ConfigurationError) return error.option;
          throw error;
        }
        return undefined;
      };
      expect(optionOf(() => binding.makeClient(api.url, {} as never))).toBe(
        optionName('authorizer'),
      );
      expect(
        optionOf(() =>
          binding.makeClient(api.url, manager, { policy: { origins: ['not a url'] } }),
        ),
      ).toBe(optionName('policy.origins[0]'));
      expect(
        optionOf(() =>
          binding.makeClient(api.url, manager, {
            policy: { excludedPathPatterns: ['/ok/*', '/bad/[x'] },
          }),
        ),
      ).toBe(optionName('policy.excludedPathPatterns[1]'));
      // The flat policy options of old are refused, not ignored.
      expect(
        optionOf(() => binding.makeClient(api.url, manager, { origins: [api.url] } as never)),
      ).toBe(optionName('origins'));
      expect(
        optionOf(() => binding.makeClient(api.url, manager, { key: 'tenant-a' } as never)),
      ).toBe(optionName('key'));
      expect(
        optionOf(() => binding.makeClient(api.url, manager, { log: { logger: {} } } as never)),
      ).toBe(optionName('log.logger'));
    });

    describe('request logging', () => {
      /** A logger that keeps every line it is given, as pino would write it. */
      const recorder = () => {
        const lines: LoggedLine[] = [];
        const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
          lines.push({ level, ...fields, msg: message });
        };
        return {
          lines,
          logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
        };
      };
      // Bodies of fetch-based clients are read from a copy: their line comes a moment later.
      const settled = async (lines: readonly LoggedLine[], count: number) => {
        for (let waited = 0; lines.length < count && waited < 200; waited++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        return lines;
      };

      it('writes one line per request sent: method, URL, status, attempt, and a renewal after a 401', async () => {
        const { lines, logger } = recorder();
        const { manager, client } = fresh({ log: { logger } });
        expect((await client.get('/orders?page=2')).status).toBe(200);
        await settled(lines, 1);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
          level: 'info',
          method: 'GET',
          url: `${api.url}/orders?page=2`,
          status: 200,
          attempt: 0,
          authorized: true,
        });
        expect(lines[0]?.durationMs).toBeTypeOf('number');
        expect(lines[0]?.msg).toContain(`GET ${api.url}/orders?page=2 200`);
        const token = (await manager.getToken()).accessToken;
        api.revokeAll();
        expect((await client.get('/after-revoke')).status).toBe(200);
        await settled(lines, 3);
        expect(
          lines.slice(1).map(({ level, status, attempt }) => ({ level, status, attempt })),
        ).toEqual([
          { level: 'warn', status: 401, attempt: 0 },
          { level: 'info', status: 200, attempt: 1 },
        ]);
        expect(JSON.stringify(lines)).not.toContain(token);
      });

      it('redacts every sensitive key in headers, query strings and JSON and form bodies', async () => {
        const { lines, logger } = recorder();
        const { manager, client } = fresh({
          log: { logger, headers: true, bodies: true, sensitiveKeys: ['x-tenant-secret'] },
        });
        const marker = `LogMarker${Math.random().toString(36).slice(2)}`;
        const names = [...SENSITIVE_KEYS, 'x-tenant-secret'];
        // Header names a client may send (the authorization one is Forge's).
        const headers = Object.fromEntries(
          names
            .filter((name) => /^[a-z-]+$/.test(name) && name !== 'authorization')
            .map((name) => [name, `${marker}-h`]),
        );
        const query = new URLSearchParams(names.map((name) => [name, `${marker}-q`]));
        const values = Object.fromEntries(names.map((name) => [name, `${marker}-b`]));
        expect((await client.get(`/q?${query}&page=2`, { headers })).status).toBe(200);
        expect((await client.post('/json', { json: { values, plain: 'kept' } })).status).toBe(200);
        expect((await client.post('/form', new URLSearchParams(values))).status).toBe(200);
        await settled(lines, 3);
        expect(lines).toHaveLength(3);
        const text = JSON.stringify(lines);
        expect(text).not.toContain(marker);
        expect(text).not.toContain((await manager.getToken()).accessToken);
        const [get, json, form] = lines as [LoggedLine, LoggedLine, LoggedLine];
        expect(get.url).toContain(`client_secret=${REDACTED}`);
        expect(get.url).toContain('page=2');
        const sentHeaders = get.requestHeaders as Record<string, string>;
        expect(sentHeaders.authorization).toBe(REDACTED);
        expect(sentHeaders['x-api-key']).toBe(REDACTED);
        expect(sentHeaders['x-tenant-secret']).toBe(REDACTED);
        expect(get.responseHeaders).toBeTypeOf('object');
        // The API echoes what it got: the query and the bodies, redacted in the response too.
        expect(get.responseBody).toMatchObject({ query: { page: '2', code: REDACTED } });
        expect(JSON.stringify(json.requestBody)).toContain('kept');
        expect(json.responseBody).toMatchObject({
          body: { values: { password: REDACTED }, plain: 'kept' },
        });
        expect(String(form.requestBody)).toContain(`refresh_token=${REDACTED}`);
      });

      it('logs no headers and no bodies unless asked', async () => {
        const { lines, logger } = recorder();
        const { client } = fresh({ log: { logger, level: 'debug' } });
        expect((await client.post('/json', { json: { a: 1 } })).status).toBe(200);
        await settled(lines, 1);
        expect(lines[0]).toMatchObject({ level: 'debug', method: 'POST', status: 200 });
        for (const field of ['requestHeaders', 'responseHeaders', 'requestBody', 'responseBody']) {
          expect(lines[0]).not.toHaveProperty(field);
        }
      });
    });
  });
}

/** One line as the contract's recording logger keeps it. */
interface LoggedLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}
