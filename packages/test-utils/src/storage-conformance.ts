import { isToken, Token, type TokenStorage } from '@forge/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

type MaybePromise<T> = T | Promise<T>;

/**
 * Options of {@link runStorageConformance}.
 *
 * @example
 * ```ts
 * runStorageConformance('MyStorage', () => new MyStorage(), { lock: true, advanceTime: sleep, ttlMs: 200 });
 * ```
 */
export interface StorageConformanceOptions {
  /**
   * Moves the storage's time forward by `ms` (a fake clock, or a real wait
   * for a server-side TTL). When given, the expiry test runs.
   */
  readonly advanceTime?: (ms: number) => MaybePromise<void>;
  /** TTL used by the expiry test; default `1_000`. */
  readonly ttlMs?: number;
  /** Whether the storage implements `lock` (cross-process single-flight). Default `false`. */
  readonly lock?: boolean;
  /** Runs after each test; defaults to `storage.dispose()`. */
  readonly cleanup?: (storage: TokenStorage) => MaybePromise<void>;
}

const HOUR = 3_600_000;

function sample(overrides: Partial<ConstructorParameters<typeof Token>[0]> = {}): Token {
  return new Token({
    accessToken: `at-${crypto.randomUUID()}`,
    tokenType: 'Bearer',
    expiresAt: Date.now() + HOUR,
    issuedAt: Date.now(),
    refreshToken: `rt-${crypto.randomUUID()}`,
    scope: 'read write',
    extra: { id_token_hint: 'x', nested: { n: 1, list: [1, 'two', null] }, unicode: 'ünï😀' },
    ...overrides,
  });
}

/**
 * The behaviour every {@link TokenStorage} must share, as one vitest suite:
 * round trips without loss, compare-and-delete, `has`, independent keys,
 * expiry after `ttlMs`, and the lock when the storage has one. Each test uses
 * fresh random keys, so a shared server needs no flushing between tests.
 *
 * @example
 * ```ts
 * runStorageConformance('InMemoryTokenStorage', () => new InMemoryTokenStorage());
 * runStorageConformance('RedisTokenStorage', () => new RedisTokenStorage(redis), {
 *   lock: true,
 *   ttlMs: 200,
 *   advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
 * });
 * ```
 */
export function runStorageConformance(
  name: string,
  factory: () => MaybePromise<TokenStorage>,
  options: StorageConformanceOptions = {},
): void {
  describe(`${name} (TokenStorage conformance)`, () => {
    let storage: TokenStorage;
    const key = (): string => `conformance:${crypto.randomUUID()}`;

    beforeEach(async () => {
      storage = await factory();
    });

    afterEach(async () => {
      if (options.cleanup) await options.cleanup(storage);
      else await storage.dispose?.();
    });

    it('answers undefined for a missing key', async () => {
      const k = key();
      expect(await storage.get(k)).toBeUndefined();
      expect(await storage.has(k)).toBe(false);
    });

    it('round-trips every field of a token without loss', async () => {
      const k = key();
      const token = sample();
      await storage.set(k, token, HOUR);
      const read = await storage.get(k);
      expect(isToken(read)).toBe(true);
      expect(read?.toJSON()).toEqual(token.toJSON());
      expect(read?.authorizationHeader).toBe(token.authorizationHeader);
      expect(await storage.has(k)).toBe(true);
    });

    it('round-trips a minimal token (no expiry, refresh token, scope or extra)', async () => {
      const k = key();
      const token = new Token({ accessToken: 'minimal', tokenType: 'DPoP' });
      await storage.set(k, token, HOUR);
      const read = await storage.get(k);
      expect(read?.toJSON()).toEqual(token.toJSON());
      expect(read?.expiresAt).toBeUndefined();
      expect(read?.tokenType).toBe('DPoP');
    });

    it('overwrites an entry', async () => {
      const k = key();
      await storage.set(k, sample(), HOUR);
      const newer = sample();
      await storage.set(k, newer, HOUR);
      expect((await storage.get(k))?.accessToken).toBe(newer.accessToken);
    });

    it('deletes an entry, and deleting a missing key is a no-op', async () => {
      const k = key();
      await storage.set(k, sample(), HOUR);
      await storage.delete(k);
      expect(await storage.get(k)).toBeUndefined();
      expect(await storage.has(k)).toBe(false);
      await storage.delete(k);
      await storage.delete(key(), sample());
      expect(await storage.has(k)).toBe(false);
    });

    it('compare-and-delete: removes only the expected token', async () => {
      const k = key();
      const old = sample();
      const newer = sample();
      await storage.set(k, newer, HOUR);
      await storage.delete(k, old);
      expect((await storage.get(k))?.accessToken).toBe(newer.accessToken);
      await storage.delete(k, newer);
      expect(await storage.get(k)).toBeUndefined();
    });

    it('keeps keys independent', async () => {
      const keys = Array.from({ length: 50 }, key);
      const tokens = keys.map(() => sample());
      await Promise.all(keys.map((k, i) => storage.set(k, tokens[i] as Token, HOUR)));
      const read = await Promise.all(keys.map((k) => storage.get(k)));
      expect(read.map((t) => t?.accessToken)).toEqual(tokens.map((t) => t.accessToken));
      await storage.delete(keys[0] as string);
      expect(await storage.has(keys[1] as string)).toBe(true);
    });

    if (options.advanceTime) {
      const advance = options.advanceTime;
      const ttlMs = options.ttlMs ?? 1_000;
      it('expires an entry after its ttlMs', async () => {
        const k = key();
        await storage.set(k, sample({ expiresAt: Date.now() + HOUR }), ttlMs);
        await advance(Math.floor(ttlMs / 2));
        expect(await storage.has(k)).toBe(true);
        await advance(ttlMs);
        expect(await storage.get(k)).toBeUndefined();
        expect(await storage.has(k)).toBe(false);
      });
    }

    if (options.lock) {
      it('lock: one holder at a time, free again after release', async () => {
        const k = key();
        expect(storage.lock).toBeTypeOf('function');
        const first = await storage.lock?.(k, 10_000);
        expect(first).toBeDefined();
        expect(await storage.lock?.(k, 10_000)).toBeUndefined();
        const other = await storage.lock?.(key(), 10_000);
        expect(other).toBeDefined();
        await first?.release();
        const again = await storage.lock?.(k, 10_000);
        expect(again).toBeDefined();
        await again?.release();
        await other?.release();
      });
    } else {
      it('declares no lock (the manager then relies on in-process single-flight)', () => {
        expect(storage.lock).toBeUndefined();
      });
    }
  });
}
