// What req.forge.fetch adds to @forge/fetch, which sends its requests: the
// service's base URL, and which failures become a ServiceAuthorizationError.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsTokenProvider, RequestAuthorizationError } from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import express, { type Request } from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createForge, type ForgeMiddleware, ServiceAuthorizationError } from '../src/index.js';
import { deadURL, listen } from './setup.js';

let auth: AuthServer;
let api: ResourceServer;
// Never answers: only the caller's own signal ends a request to it.
let silent: Server;
let forge: ForgeMiddleware;
let app: { url: string; close(): Promise<void> };

/** A handler's work and how it ended. */
interface Run {
  readonly handler: (req: Request) => Promise<unknown>;
  value?: unknown;
  failure?: { readonly error: unknown };
}
const runs = new Map<string, Run>();
let calls = 0;

function provider(serviceName: string, tokenEndpoint = auth.tokenEndpoint) {
  return new ClientCredentialsTokenProvider({
    serviceName,
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint,
    timeoutMs: 1_000,
    retry: false,
  });
}

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({ auth });
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  forge = createForge({
    services: {
      api: { provider: provider('api'), baseURL: `${api.url}/v1/` },
      silent: {
        provider: provider('silent'),
        baseURL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      },
      gone: { provider: provider('gone'), baseURL: await deadURL() },
      broken: { provider: provider('broken', await deadURL()), baseURL: api.url },
    },
  });
  const server = express();
  server.use(forge);
  server.get('/run/:id', async (req, res) => {
    const run = runs.get(req.params.id);
    try {
      if (run) run.value = await run.handler(req);
    } catch (error) {
      if (run) run.failure = { error };
    }
    res.end();
  });
  app = await listen(server);
});

afterAll(async () => {
  await app?.close();
  await forge?.close();
  silent?.closeAllConnections();
  silent?.close();
  await api?.close();
  await auth?.close();
});

/** Runs `handler` inside a request to the app; resolves to what it returned, rejects with what it threw. */
async function inHandler<T>(handler: (req: Request) => Promise<T>): Promise<T> {
  const id = String(++calls);
  const run: Run = { handler };
  runs.set(id, run);
  try {
    await (await fetch(`${app.url}/run/${id}`)).text();
  } finally {
    runs.delete(id);
  }
  if (run.failure) throw run.failure.error;
  return run.value as T;
}

async function status(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

it("joins the path to the service's baseURL", async () => {
  const body = await inHandler(async (req) => {
    const response = await req.forge.fetch('api', '/invoices?page=2');
    return (await response.json()) as { path: string; query: unknown };
  });
  expect(body).toMatchObject({ path: '/v1/invoices', query: { page: '2' } });
});

it('a token failure rejects with a ServiceAuthorizationError (503) over the request error', async () => {
  const error = await inHandler((req) => req.forge.fetch('broken', '/x')).catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ServiceAuthorizationError);
  expect(error).toMatchObject({ status: 503, serviceName: 'broken' });
  expect((error as Error).cause).toBeInstanceOf(RequestAuthorizationError);
});

it("fetch's own failures are the caller's: a network error, the caller's timeout or abort", async () => {
  const network = await inHandler((req) => req.forge.fetch('gone', '/x')).catch(
    (caught: unknown) => caught,
  );
  expect(network).toBeInstanceOf(TypeError);
  const timeout = await inHandler((req) =>
    req.forge.fetch('silent', '/slow', { signal: AbortSignal.timeout(100) }),
  ).catch((caught: unknown) => caught);
  expect((timeout as Error).name).toBe('TimeoutError');
  // Any reason the caller aborts with comes back as it was given.
  const reason = new Error('shutting down');
  const aborted = await inHandler((req) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    return req.forge.fetch('silent', '/slow', { signal: controller.signal });
  }).catch((caught: unknown) => caught);
  expect(aborted).toBe(reason);
});

it('sends a streamed init.body once: its 401 comes back, and the next request has a new token', async () => {
  expect(await inHandler(async (req) => status(await req.forge.fetch('api', '/warm')))).toBe(200);
  api.revokeAll();
  auth.resetCounters();
  const streamed = await inHandler(async (req) => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"sku":"A-1"}'));
        controller.close();
      },
    });
    const init = { method: 'POST', body, duplex: 'half' as const };
    return status(await req.forge.fetch('api', '/orders', init));
  });
  expect(streamed).toBe(401);
  expect(auth.tokenRequests()).toBe(1);
  expect(await inHandler(async (req) => status(await req.forge.fetch('api', '/orders')))).toBe(200);
  expect(auth.tokenRequests()).toBe(1);
});
