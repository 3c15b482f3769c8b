import { ConfigurationError } from '../errors.js';

/** Throws a `ConfigurationError` naming `option` unless `value` is a non-empty string. */
export function requireString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigurationError(option, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** A description of a value that never reveals a string's content (it may be a secret). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a blank string';
  if (value === null) return 'null';
  return typeof value;
}

// Node's util.inspect hook, by its registered name so no `node:util` import is needed.
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');
