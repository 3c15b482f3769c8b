// One binding per way a request goes out through Forge, each against a real
// client or framework: axios, got, ky, an Express handler's req.forge.fetch,
// the Express proxy (the test client is a plain node:http request to it) and
// Nest's HttpService. The security tests run the same attack through each.
//
// A binding takes the token *provider* rather than a manager: Nest builds its
// manager itself from a provider, and every test reads the manager a client
// really uses (`client.manager`) to find the token that must not leak.
import 'reflect-metadata';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withForge as axiosWithForge } from '@forge/axios';
import {
  type RequestPolicyOptions,
  type Token,
  TokenManager,
  type TokenManagerOptions,
  type TokenProvider,
} from '@forge/core';
import { forge, forgeErrorHandler } from '@forge/express';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeHttpModule, ForgeModule, ForgeService } from '@forge/nest';
import { HttpService } from '@nestjs/axios';
import { Test } from '@nestjs/testing';
import axios, { type AxiosResponse, isAxiosError } from 'axios';
import express, { type ErrorRequestHandler, type Express } from 'express';
import got, { type Response as GotResponse } from 'got';
import ky from 'ky';
import { firstValueFrom } from 'rxjs';

/** What the caller got back from the API (any status). */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /**
   * The client's own error object when it rejects a non-2xx answer (axios's
   * AxiosError, got's and ky's HTTPError); absent for the Express bindings,
   * whose caller only ever sees an HTTP response.
   */
  readonly error?: unknown;
}

/**
 * What an Express app answered from its error handlers (Forge's problem
 * responses, or the app's last-resort 500), thrown by the Express bindings
 * in place of the typed error the other bindings throw.
 */
export class ExpressFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: string,
    /** The error the app's error middleware received (`next(error)`). */
    readonly handlerError: unknown,
  ) {
    super(`the Express app answered ${status} from its error handlers`);
  }
}

export type Policy = Omit<RequestPolicyOptions, 'baseURL'>;

export interface ClientOptions {
  /** The request policy; the base URL's origin is always allowed. */
  readonly policy?: Policy;
  /** The client's (or the proxy's) request timeout. */
  readonly timeoutMs?: number;
  readonly manager?: Omit<TokenManagerOptions, 'storage'>;
}

export interface Client {
  /** The token manager behind this client (for Nest, the one ForgeModule built). */
  readonly manager: { getToken(): Promise<Token> };
  /**
   * GET a path (relative to the base URL, sent as written) or an absolute URL.
   * Resolves with every HTTP answer; rejects with what the client throws
   * otherwise (a ForgeError, a network error) or an {@link ExpressFailure}.
   */
  get(pathOrUrl: string, headers?: Readonly<Record<string, string>>): Promise<Reply>;
  close(): Promise<void>;
}

export type AdapterName =
  | 'axios'
  | 'got'
  | 'ky'
  | 'express req.forge.fetch'
  | 'express proxy'
  | 'nest HttpService';

export interface Binding {
  readonly name: AdapterName;
  make(
    baseURL: string,
    provider: TokenProvider<undefined>,
    options?: ClientOptions,
  ): Promise<Client>;
}

function flatHeaders(headers: object): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return record;
}

async function axiosReply(sent: Promise<AxiosResponse<unknown>>): Promise<Reply> {
  const reply = (response: AxiosResponse<unknown>) => ({
    status: response.status,
    headers: flatHeaders(response.headers),
    body: typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? ''),
  });
  try {
    return reply(await sent);
  } catch (error) {
    if (isAxiosError(error) && error.response) return { ...reply(error.response), error };
    throw error;
  }
}

const axiosBinding: Binding = {
  name: 'axios',
  async make(baseURL, provider, options = {}) {
    const manager = new TokenManager(provider, options.manager);
    const instance = axiosWithForge(
      axios.create({ baseURL, timeout: options.timeoutMs ?? 0 }),
      manager,
      { policy: options.policy },
    );
    return {
      manager,
      get: (url, headers) =>
        axiosReply(instance.get(url, { headers: { ...headers }, responseType: 'text' })),
      close: () => manager.close(),
    };
  },
};

const gotBinding: Binding = {
  name: 'got',
  async make(baseURL, provider, options = {}) {
    const manager = new TokenManager(provider, options.manager);
    const client = gotWithForge(
      got.extend({
        prefixUrl: baseURL,
        retry: { limit: 0 },
        ...(options.timeoutMs === undefined ? {} : { timeout: { request: options.timeoutMs } }),
      }),
      manager,
      { policy: options.policy },
    );
    const reply = (response: GotResponse<string>): Reply => ({
      status: response.statusCode,
      headers: flatHeaders(response.headers),
      body: response.body,
    });
    return {
      manager,
      async get(pathOrUrl, headers) {
        const absolute = /^https?:/.test(pathOrUrl);
        // got joins a path to prefixUrl only without its leading slash.
        const url = absolute ? pathOrUrl : pathOrUrl.replace(/^\//, '');
        try {
          return reply(
            await client.get(url, {
              headers: { ...headers },
              ...(absolute ? { prefixUrl: '' } : {}),
            }),
          );
        } catch (error) {
          const response = (error as { response?: GotResponse<string> }).response;
          if (response === undefined) throw error;
          return { ...reply(response), error };
        }
      },
      close: () => manager.close(),
    };
  },
};

const kyBinding: Binding = {
  name: 'ky',
  async make(baseURL, provider, options = {}) {
    const manager = new TokenManager(provider, options.manager);
    // No retries of ky's own: the renewal after a 401 is Forge's, whatever ky's limit.
    const client = kyWithForge(
      ky.create({ prefix: baseURL, retry: 0, timeout: options.timeoutMs ?? false }),
      manager,
      { policy: options.policy },
    );
    return {
      manager,
      async get(pathOrUrl, headers) {
        // Sent as written: a path is joined to the base URL here, not by ky's prefix.
        const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${baseURL}${pathOrUrl}`;
        let response: Response;
        try {
          response = await client.get(url, { prefix: '', headers: { ...headers } });
        } catch (error) {
          const failed = error as { response?: unknown; data?: unknown };
          if (!(failed.response instanceof Response)) throw error;
          const body = failed.response.bodyUsed
            ? typeof failed.data === 'string'
              ? failed.data
              : JSON.stringify(failed.data ?? '')
            : await failed.response.text();
          return {
            status: failed.response.status,
            headers: flatHeaders(Object.fromEntries(failed.response.headers)),
            body,
            error,
          };
        }
        return {
          status: response.status,
          headers: flatHeaders(Object.fromEntries(response.headers)),
          body: await response.text(),
        };
      },
      close: () => manager.close(),
    };
  },
};

const TEST_ID = 'x-security-test-id';
const FAILED = 'x-security-error-path';

/**
 * Forge's error handler between two of ours: the first remembers the error
 * per request and marks the response as coming from the error path, the last
 * answers a fixed 500 for anything Forge's handler passed on (never Express's
 * default page, which prints the stack).
 */
function errorHandlers(app: Express): Map<string, unknown> {
  const errors = new Map<string, unknown>();
  const remember: ErrorRequestHandler = (error, req, res, next) => {
    errors.set(String(req.get(TEST_ID)), error);
    if (!res.headersSent) res.setHeader(FAILED, '1');
    next(error);
  };
  const lastResort: ErrorRequestHandler = (_error, _req, res, _next) => {
    if (res.headersSent) res.destroy();
    else res.status(500).json({ error: 'unhandled' });
  };
  app.use(remember, forgeErrorHandler(), lastResort);
  return errors;
}

interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

async function listen(app: Express): Promise<Listening> {
  const server: Server = await new Promise((resolve, reject) => {
    const started = app.listen(0, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(started),
    );
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plain node:http GET that sends `path` byte for byte, as a browser or curl would not. */
function rawGet(
  port: number,
  path: string,
  headers: Readonly<Record<string, string>>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

let requestIds = 0;

function expressReply(
  answer: { status: number; headers: IncomingHttpHeaders; body: string },
  id: string,
  errors: Map<string, unknown>,
): Reply {
  const headers = flatHeaders(answer.headers);
  if (headers[FAILED] !== undefined) {
    throw new ExpressFailure(answer.status, headers, answer.body, errors.get(id));
  }
  return { status: answer.status, headers, body: answer.body };
}

const expressFetchBinding: Binding = {
  name: 'express req.forge.fetch',
  async make(baseURL, provider, options = {}) {
    const manager = new TokenManager(provider, options.manager);
    const middleware = forge({ services: { api: { manager, baseURL, policy: options.policy } } });
    const app = express();
    app.use(middleware);
    // The handler calls the API and reports what it got, whatever the status.
    app.get('/call', async (req, res) => {
      const headers = JSON.parse(req.get('x-call-headers') ?? '{}') as Record<string, string>;
      const timeoutMs = options.timeoutMs;
      const response = await req.forge.fetch('api', String(req.query.path), {
        headers,
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      });
      const body = await response.text();
      res.json({ status: response.status, headers: Object.fromEntries(response.headers), body });
    });
    const errors = errorHandlers(app);
    const server = await listen(app);
    return {
      manager,
      async get(pathOrUrl, headers = {}) {
        const id = String(++requestIds);
        const answer = await rawGet(server.port, `/call?path=${encodeURIComponent(pathOrUrl)}`, {
          [TEST_ID]: id,
          'x-call-headers': JSON.stringify(headers),
        });
        const reply = expressReply(answer, id, errors);
        if (reply.status !== 200) return reply;
        const relayed = JSON.parse(reply.body) as Reply;
        return { status: relayed.status, headers: relayed.headers, body: relayed.body };
      },
      async close() {
        await server.close();
        await middleware.close();
        await manager.close();
      },
    };
  },
};

const expressProxyBinding: Binding = {
  name: 'express proxy',
  async make(baseURL, provider, options = {}) {
    const manager = new TokenManager(provider, options.manager);
    const middleware = forge({ services: { api: { manager, baseURL, policy: options.policy } } });
    const app = express();
    app.use(
      '/api',
      middleware.proxy(
        'api',
        options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
      ),
    );
    const errors = errorHandlers(app);
    const server = await listen(app);
    return {
      manager,
      async get(pathOrUrl, headers = {}) {
        if (!pathOrUrl.startsWith('/')) {
          throw new Error('the proxy forwards to its one upstream only: pass a path');
        }
        const id = String(++requestIds);
        const answer = await rawGet(server.port, `/api${pathOrUrl}`, { ...headers, [TEST_ID]: id });
        return expressReply(answer, id, errors);
      },
      async close() {
        await server.close();
        await middleware.close();
        await manager.close();
      },
    };
  },
};

const nestBinding: Binding = {
  name: 'nest HttpService',
  async make(baseURL, provider, options = {}) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          services: {
            api: { provider, baseURL, policy: options.policy, managerOptions: options.manager },
          },
        }),
        ForgeHttpModule.register({ service: 'api', timeout: options.timeoutMs ?? 0 }),
      ],
    }).compile();
    const http = moduleRef.get(HttpService);
    const manager = moduleRef.get(ForgeService).manager('api');
    return {
      manager,
      get: (url, headers) =>
        axiosReply(
          firstValueFrom(http.get<unknown>(url, { headers: { ...headers }, responseType: 'text' })),
        ),
      close: () => moduleRef.close(),
    };
  },
};

/** Every binding, in the order the tests run them. */
export const bindings: readonly Binding[] = [
  axiosBinding,
  gotBinding,
  kyBinding,
  expressFetchBinding,
  expressProxyBinding,
  nestBinding,
];

/** The bindings whose client follows redirects: all but the proxy, which hands a 3xx to its caller. */
export const redirectFollowing: readonly Binding[] = bindings.filter(
  (binding) => binding.name !== 'express proxy',
);
