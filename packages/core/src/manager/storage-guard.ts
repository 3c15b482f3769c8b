import { StorageError } from '../errors.js';
import { redact } from '../redact.js';
import {
  type StorageCapabilities,
  storageCapabilities,
  type TokenLock,
  type TokenStorage,
} from '../storage.js';
import { isToken, Token } from '../token.js';
import type { Timers } from './timers.js';

/** What a guarded call answers when the storage threw, timed out or returned garbage. */
export const FAILED: unique symbol = Symbol('storage call failed');
export type Failed = typeof FAILED;

type Report = (key: string, operation: string, error: StorageError) => void;

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<T>).then === 'function'
  );
}

// A storage's error may echo the command it ran, token included: strip the tokens we know.
function secretsOf(token: Token | undefined): (string | undefined)[] {
  return token === undefined ? [] : [token.accessToken, token.refreshToken];
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Wraps a {@link TokenStorage} so that every call is bounded by a timeout and
 * never throws: a failure is reported (the manager turns it into a
 * `storageError` event) and answered with {@link FAILED}, which callers treat
 * as a cache miss. Synchronous storages are called without any timer.
 */
export class StorageGuard {
  readonly #storage: TokenStorage;
  readonly #timeoutMs: number;
  readonly #timers: Timers;
  readonly #report: Report;
  /** What the storage guarantees, read once: a storage's capabilities do not change. */
  readonly capabilities: StorageCapabilities;

  constructor(storage: TokenStorage, timeoutMs: number, timers: Timers, report: Report) {
    this.#storage = storage;
    this.capabilities = storageCapabilities(storage);
    this.#timeoutMs = timeoutMs;
    this.#timers = timers;
    this.#report = report;
  }

  /**
   * Whether the manager takes the storage's lock: only a fleet-wide one. A
   * lock that only excludes this process adds a storage call per miss and
   * nothing the manager's own single-flight does not already give.
   */
  get hasLock(): boolean {
    return this.capabilities.fleetLock;
  }

  /** Reads `key`; `known` is the token the caller holds, kept out of any error text. */
  async get(key: string, known?: Token): Promise<Token | undefined | Failed> {
    const value = await this.#call(key, 'get', () => this.#storage.get(key), secretsOf(known));
    if (value === FAILED || value === undefined || value === null) {
      return value === null ? undefined : value;
    }
    if (isToken(value)) return value;
    // A storage that hands back the serialized form is tolerated; anything else is garbage.
    try {
      return Token.fromJSON(value);
    } catch {
      this.#fail(key, 'get', 'returned a value that is not a token (a corrupted entry?)');
      return FAILED;
    }
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    await this.#call(key, 'set', () => this.#storage.set(key, token, ttlMs), secretsOf(token));
  }

  async delete(key: string, expected: Token | undefined): Promise<void> {
    await this.#call(key, 'delete', () => this.#storage.delete(key, expected), secretsOf(expected));
  }

  async lock(key: string, ttlMs: number): Promise<TokenLock | undefined | Failed> {
    const storage = this.#storage;
    if (!this.hasLock) return FAILED;
    return this.#call(key, 'lock', () => storage.lock?.(key, ttlMs));
  }

  async release(key: string, lock: TokenLock): Promise<void> {
    await this.#call(key, 'release', () => lock.release());
  }

  #fail(key: string, operation: string, problem: string): void {
    this.#report(
      key,
      operation,
      new StorageError(
        operation,
        `Storage ${operation} for key "${key}" ${problem}; treated as a cache miss. Check the storage's health and connection.`,
      ),
    );
  }

  async #call<T>(
    key: string,
    operation: string,
    run: () => T | Promise<T>,
    secrets: readonly (string | undefined)[] = [],
  ): Promise<T | Failed> {
    let result: T | Promise<T>;
    try {
      result = run();
    } catch (error) {
      this.#fail(key, operation, `failed: ${redact(messageOf(error), secrets)}`);
      return FAILED;
    }
    if (!isThenable<T>(result)) return result;
    let handle: ReturnType<Timers['set']> | undefined;
    const timeout = new Promise<Failed>((resolve) => {
      handle = this.#timers.set(() => resolve(FAILED), this.#timeoutMs);
    });
    try {
      const settled = await Promise.race([result, timeout]);
      if (settled === FAILED) {
        this.#fail(key, operation, `did not answer within ${this.#timeoutMs} ms`);
      }
      return settled;
    } catch (error) {
      this.#fail(key, operation, `failed: ${redact(messageOf(error), secrets)}`);
      return FAILED;
    } finally {
      if (handle !== undefined) this.#timers.clear(handle);
    }
  }
}
