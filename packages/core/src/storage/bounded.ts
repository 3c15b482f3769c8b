import { StorageError } from '../errors.js';
import { redact } from '../redact.js';

/** Who runs a bounded command, for its error messages. */
export interface BoundedContext {
  /** The package raising the error, such as `storage-postgres`. */
  readonly package: string;
  /** The backend's name in messages, such as `PostgreSQL`. */
  readonly backend: string;
  /** The option that sets the bound, such as `queryTimeoutMs`. */
  readonly option: string;
}

function describe(error: unknown): string {
  if (error instanceof Error) return redact(`${error.name}: ${error.message}`);
  return 'unknown error';
}

/**
 * Bounds one backend command by `timeoutMs` and turns every failure into a
 * {@link StorageError}, which the manager treats as a miss. Clients queue
 * commands while they reconnect, so an unbounded call could hang a caller
 * for as long as the backend is down. The client's error is not attached as
 * `cause`: it may carry the command's arguments, and those include the
 * stored token.
 *
 * @example
 * ```ts
 * const raw = await bounded('get', 500, () => redis.get(entry), context);
 * ```
 */
export function bounded<T>(
  operation: string,
  timeoutMs: number,
  command: () => Promise<T>,
  context: BoundedContext,
): Promise<T> {
  const failed = (error: unknown): StorageError =>
    new StorageError(operation, `${context.backend} ${operation} failed: ${describe(error)}`, {
      package: context.package,
    });
  let pending: Promise<T>;
  try {
    pending = command();
  } catch (error) {
    return Promise.reject(failed(error));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new StorageError(
          operation,
          `${context.backend} did not answer ${operation} within ${timeoutMs} ms (down or slow); ` +
            `treated as a miss. Raise \`${context.option}\` if ${context.backend} is slow but healthy.`,
          { package: context.package },
        ),
      );
    }, timeoutMs);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(failed(error));
      },
    );
  });
}
