// Redirects, judged hop by hop and as a whole chain. The Express proxy is left
// out of every case here: it follows no redirect, it hands the 3xx to its
// caller, so no later hop is ever sent by Forge.
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redirectFollowing } from './adapters.js';
import {
  type LoopbackServer,
  type Received,
  startServer,
  type TlsMaterial,
  trustedLoopbackCertificate,
} from './attackers.js';
import { attempt, testkitProvider } from './support.js';

let auth: AuthServer;
let tls: TlsMaterial;

beforeAll(async () => {
  auth = await startAuthServer();
  tls = await trustedLoopbackCertificate();
});

afterAll(async () => {
  await auth?.close();
});

/**
 * Whether the requests that reached `path` carried credentials: `[true]` if
 * all did, `[false]` if none did, `[]` if none arrived (retries after a 401
 * may send a path more than once).
 */
function credentialsAt(server: LoopbackServer, path: string): boolean[] {
  return [
    ...new Set(
      server.received.filter((r) => r.path === path).map((r) => r.authorization !== undefined),
    ),
  ];
}

/** What an API answers at a path it protects: 401 without credentials. */
function protectedAnswer(request: Received) {
  return request.authorization === undefined
    ? {
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        body: { error: 'invalid_token' },
      }
    : { body: { path: request.path } };
}

describe('a redirect chain is judged as a whole', () => {
  // API -> 302 to a foreign origin -> 307 back to the API, at a path and query
  // the foreign server chose. Once the chain has left the allowed origins,
  // no later hop carries the token, not even the one back to the API, and
  // not the retry after that hop's 401 either.
  for (const binding of redirectFollowing) {
    it(`${binding.name}: no hop after a foreign origin carries the token`, async () => {
      let api: LoopbackServer | undefined;
      let foreign: LoopbackServer | undefined;
      try {
        foreign = await startServer(() => ({
          status: 307,
          headers: { location: `${api?.url}/back/admin?chosen=by-foreign` },
        }));
        api = await startServer((request) =>
          request.path === '/start'
            ? { status: 302, headers: { location: `${foreign?.url}/bounce` } }
            : protectedAnswer(request),
        );
        const client = await binding.make(api.url, testkitProvider(auth));
        try {
          const outcome = await attempt(client.get('/start'));
          expect(outcome.reply?.status).toBe(401);
          expect({
            start: credentialsAt(api, '/start'),
            bounce: credentialsAt(foreign, '/bounce'),
            back: credentialsAt(api, '/back/admin'),
          }).toEqual({ start: [true], bounce: [false], back: [false] });
        } finally {
          await client.close();
        }
      } finally {
        await api?.close();
        await foreign?.close();
      }
    });
  }
});

describe('a redirect from https to http never carries credentials', () => {
  // Both origins are allowed to receive the token; the hop from https to
  // plain http still must not carry it, nor the hop from there back to https.
  // The https API's certificate is made at test time and trusted
  // process-wide (see trustedLoopbackCertificate).
  for (const binding of redirectFollowing) {
    it(`${binding.name}: https -> http between two listed origins drops the token`, async () => {
      let secure: LoopbackServer | undefined;
      let plain: LoopbackServer | undefined;
      try {
        plain = await startServer(() => ({
          status: 307,
          headers: { location: `${secure?.url}/back` },
        }));
        secure = await startServer(
          (request) =>
            request.path === '/start'
              ? { status: 302, headers: { location: `${plain?.url}/landing` } }
              : protectedAnswer(request),
          { tls },
        );
        const client = await binding.make(secure.url, testkitProvider(auth), {
          policy: { origins: [plain.url] },
        });
        try {
          const outcome = await attempt(client.get('/start'));
          expect(outcome.reply?.status).toBe(401);
          expect({
            start: credentialsAt(secure, '/start'),
            landing: credentialsAt(plain, '/landing'),
            back: credentialsAt(secure, '/back'),
          }).toEqual({ start: [true], landing: [false], back: [false] });
        } finally {
          await client.close();
        }
      } finally {
        await secure?.close();
        await plain?.close();
      }
    });
  }
});

describe('a same-origin redirect to an excluded path carries no credentials', () => {
  // The excluded path is reached by a redirect on the API's own origin, as
  // written (`/public/info`) and disguised (`/%70ublic/info`, which the API
  // resolves to the same path), with a 302 and a 307.
  const LOCATIONS = ['/public/info', '/%70ublic/info'];
  for (const binding of redirectFollowing) {
    it(`${binding.name}: the hop to the excluded path gets no token`, async () => {
      const api = await startServer((request) => {
        if (request.path !== '/start') return { body: { path: request.path } };
        const query = new URL(request.target, 'http://query.invalid').searchParams;
        return {
          status: Number(query.get('status')),
          headers: { location: LOCATIONS[Number(query.get('to'))] ?? '/' },
        };
      });
      try {
        const client = await binding.make(api.url, testkitProvider(auth), {
          policy: { excludedPaths: ['/public/info'] },
        });
        try {
          for (const status of [302, 307]) {
            for (const to of LOCATIONS.keys()) {
              const outcome = await attempt(client.get(`/start?status=${status}&to=${to}`));
              expect(outcome.reply?.status).toBe(200);
            }
          }
          const starts = api.received.filter((r) => r.path === '/start');
          const excluded = api.received.filter((r) => r.path === '/public/info');
          expect(starts.map((r) => r.authorization !== undefined)).toEqual([
            true,
            true,
            true,
            true,
          ]);
          expect(
            excluded.map((r) => ({ sent: r.target, credentials: r.authorization !== undefined })),
          ).toEqual([0, 1, 0, 1].map((to) => ({ sent: LOCATIONS[to], credentials: false })));
        } finally {
          await client.close();
        }
      } finally {
        await api.close();
      }
    });
  }
});
