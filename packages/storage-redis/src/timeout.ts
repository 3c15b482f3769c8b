import { StorageError } from '@forge/core';
import {
  type BoundedContext,
  bounded as boundedBy,
  type EnvelopeReader,
} from '@forge/core/storage';

const PACKAGE = 'storage-redis';
const CONTEXT: BoundedContext = {
  package: PACKAGE,
  backend: 'Redis',
  option: 'commandTimeoutMs',
};

/** Who reads entries, for the errors of unreadable ones. @internal */
export const READER: EnvelopeReader = {
  package: PACKAGE,
  writer: '@forge/storage-redis',
  foreignHint: 'check the key `prefix`',
};

/** A {@link StorageError} raised by this package. @internal */
export function storageError(operation: string, message: string): StorageError {
  return new StorageError(operation, message, { package: PACKAGE });
}

/** Bounds one Redis command by `timeoutMs`; every failure is a StorageError. @internal */
export function bounded<T>(
  operation: string,
  timeoutMs: number,
  command: () => Promise<T>,
): Promise<T> {
  return boundedBy(operation, timeoutMs, command, CONTEXT);
}
