import { expect, it } from 'vitest';
import { main } from './main.js';

it('records token request spans under the waiting request, Forge metrics, and answers readiness', async () => {
  const result = await main();
  expect(result.statuses).toEqual([200, 200, 200]);
  expect(result.ready.status).toBe(200);
  expect(result.ready.body).toMatchObject({
    status: 'ready',
    services: { orders: { ready: true } },
  });
  // The first request waited for a token; the third for the renewal after the 401.
  expect(result.spans.filter((span) => span.startsWith('forge.token.request'))).toEqual([
    'forge.token.request <- GET /orders/1',
    'forge.token.request <- GET /orders/3',
  ]);
  expect(result.spans.filter((span) => span.startsWith('POST'))).toEqual([
    'POST <- forge.token.request',
    'POST <- forge.token.request',
  ]);
  // pino: one line per call to the orders API (the 401 and its retry are two), and the token events.
  const requestLines = result.log.filter((line) => line.client === 'fetch');
  expect(requestLines.map((line) => [line.status, line.attempt])).toEqual([
    [200, 0],
    [200, 0],
    [401, 0],
    [200, 1],
  ]);
  expect(result.log.filter((line) => line.event === 'fetched')).toHaveLength(2);
  expect(result.log.filter((line) => line.event === 'invalidated')).toHaveLength(1);
  expect(JSON.stringify(result.log)).not.toMatch(/Bearer|access_token|eyJ/);
  const requests = result.metrics['forge.token.requests'] ?? [];
  expect(requests.map((point) => point.attributes)).toEqual([
    {
      'forge.service.name': 'orders',
      'forge.token.outcome': 'fetched',
      'forge.token.reason': 'missing',
    },
    {
      'forge.service.name': 'orders',
      'forge.token.outcome': 'fetched',
      'forge.token.reason': 'rejected',
    },
  ]);
  expect(result.metrics['forge.token.renewals']?.[0]?.value).toBe(1);
  const lookups = result.metrics['forge.token.cache.lookups'] ?? [];
  expect(
    lookups.find(
      (point) =>
        'forge.cache.result' in point.attributes &&
        point.attributes['forge.cache.result'] === 'hit',
    )?.value,
  ).toBeGreaterThan(0);
});
