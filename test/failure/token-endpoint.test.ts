// The token endpoint breaks in every way the testkit can make it break. Callers
// that hold a still-valid token must not notice; callers without one get one
// typed error each; and the token requests Forge makes during the outage are
// paced by its backoff, not by how fast the application sends requests.
import { ForgeError } from '@forge/core';
import type { FaultOptions } from '@forge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgeClient, requestLoop, type Servers, startServers } from './support.js';

const FAULTS: readonly (readonly [string, FaultOptions])[] = [
  ['500', { mode: 'status500' }],
  ['503', { mode: 'status503' }],
  ['429 with Retry-After', { mode: 'status429', retryAfter: '1' }],
  ['a hang past the timeout', { mode: 'hang' }],
  ['a malformed JSON body', { mode: 'malformed-json' }],
  ['an HTML error page', { mode: 'html' }],
  ['an empty body', { mode: 'empty' }],
  ['a connection reset', { mode: 'reset' }],
];

// A token issued now expires in an hour; with the default 30 s skew and a 300 s
// refresh window it is due for a background refresh from 3,270 s on, and still
// usable until 3,570 s. Moving the manager's clock there puts it in that window
// without waiting, while the resource server (real clock) still accepts it.
const INSIDE_REFRESH_WINDOW_MS = 3_300_000;
// Backoff between failed background refreshes: full jitter below a 300 ms ceiling.
const BACKOFF = { baseMs: 300, maxMs: 300 } as const;
const OUTAGE_MS = 1_000;
// Attempts per refresh (the transport's maxAttempts in forgeClient) times the
// refreshes the backoff allows in OUTAGE_MS: with delays uniform in [0, 300) ms,
// 20 refreshes in 1 s would need 19 delays averaging under 53 ms (p < 1e-6).
const MAX_TOKEN_REQUESTS = 2 * 20;

let servers: Servers;

/**
 * Counts the token requests one client sends. The server's per-client counter
 * is shared by every test in this file, and a test that closes its manager
 * while a retry is on the wire (the transport's retry after `Retry-After: 1`
 * fires as the 1 s request loop ends) can have that request counted by the
 * server only after the next test has read its baseline.
 */
function countingFetch(): { readonly fetch: typeof fetch; readonly count: () => number } {
  let count = 0;
  return {
    fetch: (input, init) => {
      count += 1;
      return fetch(input, init);
    },
    count: () => count,
  };
}

beforeAll(async () => {
  servers = await startServers();
});

afterEach(() => {
  servers.auth.faults.clear();
});

afterAll(async () => {
  await servers.close();
});

describe.each(FAULTS)('token endpoint fault: %s', (_name, fault) => {
  it('callers holding a valid token are unaffected, and refreshes follow the backoff', async () => {
    let offsetMs = 0;
    const sent = countingFetch();
    const client = forgeClient(
      servers,
      { fetch: sent.fetch },
      { clock: () => Date.now() + offsetMs, backoff: BACKOFF },
    );
    try {
      expect((await client.http.get('/orders')).status).toBe(200);
      const before = sent.count();
      offsetMs = INSIDE_REFRESH_WINDOW_MS;
      servers.auth.faults.set(fault);

      const result = await requestLoop(() => client.http.get('/orders'), {
        workers: 16,
        durationMs: OUTAGE_MS,
      });
      const tokenRequests = sent.count() - before;

      expect(result.errors).toEqual([]);
      expect(result.requests).toBeGreaterThan(0);
      // The refresh was attempted (the token is due), but paced by the backoff.
      expect(tokenRequests).toBeGreaterThanOrEqual(1);
      expect(tokenRequests).toBeLessThanOrEqual(MAX_TOKEN_REQUESTS);
    } finally {
      await client.manager.close();
    }
  });

  it('callers without a token get one typed error each, from one token request flight', async () => {
    const sent = countingFetch();
    const client = forgeClient(servers, { fetch: sent.fetch });
    try {
      servers.auth.faults.set(fault);
      servers.api.resetCounters();

      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => client.http.get('/orders')),
      );

      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
      for (const outcome of outcomes) {
        const error = (outcome as PromiseRejectedResult).reason as unknown;
        expect(error).toBeInstanceOf(ForgeError);
        expect((error as ForgeError).code).toMatch(/^FORGE_/);
        expect((error as ForgeError).message).toMatch(/^\[forge\] /);
      }
      // Nothing reached the API without a token, and all 20 callers shared one flight
      // (at most the transport's 2 attempts).
      expect(servers.api.requests()).toBe(0);
      expect(sent.count()).toBeGreaterThanOrEqual(1);
      expect(sent.count()).toBeLessThanOrEqual(2);
    } finally {
      await client.manager.close();
    }
  });
});

describe('a long outage with no token cached', () => {
  it('paces token requests by the backoff schedule, not by the request rate', async () => {
    // One attempt per flight and a 1 s backoff ceiling: in 1.5 s a correct manager
    // makes at most 9 flights (8 delays uniform in [0, 1000) ms summing under
    // 1.5 s has p < 0.001); one that ignores the backoff makes one every few ms.
    const sent = countingFetch();
    const client = forgeClient(
      servers,
      { retry: false, fetch: sent.fetch },
      { backoff: { baseMs: 1_000, maxMs: 1_000 } },
    );
    try {
      servers.auth.faults.set({ mode: 'status500' });

      const result = await requestLoop(() => client.manager.getToken(), {
        workers: 16,
        durationMs: 1_500,
      });
      const tokenRequests = sent.count();

      expect(result.failures).toBe(result.requests);
      expect(result.errors.every((error) => error instanceof ForgeError)).toBe(true);
      expect(tokenRequests).toBeLessThanOrEqual(9);
    } finally {
      await client.manager.close();
    }
  });

  it('recovers with the first request after the endpoint is back and the backoff has passed', async () => {
    let offsetMs = 0;
    const client = forgeClient(
      servers,
      {},
      { clock: () => Date.now() + offsetMs, backoff: BACKOFF },
    );
    try {
      servers.auth.faults.set({ mode: 'status503', times: 4 });
      await expect(client.http.get('/orders')).rejects.toBeInstanceOf(ForgeError);
      await expect(client.http.get('/orders')).rejects.toBeInstanceOf(ForgeError);
      offsetMs = BACKOFF.maxMs;
      expect((await client.http.get('/orders')).status).toBe(200);
    } finally {
      await client.manager.close();
    }
  });
});

describe('429 with a long Retry-After', () => {
  it('makes no token request before the Retry-After has passed', async () => {
    let offsetMs = 0;
    const sent = countingFetch();
    const client = forgeClient(
      servers,
      { fetch: sent.fetch },
      { clock: () => Date.now() + offsetMs, backoff: BACKOFF },
    );
    try {
      await client.http.get('/orders');
      const before = sent.count();
      offsetMs = INSIDE_REFRESH_WINDOW_MS;
      servers.auth.faults.set({ mode: 'status429', retryAfter: '30' });

      const result = await requestLoop(() => client.http.get('/orders'), {
        workers: 8,
        durationMs: OUTAGE_MS,
      });

      expect(result.errors).toEqual([]);
      // The server asked for 30 s of quiet: one refresh attempt, then nothing.
      expect(sent.count() - before).toBe(1);
    } finally {
      await client.manager.close();
    }
  });
});
