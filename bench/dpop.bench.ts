// What DPoP (RFC 9449) costs: one proof (ES256, PS256, EdDSA; median and p99
// in µs, target under 100 µs median for ES256), requests per second through
// @forge/fetch with DPoP beside the same client with a bearer token, in
// alternating rounds of one run against a loopback server that answers at
// once, and the token requests a cold client makes under load against the
// testkit with nonces on at both servers. Prints figures and asserts nothing.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClientCredentialsTokenProvider,
  DPoP,
  type DPoPAlgorithm,
  TokenManager,
} from '@forge/core';
import { withForge } from '@forge/fetch';
import { startAuthServer, startResourceServer } from '@forge/testkit';

const PROOFS = 5_000;
const ROUNDS = 8;
const REQUESTS = 500;
const CONCURRENCY = 1_000;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
}

async function proofCost(alg: DPoPAlgorithm): Promise<[number, number]> {
  const dpop = new DPoP({ alg });
  await dpop.ready();
  const times: number[] = [];
  for (let i = 0; i < PROOFS + 500; i++) {
    const started = performance.now();
    await dpop.proof({
      method: 'GET',
      url: 'https://api.example/orders?page=1',
      accessToken: 'bench-token',
    });
    if (i >= 500) times.push((performance.now() - started) * 1000);
  }
  return [quantile(times, 0.5), quantile(times, 0.99)];
}

console.log(
  `\nDPoP proof cost, ${PROOFS} proofs each after warm-up (target: ES256 under 100 µs median)`,
);
console.log('| algorithm | median µs | p99 µs |');
console.log('|---|---:|---:|');
for (const alg of ['ES256', 'EdDSA', 'PS256'] as const) {
  const [median, p99] = await proofCost(alg);
  console.log(`| ${alg} | ${median.toFixed(1)} | ${p99.toFixed(1)} |`);
}

// Requests per second: the same @forge/fetch client, a DPoP-bound token vs a bearer token.
const server = createServer((_req, res) => res.end('{}'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dpop = new DPoP();
const jkt = await dpop.ready();
const bound = new TokenManager({
  serviceName: 'bench-dpop',
  dpop,
  fetchToken: async () => ({ accessToken: 'bench-dpop-token', tokenType: 'DPoP', jkt }),
});
const plain = new TokenManager({
  serviceName: 'bench-bearer',
  fetchToken: async () => ({ accessToken: 'bench-bearer-token' }),
});
const clients = {
  bearer: withForge(fetch, plain, { policy: { baseURL: origin } }),
  dpop: withForge(fetch, bound, { policy: { baseURL: origin } }),
};
const rates: Record<keyof typeof clients, number[]> = { bearer: [], dpop: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const name of ['bearer', 'dpop'] as const) {
    const call = clients[name];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < REQUESTS / 10; i++) await (await call(`${origin}/orders`)).text();
      }),
    );
    if (round > 0) rates[name].push(REQUESTS / ((performance.now() - started) / 1000));
  }
}
server.close();
const bearerRate = quantile(rates.bearer, 0.5);
const dpopRate = quantile(rates.dpop, 0.5);
console.log(
  `\nrequests/s over loopback, @forge/fetch, 10 in flight, median of ${ROUNDS - 1} rounds`,
);
console.log('| token | requests/s | vs bearer |');
console.log('|---|---:|---:|');
console.log(`| Bearer | ${bearerRate.toFixed(0)} | 1.00 |`);
console.log(`| DPoP | ${dpopRate.toFixed(0)} | ${(dpopRate / bearerRate).toFixed(2)} |`);

// Token requests under load: a cold client, nonces demanded by both servers.
const auth = await startAuthServer({ dpop: { nonce: true } });
const api = await startResourceServer({ auth, dpop: { nonce: true } });
const { post } = auth.clients;
const manager = new TokenManager(
  new ClientCredentialsTokenProvider({
    clientId: post.clientId,
    clientSecret: post.clientSecret,
    tokenEndpoint: auth.tokenEndpoint,
    dpop: true,
  }),
);
const call = withForge(fetch, manager, { policy: { baseURL: api.url } });
const statuses = await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, i) => (await call(`${api.url}/load/${i}`)).status),
);
console.log(
  `\n${CONCURRENCY} concurrent requests on a cold DPoP client, nonces on at both servers`,
);
console.log('| token requests | resource 401s (nonce) | failed requests |');
console.log('|---:|---:|---:|');
console.log(
  `| ${auth.tokenRequests()} | ${api.requests({ status: 401 })} | ${statuses.filter((s) => s !== 200).length} |`,
);
await manager.close();
await api.close();
await auth.close();
await bound.close();
await plain.close();
