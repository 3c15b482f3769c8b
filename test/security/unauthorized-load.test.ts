// Load an attacker can cause on the authorization server: an API that answers
// 401 to everything (or a caller hammering a 401 path through the proxy,
// anonymously) must cost a bounded number of token requests, however many
// calls are made. With the default damping interval (30 s), the whole run of
// 200 requests is worth at most the first token and one renewal. A real
// revocation still costs exactly one renewal, and the next request succeeds.
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings } from './adapters.js';
import { type LoopbackServer, startServer } from './attackers.js';
import { attempt, type Outcome, testkitProvider } from './support.js';

// 20 requests one after another, then 9 waves of 20 at once: 200 in all.
const WAVES = [...Array<number>(20).fill(1), ...Array<number>(9).fill(20)];
const REQUESTS = WAVES.reduce((sum, width) => sum + width, 0);

let auth: AuthServer;
let refusing: LoopbackServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await startAuthServer();
  refusing = await startServer(() => ({
    status: 401,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    body: { error: 'invalid_token' },
  }));
  api = await startResourceServer({ auth });
});

afterAll(async () => {
  await api?.close();
  await refusing?.close();
  await auth?.close();
});

const tokenRequests = () => auth.tokenRequests(auth.clients.basic.clientId);

/** Sends {@link WAVES}: traffic, not one burst the single flight would absorb. */
async function inWaves(send: () => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const width of WAVES) {
    outcomes.push(...(await Promise.all(Array.from({ length: width }, send))));
  }
  return outcomes;
}

describe('renewal after a 401 is damped, a real revocation still renews once', () => {
  for (const binding of bindings) {
    it(`${binding.name}: ${REQUESTS} requests to an API refusing every token cost at most 2 token requests`, async () => {
      const client = await binding.make(refusing.url, testkitProvider(auth));
      try {
        const before = tokenRequests();
        const outcomes = await inWaves(() => attempt(client.get('/orders')));
        const spent = tokenRequests() - before;
        // Each caller gets the API's own 401, not some other failure.
        const statuses = outcomes.map((outcome) => outcome.reply?.status ?? 'threw');
        expect({ spent: spent <= 2 ? 'at most 2' : spent, statuses }).toEqual({
          spent: 'at most 2',
          statuses: Array(REQUESTS).fill(401),
        });
      } finally {
        await client.close();
      }

      const healthy = await binding.make(api.url, testkitProvider(auth));
      try {
        expect((await healthy.get('/orders')).status).toBe(200);
        const before = tokenRequests();
        api.revokeAll();
        const next = await healthy.get('/orders');
        // The proxy streams the body and cannot resend it: its caller gets the
        // 401 once, and the call after it goes out with the renewed token.
        const succeeded =
          binding.name === 'express proxy' && next.status === 401
            ? (await healthy.get('/orders')).status
            : next.status;
        expect({ succeeded, renewals: tokenRequests() - before }).toEqual({
          succeeded: 200,
          renewals: 1,
        });
      } finally {
        await healthy.close();
      }
    });
  }
});
