import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, logEvents, TokenManager } from '@forge/core';
import { withForge } from '@forge/got';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import got from 'got';
import pino, { type DestinationStream } from 'pino';

/** What one run of the example observed. */
export interface GotExampleResult {
  readonly statuses: readonly number[];
  readonly tokenRequests: number;
  readonly calledAs: string;
}

/**
 * Starts a local authorization server and protected API, then calls the API
 * with a got instance authorized by @forge/got: five concurrent calls
 * share one token; after the API revokes every token, the next call gets a
 * 401, renews the token and succeeds on its retry. Every request and every
 * token event is a pino JSON line on `destination` (stdout by default).
 */
export async function main(
  destination: DestinationStream = process.stdout,
): Promise<GotExampleResult> {
  const logger = pino({ name: 'app-got' }, destination);
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      tokenEndpoint: auth.tokenEndpoint,
    }),
  );
  // Token fetched (info), dropped after the 401 (info), failures (error): never the token.
  logEvents(manager, logger);
  try {
    // The instance's prefixUrl is the one origin the token may go to. One
    // line per request (method, URL, status, duration, attempt); headers and
    // bodies stay out unless `headers: true` / `bodies: true`, and then
    // every credential is redacted.
    const orders = withForge(
      got.extend({ prefixUrl: api.url, timeout: { request: 5_000 } }),
      manager,
      { log: { logger } },
    );

    const first = await Promise.all([1, 2, 3, 4, 5].map((id) => orders.get(`orders/${id}`)));
    api.revokeAll();
    const afterRevocation = await orders.get('orders/6');
    const body = JSON.parse(afterRevocation.body) as { client_id: string };

    return {
      statuses: [...first, afterRevocation].map((response) => response.statusCode),
      tokenRequests: auth.tokenRequests(),
      calledAs: body.client_id,
    };
  } finally {
    await manager.close();
    await api.close();
    await auth.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(`statuses: ${result.statuses.join(' ')}`);
  console.log(`token requests: ${result.tokenRequests} (one, plus one after the revocation)`);
  console.log(`the API saw client: ${result.calledAs}`);
  process.exitCode = result.statuses.every((status) => status === 200) ? 0 : 1;
}
