/** A promise with its settle functions, for callers that share one outcome. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

const ignore = (): void => {};

/**
 * Creates a {@link Deferred}. Its rejection counts as handled: a background
 * refresh nobody awaits must not surface as an unhandled rejection, while
 * every caller that awaits it still sees the error.
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(ignore);
  return { promise, resolve, reject };
}
