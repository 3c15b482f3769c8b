/** A value or a promise of it: storages and providers may answer synchronously. */
export type MaybePromise<T> = T | Promise<T>;
