/**
 * `AbortSignal.any` where the runtime has it (Node 20.3+, browsers, Deno,
 * Bun), and an equivalent for older runtimes. Call `dispose` when done: the
 * fallback must detach its listeners from long-lived signals (the manager's),
 * or every request would leave one behind.
 */
export function anySignal(signals: readonly AbortSignal[]): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const any = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (typeof any === 'function')
    return { signal: any.call(AbortSignal, [...signals]), dispose: () => {} };
  const controller = new AbortController();
  const dispose = (): void => {
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event): void => {
    dispose();
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const signal of signals) {
    if (signal.aborted) {
      dispose();
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', onAbort);
  }
  return { signal: controller.signal, dispose };
}

/** Why a {@link timeoutSignal} aborted: distinguishes our timeout from the caller's abort. */
export class TimeoutReason extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * A signal that aborts after `ms` with a {@link TimeoutReason}. Built on
 * `setTimeout` rather than `AbortSignal.timeout` so fake timers drive it in
 * tests and `clear()` frees the timer as soon as the request is done.
 */
export function timeoutSignal(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new TimeoutReason(ms)), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
