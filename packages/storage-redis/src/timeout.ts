import { redact, StorageError } from '@forge/core';

const PACKAGE = 'storage-redis';

/** A {@link StorageError} raised by this package. @internal */
export function storageError(operation: string, message: string): StorageError {
  return new StorageError(operation, message, { package: PACKAGE });
}

function describe(error: unknown): string {
  if (error instanceof Error) return redact(`${error.name}: ${error.message}`);
  return 'unknown error';
}

/**
 * Bounds one Redis command by `timeoutMs` and turns every failure into a
 * {@link StorageError}. ioredis queues commands while it reconnects, so an
 * unbounded call could hang a caller for as long as Redis is down. The raw
 * ioredis error is not attached as `cause`: it carries the command's
 * arguments, and those include the stored token.
 * @internal
 */
export function bounded<T>(
  operation: string,
  timeoutMs: number,
  command: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = command();
  } catch (error) {
    return Promise.reject(storageError(operation, `Redis ${operation} failed: ${describe(error)}`));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        storageError(
          operation,
          `Redis did not answer ${operation} within ${timeoutMs} ms (down or slow); ` +
            'treated as a miss. Raise `commandTimeoutMs` if Redis is slow but healthy.',
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
        reject(storageError(operation, `Redis ${operation} failed: ${describe(error)}`));
      },
    );
  });
}
