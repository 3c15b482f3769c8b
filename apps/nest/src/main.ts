import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';

/** What one run of the example observed. */
export interface NestExampleResult {
  readonly statuses: readonly number[];
  readonly tokenRequests: number;
  readonly calledAs: string;
}

/**
 * Starts a local authorization server and protected API, then a Nest app on
 * the Express platform whose controller calls the API through the authorized
 * `HttpService` of `ForgeHttpModule`. Ten requests to the app share one
 * token; `app.close()` stops the token manager.
 */
export async function main(): Promise<NestExampleResult> {
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const app = await NestFactory.create(
    AppModule.register({
      tokenEndpoint: auth.tokenEndpoint,
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      ordersURL: api.url,
    }),
    new ExpressAdapter(),
    { logger: ['error', 'warn'] },
  );
  try {
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => fetch(`${url}/orders/${i + 1}`)),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { calledAs: string }[];
    return {
      statuses: responses.map((response) => response.status),
      tokenRequests: auth.tokenRequests(),
      calledAs: bodies[0]?.calledAs ?? '',
    };
  } finally {
    await app.close();
    await api.close();
    await auth.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(`statuses: ${result.statuses.join(' ')}`);
  console.log(`token requests: ${result.tokenRequests}`);
  console.log(`the API saw client: ${result.calledAs}`);
  process.exitCode = result.statuses.every((status) => status === 200) ? 0 : 1;
}
