import { randomBytes } from 'node:crypto';
import {
  type PostgresServer,
  skipWithoutPostgres,
  startPgbouncer,
  startPostgres,
} from '@forge/test-utils';
import { runStorageConformance } from '@forge/testkit/conformance';
import type pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { PostgresTokenStorage, type PostgresTokenStorageOptions } from '../src/index.js';
import { pool } from './helpers.js';

describe.skipIf(skipWithoutPostgres)(
  'PostgresTokenStorage conformance on a real PostgreSQL',
  () => {
    let server: PostgresServer;
    let bouncer: PostgresServer;
    // Two pools per path: the storage and its peer are two processes sharing one server.
    const pools: Record<'direct' | 'directPeer' | 'bouncer' | 'bouncerPeer', pg.Pool> = {} as never;
    beforeAll(async () => {
      server = await startPostgres();
      bouncer = await startPgbouncer(server.port);
      pools.direct = pool(server.url);
      pools.directPeer = pool(server.url);
      pools.bouncer = pool(bouncer.url);
      pools.bouncerPeer = pool(bouncer.url);
    }, 60_000);
    afterAll(async () => {
      await Promise.all(Object.values(pools).map((each) => each.end()));
      await bouncer.stop();
      await server.stop();
    });

    const encryption = { key: randomBytes(32) };
    const variants: [string, 'direct' | 'bouncer', PostgresTokenStorageOptions, boolean][] = [
      ['PostgresTokenStorage', 'direct', {}, true],
      ['PostgresTokenStorage (encrypted)', 'direct', { encryption }, true],
      ['PostgresTokenStorage (no local tier)', 'direct', { localTier: false }, true],
      // PgBouncer in transaction mode: queries through it, LISTEN straight to PostgreSQL.
      ['PostgresTokenStorage via PgBouncer (LISTEN direct)', 'bouncer', {}, true],
      // PgBouncer only: no notifications, every read goes to PostgreSQL.
      ['PostgresTokenStorage via PgBouncer (listen: false)', 'bouncer', { listen: false }, false],
    ];
    for (const [name, path, options, subscribe] of variants) {
      const resolved = (): PostgresTokenStorageOptions =>
        path === 'bouncer' && subscribe ? { ...options, listen: server.url } : options;
      runStorageConformance(name, () => new PostgresTokenStorage(pools[path], resolved()), {
        lock: true,
        subscribe,
        peer: () => new PostgresTokenStorage(pools[`${path}Peer`], resolved()),
        // Expiry is PostgreSQL's clock (now()), so real time has to pass.
        ttlMs: 300,
        advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
    }
  },
);
