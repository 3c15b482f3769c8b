import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { withForge } from '@forge/ky';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import ky from 'ky';

/** What one run of the example observed. */
export interface KyExampleResult {
  readonly statuses: readonly number[];
  readonly tokenRequests: number;
  readonly calledAs: string;
}

/**
 * Starts a local authorization server and protected API, then calls the API
 * with a ky instance authorized by @forge/ky: five concurrent calls
 * share one token; after the API revokes every token, the next call gets a
 * 401, renews the token and succeeds on its retry.
 */
export async function main(): Promise<KyExampleResult> {
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
  try {
    // The instance's prefix is the origin the token may go to.
    const orders = withForge(ky.create({ prefix: api.url, timeout: 5_000 }), manager);

    const first = await Promise.all([1, 2, 3, 4, 5].map((id) => orders.get(`orders/${id}`)));
    api.revokeAll();
    const afterRevocation = await orders.get('orders/6');
    const body = await afterRevocation.json<{ client_id: string }>();

    return {
      statuses: [...first, afterRevocation].map((response) => response.status),
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
