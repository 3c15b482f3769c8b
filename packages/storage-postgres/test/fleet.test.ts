import {
  bundleFleetChild,
  type Fleet,
  type FleetBundle,
  type FleetEndpoint,
  type PostgresServer,
  skipWithoutPostgres,
  startFleet,
  startPgbouncer,
  startPostgres,
  summary,
} from '@forge/test-utils';
import { startAuthServer } from '@forge/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresTokenStorage } from '../src/index.js';
import { listeners, pool } from './helpers.js';

const PROCESSES = 8;
const CONCURRENCY = 200;
const HOUR = 3_600_000;

describe.skipIf(skipWithoutPostgres)(`a fleet of ${PROCESSES} processes on one PostgreSQL`, () => {
  let server: PostgresServer;
  let bouncer: PostgresServer;
  let admin: pg.Pool;
  let bundle: FleetBundle;

  beforeAll(async () => {
    bundle = await bundleFleetChild(new URL('./fleet/child.ts', import.meta.url), {
      external: ['pg'],
    });
    server = await startPostgres();
    bouncer = await startPgbouncer(server.port);
    admin = pool(server.url);
  }, 60_000);
  afterAll(async () => {
    await admin.end();
    await bouncer.stop();
    await server.stop();
    await bundle.remove();
  });

  // Direct, and through PgBouncer in transaction mode with LISTEN straight to PostgreSQL.
  for (const path of ['direct', 'PgBouncer'] as const) {
    it(`makes exactly one token request per expiry for ${PROCESSES} x ${CONCURRENCY} concurrent getToken() (${path}, testkit server)`, async () => {
      const auth = await startAuthServer();
      let fleet: Fleet | undefined;
      const table = new PostgresTokenStorage(admin, { listen: false, queryTimeoutMs: 5_000 });
      try {
        await table.delete('fleet');
        const client = auth.clients.basic;
        const endpoint: FleetEndpoint = {
          kind: 'client_credentials',
          tokenEndpoint: auth.tokenEndpoint,
          clientId: client.clientId,
          clientSecret: client.clientSecret,
        };
        const args =
          path === 'direct'
            ? [server.url, JSON.stringify(endpoint)]
            : [bouncer.url, JSON.stringify(endpoint), server.url];
        fleet = await startFleet(bundle.file, args, PROCESSES);
        await listeners(admin, PROCESSES);

        const cold = summary(await fleet.go(0, CONCURRENCY));
        expect(cold.errors).toEqual([]);
        expect(cold.ok).toBe(PROCESSES * CONCURRENCY);
        expect(cold.accessTokens.size).toBe(1);
        expect(auth.tokenRequests()).toBe(1);

        // Every process's clock moves past the token's expiry at once.
        const expired = summary(await fleet.go(2 * HOUR, CONCURRENCY));
        expect(expired.errors).toEqual([]);
        expect(expired.ok).toBe(PROCESSES * CONCURRENCY);
        expect(expired.accessTokens.size).toBe(1);
        expect([...expired.accessTokens][0]).not.toBe([...cold.accessTokens][0]);
        expect(auth.tokenRequests({ grantType: 'client_credentials', status: 200 })).toBe(2);
        expect(auth.tokenRequests()).toBe(2);
      } finally {
        await fleet?.exit();
        await table.dispose();
        await auth.close();
      }
    }, 120_000);
  }
});
