import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { main } from './main.js';

it('calls the API with one token, renews it after a revocation, and logs each step', async () => {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const result = await main(destination);
  expect(result.statuses).toEqual([200, 200, 200, 200, 200, 200]);
  expect(result.tokenRequests).toBe(2);
  expect(result.calledAs).toMatch(/\S/);
  const requests = lines.filter((line) => line.client === 'got');
  expect(requests).toHaveLength(7);
  // The request after the revocation: its 401 (warn), then its retry with the new token.
  expect(requests.slice(-2).map(({ level, status, attempt }) => [level, status, attempt])).toEqual([
    [40, 401, 0],
    [30, 200, 1],
  ]);
  expect(lines.filter((line) => line.event !== undefined).map((line) => line.event)).toEqual([
    'fetched',
    'invalidated',
    'fetched',
  ]);
});
