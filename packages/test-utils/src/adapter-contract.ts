import { Readable } from 'node:stream';
import {
  type Authorizer,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  type RequestPolicyOptions,
  TokenManager,
  type TokenManagerOptions,
} from '@forge/core';
import type { AuthorizerOrManager } from '@forge/core/adapter';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** What a contract request answers: non-2xx statuses are answers too, not errors. */
export interface ContractResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Per-request options of a contract client. */
export interface ContractRequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
}

/** A body a contract client must send as a stream, in the client's own stream type. */
export interface StreamBody {
  readonly chunks: readonly string[];
}

/**
 * A value the client itself serializes as JSON: axios object `data`, got and
 * ky `json`.
 */
export interface JsonBody {
  readonly json: unknown;
}

/** The HTTP client under test, bound to one adapter. */
export interface ContractClient {
  /** GET a path (relative to the base URL) or an absolute URL. */
  get(pathOrUrl: string, options?: ContractRequestOptions): Promise<ContractResponse>;
  /** POST a string, form, streamed or JSON body. */
  post(
    pathOrUrl: string,
    body: string | URLSearchParams | StreamBody | JsonBody,
    options?: ContractRequestOptions,
  ): Promise<ContractResponse>;
  /** Removes Forge from the client, when the adapter supports it. */
  uninstall?(): void;
}

/** How one adapter is plugged into the contract. */
export interface AdapterBinding {
  /** Shown in the test names, e.g. `axios 1.6`. */
  readonly name: string;
  /**
   * Builds a client for `baseURL` with Forge installed. HTTP error statuses must
   * come back as {@link ContractResponse}s; every other error is rethrown as is.
   */
  makeClient(
    baseURL: string,
    authorizerOrManager: AuthorizerOrManager,
    options?: RequestPolicyOptions,
  ): ContractClient;
  /** Whether the client can resend a streamed body (ky buffers every request) or must refuse. */
  readonly replaysStreamBodies: boolean;
}

/** Turns a {@link StreamBody} into a Node `Readable`, for bindings whose client takes one. */
export function nodeStream(body: StreamBody): Readable {
  return Readable.from(body.chunks);
}

const MANAGER_OPTIONS: TokenManagerOptions = { skewMs: 100, refreshAhead: false };

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

/**
 * The one behaviour contract every HTTP client adapter (`@forge/axios`,
 * `@forge/got`, `@forge/ky`) must pass, against the testkit authorization
 * server and resource servers on 127.0.0.1.
 *
 * @example
 * ```ts
 * runAdapterContract({
 *   name: 'axios',
 *   replaysStreamBodies: false,
 *   makeClient(baseURL, authorizer, options) { … },
 * });
 * ```
 */
export function runAdapterContract(binding: AdapterBinding): void {
  describe(`adapter contract: ${binding.name}`, () => {
    let auth: AuthServer;
    let api: ResourceServer;
    let foreign: ResourceServer;
    const managers: TokenManager<unknown>[] = [];

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
      await Promise.all(managers.splice(0).map((manager) => manager.close()));
    });

    const newManager = (server: AuthServer = auth, clientSecret?: string) => {
      const { clientId, clientSecret: secret } = server.clients.post;
      const manager = new TokenManager(
        new ClientCredentialsTokenProvider({
          clientId,
          clientSecret: clientSecret ?? secret,
          clientAuth: 'client_secret_post',
          tokenEndpoint: server.tokenEndpoint,
          retry: false,
        }),
        MANAGER_OPTIONS,
      );
      managers.push(manager as TokenManager<unknown>);
      return manager;
    };

    const fresh = (options?: RequestPolicyOptions) => {
      auth.resetCounters();
      api.resetCounters();
      foreign.resetCounters();
      const manager = newManager();
      return { manager, client: binding.makeClient(api.url, manager, options) };
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

    it('reuses the cached token: 1,000 requests, one token request', async () => {
      const { client } = fresh();
      const results = await inWaves(1_000, 50, (i) => client.get(`/items/${i}`));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(auth.tokenRequests()).toBe(1);
      expect(api.requests({ status: 200 })).toBe(1_000);
    });

    it('1,000 concurrent requests on a cold client make exactly one token request', async () => {
      const { client } = fresh();
      const results = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => client.get(`/cold/${i}`)),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1_000);
      expect(auth.tokenRequests()).toBe(1);
    });

    it('a server-side revocation during 200 concurrent requests: one refresh, one retry each, no failure', async () => {
      const { client } = fresh();
      expect((await client.get('/warm')).status).toBe(200);
      auth.resetCounters();
      api.resetCounters();
      const pending = Array.from({ length: 200 }, (_, i) => client.get(`/hot/${i}`));
      // The requests are still waiting for their (cached) token: every one arrives revoked.
      api.revokeAll();
      const results = await Promise.all(pending);
      expect(results.filter((r) => r.status === 200)).toHaveLength(200);
      expect(auth.tokenRequests()).toBe(1);
      expect(api.requests({ status: 401 })).toBe(200);
      expect(api.requests({ status: 200 })).toBe(200);
      expect(api.requests()).toBe(400);
    });

    it('a second 401 goes back to the caller instead of looping', async () => {
      const { client } = fresh();
      const response = await client.get('/always-401');
      expect(response.status).toBe(401);
      expect(api.requests({ path: '/always-401' })).toBe(2);
      expect(auth.tokenRequests()).toBe(2);
    });

    it('sends no credentials to excluded paths and patterns', async () => {
      const { client } = fresh({
        excludedPaths: ['/health'],
        excludedPathPatterns: ['/public/*', '*/status', '/api/v*/ping'],
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
      const listed = binding.makeClient(api.url, newManager(), { origins: [foreign.url] });
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
      const override = binding.makeClient(api.url, newManager(), { overrideAuthorization: true });
      await override.get('/public/mine', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(api.lastRequest()).toMatchObject({ authorizationScheme: 'Bearer' });
    });

    it('keeps an expiring token invisible to callers', async () => {
      const shortLived = await startAuthServer({ accessTokenTtlSeconds: 1 });
      const server = await startResourceServer({ auth: shortLived });
      try {
        const client = binding.makeClient(server.url, newManager(shortLived));
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
    });

    it('a token endpoint failure reaches the caller as a typed ForgeError with method and URL, no secret', async () => {
      auth.resetCounters();
      const secret = 'wrong-secret-that-must-not-leak';
      const client = binding.makeClient(api.url, newManager(auth, secret));
      const error = await client
        .get('/orders?access_token=leaky&page=1')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ForgeError);
      const typed = error as ForgeError & { method?: string; url?: string };
      expect(typed.code).toBe(ForgeErrorCode.Authentication);
      expect(typed.method).toBe('GET');
      expect(typed.url).toBe(`${api.url}/orders?access_token=%5BREDACTED%5D&page=1`);
      expect(typed.message).toContain(`GET ${api.url}/orders`);
      const text = `${typed.message} ${JSON.stringify(typed)} ${String(typed.stack)}`;
      expect(text).not.toContain(secret);
      expect(text).not.toContain('leaky');
      expect(api.requests({ path: '/orders' })).toBe(0);
    });

    it('after a 401 resends a replayable body, and refuses a stream with a typed error', async () => {
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
      } else {
        expect(outcome).toBeInstanceOf(ForgeError);
        expect((outcome as ForgeError).code).toBe(ForgeErrorCode.Request);
        expect((outcome as Error).message).toMatch(/cannot be sent again/);
      }
    });

    it('hands a custom authorizer method, URL, lower-case headers and form body, and honours its replacements', async () => {
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
      const client = binding.makeClient(api.url, signer);
      const response = await client.post('/public/sign?a=1', new URLSearchParams({ name: 'x y' }), {
        headers: { 'X-Trace': 'T1' },
      });
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
      };
      expect(request.method).toBe('POST');
      expect(request.url).toBe(`${api.url}/public/sign?a=1`);
      expect(request.headers['x-trace']).toBe('T1');
      expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded');
      expect(String(request.body)).toBe('name=x+y');
      expect(request.attempt).toBe(0);
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
        const client = binding.makeClient(api.url, recorder(signsBody));
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

    it('fails at install time with a ConfigurationError naming the option', () => {
      const manager = newManager();
      const optionOf = (run: () => unknown): string | undefined => {
        try {
          run();
        } catch (error) {
          if (error instanceof ConfigurationError) return error.option;
          throw error;
        }
        return undefined;
      };
      expect(optionOf(() => binding.makeClient(api.url, {} as never))).toBe('authorizer');
      expect(optionOf(() => binding.makeClient(api.url, manager, { origins: ['not a url'] }))).toBe(
        'policy.origins[0]',
      );
      expect(
        optionOf(() =>
          binding.makeClient(api.url, manager, { excludedPathPatterns: ['/ok/*', '/bad/[x'] }),
        ),
      ).toBe('policy.excludedPathPatterns[1]');
    });
  });
}
