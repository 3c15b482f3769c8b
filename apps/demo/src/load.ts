/** Options of {@link runLoad}. */
export interface LoadOptions {
  readonly requests: number;
  readonly concurrency: number;
  /** One call; resolves to the HTTP status. Anything but 200, or a rejection, is a failure. */
  readonly call: (index: number) => Promise<number>;
  /** Runs once, just before request number `requests / 2` is sent. */
  readonly halfway?: () => void;
}

/** What a load run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  /** Per-request latency in milliseconds, in completion order. */
  readonly latenciesMs: readonly number[];
  readonly errors: readonly string[];
}

/** Sends `requests` calls with at most `concurrency` in flight; bounded in count by construction. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { requests, concurrency, call, halfway } = options;
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  let failures = 0;
  let next = 0;
  const half = Math.floor(requests / 2);
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const index = next++;
      if (index === half) halfway?.();
      const started = performance.now();
      try {
        const status = await call(index);
        if (status !== 200) {
          failures++;
          errors.push(`request ${index}: HTTP ${status}`);
        }
      } catch (error) {
        failures++;
        errors.push(`request ${index}: ${error instanceof Error ? error.message : String(error)}`);
      }
      latenciesMs.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  return { requests, failures, latenciesMs, errors };
}

/** Nearest-rank percentile (`p` in 0–100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
