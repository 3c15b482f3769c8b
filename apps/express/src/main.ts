import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, TokenExchangeProvider } from '@forge/core';
import { createForge } from '@forge/express';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import { createApp } from './app.js';

/** What one run of the example observed. */
export interface ExpressExampleResult {
  readonly handler: { status: number; calledAs: string };
  readonly proxy: { status: number; calledAs: string };
  readonly onBehalfOf: { status: number; subject: string; actor: string };
  readonly failure: { status: number; contentType: string | null; service: string };
  readonly tokenRequests: number;
}

/**
 * Starts a local authorization server and protected API, then the Express
 * app on 127.0.0.1, and calls each of its routes once.
 */
export async function main(): Promise<ExpressExampleResult> {
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const client = {
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint: auth.tokenEndpoint,
  };
  const forge = createForge({
    services: {
      orders: {
        provider: new ClientCredentialsTokenProvider({ serviceName: 'orders', ...client }),
        baseURL: api.url,
      },
      'orders-obo': {
        exchange: new TokenExchangeProvider({ serviceName: 'orders-obo', ...client }),
        baseURL: api.url,
      },
      // A token endpoint nobody listens on: shows the 503 problem response.
      inventory: {
        provider: new ClientCredentialsTokenProvider({
          serviceName: 'inventory',
          ...client,
          tokenEndpoint: 'http://127.0.0.1:9/token',
          retry: false,
        }),
        baseURL: api.url,
      },
    },
  });
  const server = createApp(forge).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const handler = await fetch(`${url}/api/orders/1`);
    const proxy = await fetch(`${url}/bff/orders/2`, {
      headers: { cookie: 'session=browser-only' },
    });
    // The caller's own token, as another service or a browser session would send it.
    const callerToken = (
      (await (
        await fetch(auth.tokenEndpoint, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: auth.clients.post.clientId,
            client_secret: auth.clients.post.clientSecret,
          }),
        })
      ).json()) as { access_token: string }
    ).access_token;
    const onBehalfOf = await fetch(`${url}/me/orders`, {
      headers: { authorization: `Bearer ${callerToken}` },
    });
    const failure = await fetch(`${url}/bff/inventory/stock`);

    const handlerBody = (await handler.json()) as { client_id: string };
    const proxyBody = (await proxy.json()) as { client_id: string };
    const oboBody = (await onBehalfOf.json()) as { sub: string; client_id: string };
    const problem = (await failure.json()) as { service: string };
    return {
      handler: { status: handler.status, calledAs: handlerBody.client_id },
      proxy: { status: proxy.status, calledAs: proxyBody.client_id },
      onBehalfOf: { status: onBehalfOf.status, subject: oboBody.sub, actor: oboBody.client_id },
      failure: {
        status: failure.status,
        contentType: failure.headers.get('content-type'),
        service: problem.service,
      },
      tokenRequests: auth.tokenRequests(),
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await forge.close();
    await api.close();
    await auth.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(JSON.stringify(result, null, 2));
  const ok =
    result.handler.status === 200 &&
    result.proxy.status === 200 &&
    result.onBehalfOf.status === 200 &&
    result.failure.status === 503;
  process.exitCode = ok ? 0 : 1;
}
