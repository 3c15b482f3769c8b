// Microbenchmark of the @forge/core token manager. It prints figures and
// asserts nothing: run it with `npx -y pnpm@10 --filter @forge/bench bench`.
import { Token, TokenManager, type TokenProvider } from '@forge/core';

const BATCHES = 15;
const CALLS_PER_BATCH = 1_000_000;
const CONCURRENT = 10_000;
// Enough calls that one-time JIT allocations (on-stack replacement) do not show as per-call bytes.
const ALLOC_CALLS = 10_000_000;

declare const gc: (() => void) | undefined;
const collect = typeof gc === 'function' ? gc : undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function countingProvider(serviceName: string): TokenProvider & { calls: number } {
  return {
    serviceName,
    calls: 0,
    async fetchToken() {
      this.calls += 1;
      // A token endpoint answers after at least one turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Token({ accessToken: `token-${this.calls}`, expiresAt: Date.now() + 3_600_000 });
    },
  };
}

let sink: unknown;

async function hotPath(): Promise<void> {
  const manager = new TokenManager(countingProvider('hot'));
  await manager.getToken();
  for (let i = 0; i < CALLS_PER_BATCH; i++) sink = manager.getToken(); // warm-up: let the JIT settle

  const nsPerOp: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_BATCH; i++) sink = manager.getToken();
    nsPerOp.push(Number(process.hrtime.bigint() - start) / CALLS_PER_BATCH);
  }

  let bytesPerOp = Number.NaN;
  if (collect) {
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ALLOC_CALLS; i++) sink = manager.getToken();
    const after = process.memoryUsage().heapUsed;
    bytesPerOp = (after - before) / ALLOC_CALLS;
  }

  console.log('getToken() on a cached token');
  console.log(
    `  median  ${median(nsPerOp).toFixed(1)} ns/op  (${BATCHES} batches x ${CALLS_PER_BATCH.toLocaleString('en-US')} calls)`,
  );
  console.log(`  min     ${Math.min(...nsPerOp).toFixed(1)} ns/op`);
  console.log(`  max     ${Math.max(...nsPerOp).toFixed(1)} ns/op`);
  console.log(
    `  heap    ${Number.isNaN(bytesPerOp) ? 'n/a (run node with --expose-gc)' : `${bytesPerOp.toFixed(3)} bytes/op (over ${ALLOC_CALLS.toLocaleString('en-US')} calls)`}`,
  );
  console.log('  target  < 1000 ns/op median, ~0 bytes/op');
  if (!((await (sink as Promise<Token>)) instanceof Token)) throw new Error('unexpected result');
  await manager.close();
}

async function manyKeys(): Promise<void> {
  const KEYS = 10_000;
  const base = countingProvider('keys');
  const provider: TokenProvider<number> & { readonly calls: number } = {
    serviceName: 'keys',
    get calls() {
      return base.calls;
    },
    fetchToken: (_tenant, context) => base.fetchToken(undefined, context),
    cacheKey: (tenant) => `keys:${tenant}`,
  };
  const manager = new TokenManager(provider);
  await Promise.all(Array.from({ length: KEYS }, (_, tenant) => manager.getToken(tenant)));
  const nsPerOp: number[] = [];
  for (let batch = 0; batch < 5; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS_PER_BATCH; i++) sink = manager.getToken(i % KEYS);
    nsPerOp.push(Number(process.hrtime.bigint() - start) / CALLS_PER_BATCH);
  }
  console.log(`getToken(tenant) across ${KEYS.toLocaleString('en-US')} cached keys`);
  console.log(`  median  ${median(nsPerOp).toFixed(1)} ns/op  (provider calls: ${provider.calls})`);
  await manager.close();
}

async function coldStampede(): Promise<void> {
  const provider = countingProvider('cold');
  const manager = new TokenManager(provider);
  const start = process.hrtime.bigint();
  const tokens = await Promise.all(Array.from({ length: CONCURRENT }, () => manager.getToken()));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const distinct = new Set(tokens.map((token) => token.accessToken)).size;
  console.log(`${CONCURRENT.toLocaleString('en-US')} concurrent getToken() on a cold manager`);
  console.log(`  provider calls  ${provider.calls}  (target: 1)`);
  console.log(`  distinct tokens ${distinct}`);
  console.log(`  all settled in  ${ms.toFixed(1)} ms (provider latency 5 ms)`);
  await manager.close();
}

console.log(`@forge/core microbenchmark — Node ${process.version}, ${process.arch}\n`);
await hotPath();
console.log();
await manyKeys();
console.log();
await coldStampede();
