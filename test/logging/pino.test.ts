// Request logging through every adapter, as an operator runs it: pino
// writing JSON lines to a real stream, console, and Nest's own Logger,
// against the testkit authorization server and a real resource server.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { withForge as axiosWithForge } from '@forge/axios';
import {
  ClientCredentialsTokenProvider,
  logEvents,
  REDACTED,
  type RequestLogOptions,
  TokenManager,
} from '@forge/core';
import { forge } from '@forge/express';
import { withForge as fetchWithForge } from '@forge/fetch';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeHttpModule, ForgeModule, ForgeService } from '@forge/nest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import express from 'express';
import got from 'got';
import ky from 'ky';
import pino from 'pino';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** pino writing to a stream that keeps every line it was given. */
function pinoLines(level = 'info') {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text !== '') lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 400; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let auth: AuthServer;
let api: ResourceServer;
const managers: TokenManager<unknown>[] = [];

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({ auth });
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
  vi.restoreAllMocks();
});

afterAll(async () => {
  await api?.close();
  await auth?.close();
});

const provider = () =>
  new ClientCredentialsTokenProvider({
    serviceName: 'orders',
    clientId: auth.clients.post.clientId,
    clientSecret: auth.clients.post.clientSecret,
    clientAuth: 'client_secret_post',
    tokenEndpoint: auth.tokenEndpoint,
  });

/** The same client as plain data, as a framework service takes it. */
const providerConfig = () => ({
  type: 'client_credentials' as const,
  clientId: auth.clients.post.clientId,
  clientSecret: auth.clients.post.clientSecret,
  clientAuth: 'client_secret_post' as const,
  tokenEndpoint: auth.tokenEndpoint,
});

function newManager(): TokenManager<undefined> {
  const manager = new TokenManager(provider());
  managers.push(manager as TokenManager<unknown>);
  return manager;
}

async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('request logging with pino on a real stream', () => {
  it('writes one JSON line per request through axios, got, ky and fetch, no token in any', async () => {
    const { lines, logger } = pinoLines();
    const manager = newManager();
    const log: RequestLogOptions = { logger, headers: true };
    const clients = {
      axios: () =>
        axiosWithForge(axios.create({ baseURL: api.url }), manager, { log }).get('/orders?page=1'),
      got: () =>
        gotWithForge(got.extend({ prefixUrl: api.url }), manager, { log }).get('orders?page=1'),
      ky: () => kyWithForge(ky.create({ prefix: api.url }), manager, { log }).get('orders?page=1'),
      fetch: () =>
        fetchWithForge(fetch, manager, { policy: { baseURL: api.url }, log })(
          `${api.url}/orders?page=1`,
        ),
    };
    for (const [client, send] of Object.entries(clients)) {
      await send();
      await until(() => lines.some((line) => line.client === client));
      const line = lines.find((entry) => entry.client === client);
      expect(line, client).toMatchObject({
        level: 30,
        method: 'GET',
        url: `${api.url}/orders?page=1`,
        status: 200,
        attempt: 0,
        authorized: true,
        requestHeaders: { authorization: REDACTED },
      });
      expect(line?.msg).toMatch(new RegExp(`^GET ${api.url}/orders\\?page=1 200 \\(`));
    }
    const token = (await manager.getToken()).accessToken;
    expect(lines).toHaveLength(4);
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('logs the token manager events to the same logger, without the token', async () => {
    const { lines, logger } = pinoLines('debug');
    const manager = newManager();
    logEvents(manager, logger);
    const token = await manager.getToken();
    await manager.invalidate(token);
    await manager.forceRefresh();
    const events = lines.map(({ event, level }) => [event, level]);
    expect(events).toEqual([
      ['fetched', 30],
      ['invalidated', 30],
      ['fetched', 30],
    ]);
    expect(lines[0]).toMatchObject({
      serviceName: 'orders',
      msg: expect.stringContaining('token fetched for orders'),
    });
    expect(JSON.stringify(lines)).not.toContain(token.accessToken);

    const wrong = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'wrong',
        clientId: auth.clients.post.clientId,
        clientSecret: 'not-the-secret',
        clientAuth: 'client_secret_post',
        tokenEndpoint: auth.tokenEndpoint,
        retry: false,
      }),
    );
    managers.push(wrong as TokenManager<unknown>);
    logEvents(wrong, logger);
    await expect(wrong.getToken()).rejects.toThrow();
    expect(lines.at(-1)).toMatchObject({
      level: 50,
      event: 'failed',
      serviceName: 'wrong',
      error: { name: 'AuthenticationError', oauthError: 'invalid_client' },
    });
    expect(JSON.stringify(lines)).not.toContain('not-the-secret');
  });

  it("logs Express's req.forge.fetch and proxy, and the events of the managers it creates", async () => {
    const { lines, logger } = pinoLines();
    const middleware = forge({
      services: {
        api: {
          baseURL: api.url,
          provider: providerConfig(),
        },
      },
      log: { logger },
    });
    const app = express();
    app.use(middleware);
    app.get('/call', async (req, res) => {
      const upstream = await req.forge.fetch('api', '/orders');
      res.status(upstream.status).send(await upstream.text());
    });
    app.use('/proxy', middleware.proxy('api'));
    const server = await listen(app);
    try {
      expect((await fetch(`${server.url}/call`)).status).toBe(200);
      expect((await fetch(`${server.url}/proxy/invoices`)).status).toBe(200);
    } finally {
      await server.close();
      await middleware.close();
    }
    expect(lines.map(({ event, client, url }) => event ?? `${client} ${url}`)).toEqual([
      'fetched',
      `fetch ${api.url}/orders`,
      `express ${api.url}/invoices`,
    ]);
    expect(lines.slice(1).every((line) => line.status === 200 && line.authorized === true)).toBe(
      true,
    );
  });

  it("writes to console's info/warn, object first", async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const manager = newManager();
    const client = axiosWithForge(
      axios.create({ baseURL: api.url, validateStatus: () => true }),
      manager,
      {
        log: { logger: console },
      },
    );
    await client.get('/orders');
    await client.get('/missing-route-404', { forge: {} });
    expect(info).toHaveBeenCalledWith(
      expect.objectContaining({ client: 'axios', status: 200 }),
      expect.stringMatching(/^GET .*\/orders 200/),
    );
    const token = (await manager.getToken()).accessToken;
    for (const call of [...info.mock.calls, ...warn.mock.calls]) {
      expect(JSON.stringify(call)).not.toContain(token);
    }
  });

  it("writes to Nest's Logger (message first) through the HttpService of ForgeHttpModule", async () => {
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      void rest;
      return true;
    }) as typeof process.stdout.write;
    const module = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          services: {
            api: {
              baseURL: api.url,
              provider: providerConfig(),
            },
          },
          log: { logger: new Logger('Forge') },
        }),
        ForgeHttpModule.register({ service: 'api' }),
      ],
    })
      // The testing module's own logger prints errors only; an application's prints all.
      .setLogger(new ConsoleLogger())
      .compile();
    let token: string;
    try {
      const http = module.get(HttpService);
      const response = await firstValueFrom(http.get('/orders'));
      expect(response.status).toBe(200);
      token = (await module.get(ForgeService).manager('api').getToken()).accessToken;
    } finally {
      process.stdout.write = write;
      await module.close();
    }
    const output = written.join('');
    expect(output).toContain('[Forge]');
    expect(output).toContain(`GET ${api.url}/orders 200`);
    expect(output).toMatch(/token fetched for api/);
    expect(output).not.toContain(token);
  });
});
