import { isToken, type MaybePromise, Token, type TokenStorage } from '@forge/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkBoolean,
  checkDuration,
  checkFunction,
  checkName,
  invalid,
  optionsObject,
  until,
} from './checks.js';

/**
 * Options of {@link runStorageConformance}: what the storage declares it can
 * do, and how the suite reaches a second instance and moves time.
 *
 * @example
 * ```ts
 * const options: StorageConformanceOptions = {
 *   lock: true,
 *   subscribe: true,
 *   peer: () => new MyStorage(new MyClient(url)),
 *   ttlMs: 300,
 *   advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
 * };
 * ```
 */
export interface StorageConformanceOptions {
  /**
   * Whether the storage implements `lock(key, ttlMs)` (single-flight across
   * processes). Default `false`; the suite checks that the declaration is true.
   */
  readonly lock?: boolean;
  /**
   * Whether the storage implements `subscribe(listener)` (change
   * notifications from other processes). Default `false`; the suite checks
   * that the declaration is true. Needs {@link peer}.
   */
  readonly subscribe?: boolean;
  /**
   * A second storage over the same backend, as another process has it (its own
   * connection, the same prefix). Runs the cross-instance tests: shared
   * entries, lock exclusion between instances, notifications. Called once per
   * test with the storage the factory made.
   */
  readonly peer?: (storage: TokenStorage) => MaybePromise<TokenStorage>;
  /**
   * Moves the storage's time forward by `ms`: a fake clock, or a real wait
   * for a server-side TTL. Runs the expiry tests (entries and locks).
   */
  readonly advanceTime?: (ms: number) => MaybePromise<void>;
  /** The TTL of the expiry tests, for entries and locks; default `1_000`. */
  readonly ttlMs?: number;
  /**
   * How long a change may take to reach the other instance (a notification, a
   * read that no longer hits an old copy); default `2_000`. Only a failing
   * test waits that long.
   */
  readonly notificationTimeoutMs?: number;
  /** Runs after each test for every storage the suite made; default `storage.dispose?.()`. */
  readonly cleanup?: (storage: TokenStorage) => MaybePromise<void>;
}

const HOUR = 3_600_000;
/** What a listener recorded when its read after a notification found nothing. */
const GONE = null;

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

function checkOptions(name: unknown, factory: unknown, options: unknown): void {
  checkName(name, 'name');
  if (typeof factory !== 'function') {
    throw invalid(
      'factory',
      'must be a function returning a new TokenStorage (or a promise of one)',
    );
  }
  const given = optionsObject(options, 'options');
  checkBoolean(given.lock, 'lock');
  checkBoolean(given.subscribe, 'subscribe');
  checkFunction(
    given.peer,
    'peer',
    'must be a function returning a second storage over the same backend',
  );
  checkFunction(
    given.advanceTime,
    'advanceTime',
    'must be a function (ms) => void that moves the storage’s time forward',
  );
  checkFunction(given.cleanup, 'cleanup', 'must be a function (storage) => void');
  checkDuration(given.ttlMs, 'ttlMs');
  checkDuration(given.notificationTimeoutMs, 'notificationTimeoutMs');
  if (given.subscribe === true && given.peer === undefined) {
    throw invalid(
      'peer',
      'is needed with subscribe: true, since notifications are about changes another instance makes; pass () => a second storage over the same backend',
    );
  }
}

/**
 * Subscribes to `storage` and records, for each notification of `key`, what
 * `storage.get(key)` answers at that moment: the manager re-reads the key as
 * soon as it hears of a change, so the change must be readable by then.
 */
function record(storage: TokenStorage, key: string) {
  const seen: (string | typeof GONE)[] = [];
  const subscribe = storage.subscribe;
  if (subscribe === undefined) throw new Error('the storage has no subscribe()');
  const unsubscribe = subscribe.call(storage, (changed) => {
    if (changed !== key) return;
    Promise.resolve(storage.get(key)).then(
      (token) => seen.push(token?.accessToken ?? GONE),
      (error: unknown) => seen.push(`get() failed: ${String(error)}`),
    );
  });
  return { seen, unsubscribe };
}

/**
 * The behaviour {@link TokenManager} relies on in every {@link TokenStorage},
 * as one vitest suite. Entries: lossless round trips, the `ttlMs` the manager
 * asks for (an entry outlives its access token, for its refresh token),
 * compare-and-delete, opaque keys. With `lock`: one holder at a time, also
 * across instances; release only by the holder; expiry after the lock's TTL
 * (a crashed holder); reads under the lock see other instances' writes. With
 * `subscribe`: listeners hear of keys other instances set or delete, once the
 * change is readable, and stop hearing after unsubscribing. Each test uses
 * fresh random keys, so a shared server needs no flushing between tests.
 *
 * @example
 * ```ts
 * import { runStorageConformance } from '@forge/testkit/conformance';
 *
 * runStorageConformance('InMemoryTokenStorage', () => new InMemoryTokenStorage());
 * runStorageConformance('RedisTokenStorage', () => new RedisTokenStorage(redis), {
 *   lock: true,
 *   subscribe: true,
 *   peer: () => new RedisTokenStorage(redis),
 *   ttlMs: 300,
 *   advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
 * });
 * ```
 */
export function runStorageConformance(
  name: string,
  factory: () => MaybePromise<TokenStorage>,
  options: StorageConformanceOptions = {},
): void {
  checkOptions(name, factory, options);
  const declaresLock = options.lock === true;
  const declaresSubscribe = options.subscribe === true;
  const ttlMs = options.ttlMs ?? 1_000;
  const patience = options.notificationTimeoutMs ?? 2_000;
  const { advanceTime, peer: makePeer } = options;

  describe(`${name} (TokenStorage conformance)`, () => {
    let storage: TokenStorage;
    let peer: TokenStorage;
    const key = (): string => `conformance:${crypto.randomUUID()}`;
    // The lock and subscribe tests only run where declared, and there the method exists.
    const lock = (target: TokenStorage, k: string, ms: number) =>
      (target.lock as NonNullable<TokenStorage['lock']>).call(target, k, ms);

    beforeEach(async () => {
      storage = await factory();
      if (makePeer) peer = await makePeer(storage);
    });

    afterEach(async () => {
      const made = makePeer ? [peer, storage] : [storage];
      for (const each of made) {
        if (options.cleanup) await options.cleanup(each);
        else await each.dispose?.();
      }
    });

    it('has the capabilities it declares (lock, subscribe, capabilities)', () => {
      expect(
        typeof storage.lock === 'function',
        `lock(): declared ${declaresLock}; pass { lock: ${!declaresLock} } so the suite checks what the manager relies on`,
      ).toBe(declaresLock);
      expect(
        typeof storage.subscribe === 'function',
        `subscribe(): declared ${declaresSubscribe}; pass { subscribe: ${!declaresSubscribe}, peer } so the suite checks what the manager relies on`,
      ).toBe(declaresSubscribe);
      // Declared capabilities must not promise what the methods cannot do.
      const { capabilities } = storage;
      if (capabilities !== undefined) {
        if (capabilities.fleetLock) {
          expect(typeof storage.lock, 'capabilities.fleetLock without a lock()').toBe('function');
        }
        if (capabilities.changeNotifications) {
          expect(
            typeof storage.subscribe,
            'capabilities.changeNotifications without a subscribe()',
          ).toBe('function');
        }
      }
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

    it('keeps an entry for its ttlMs after its access token expired (the manager renews with its refresh token)', async () => {
      const k = key();
      const expired = sample({ expiresAt: Date.now() - 60_000, issuedAt: Date.now() - HOUR });
      await storage.set(k, expired, HOUR);
      const read = await storage.get(k);
      expect(read?.accessToken).toBe(expired.accessToken);
      expect(read?.refreshToken).toBe(expired.refreshToken);
      expect(await storage.has(k)).toBe(true);
      // Another process reads it from the backend, past any copy this instance kept.
      if (makePeer) expect((await peer.get(k))?.refreshToken).toBe(expired.refreshToken);
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

    it('compare-and-delete: removes only the expected token (a late 401 never drops a newer one)', async () => {
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

    it('takes keys as opaque strings: separators, hash tags, patterns, unicode, 1 KB', async () => {
      const base = key();
      // Manager keys are provider cache keys: JSON, URLs and tenant names all occur.
      const keys = [
        `${base}:a`,
        `${base}:a:`,
        `${base}/a b`,
        `${base}{tenant}`,
        `${base}*?[x]`,
        `${base}"\\'\n`,
        `${base}:ünï😀`,
        `${base}:${'x'.repeat(1_000)}`,
      ];
      const tokens = keys.map(() => sample());
      for (const [i, k] of keys.entries()) await storage.set(k, tokens[i] as Token, HOUR);
      for (const [i, k] of keys.entries()) {
        expect((await storage.get(k))?.accessToken, k).toBe(tokens[i]?.accessToken);
      }
      await storage.delete(keys[0] as string);
      expect(await storage.has(keys[1] as string)).toBe(true);
    });

    if (advanceTime) {
      it('expires an entry after its ttlMs', async () => {
        const k = key();
        await storage.set(k, sample({ expiresAt: Date.now() + HOUR }), ttlMs);
        await advanceTime(Math.floor(ttlMs / 2));
        expect(await storage.has(k)).toBe(true);
        await advanceTime(ttlMs);
        expect(await storage.get(k)).toBeUndefined();
        expect(await storage.has(k)).toBe(false);
      });
    }

    if (makePeer) {
      describe('with another instance', () => {
        it('shares entries: what one sets the other reads; a delete reaches the other', async () => {
          const k = key();
          const token = sample();
          await peer.set(k, token, HOUR);
          expect((await storage.get(k))?.accessToken).toBe(token.accessToken);
          expect(await storage.has(k)).toBe(true);
          await peer.delete(k);
          await until(
            'the storage misses a key another instance deleted',
            async () => (await storage.get(k)) === undefined,
            patience,
          );
        });

        it("compare-and-delete: another instance's old token never removes this one's newer", async () => {
          const k = key();
          const old = sample();
          await peer.set(k, old, HOUR);
          const newer = sample();
          await storage.set(k, newer, HOUR);
          await peer.delete(k, old);
          expect((await storage.get(k))?.accessToken).toBe(newer.accessToken);
          await until(
            'the other instance reads the newer token',
            async () => (await peer.get(k))?.accessToken === newer.accessToken,
            patience,
          );
        });
      });
    }

    if (declaresLock) {
      describe('lock', () => {
        it('one holder at a time, other keys independent, free again after release', async () => {
          const k = key();
          const first = await lock(storage, k, HOUR);
          expect(first).toBeDefined();
          expect(await lock(storage, k, HOUR)).toBeUndefined();
          const other = await lock(storage, key(), HOUR);
          expect(other).toBeDefined();
          await first?.release();
          const again = await lock(storage, k, HOUR);
          expect(again).toBeDefined();
          await again?.release();
          await other?.release();
        });

        it('only the holder releases: a second release by an old holder leaves the next holder alone', async () => {
          const k = key();
          const first = await lock(storage, k, HOUR);
          await first?.release();
          const second = await lock(storage, k, HOUR);
          expect(second).toBeDefined();
          await first?.release();
          expect(await lock(storage, k, HOUR)).toBeUndefined();
          await second?.release();
          const free = await lock(storage, k, HOUR);
          expect(free).toBeDefined();
          await free?.release();
        });

        if (makePeer) {
          it('is exclusive across instances: of 10 concurrent attempts from two, one wins', async () => {
            const k = key();
            const attempts = await Promise.all(
              Array.from({ length: 10 }, (_, i) => lock(i % 2 === 0 ? storage : peer, k, HOUR)),
            );
            const held = attempts.filter((attempt) => attempt !== undefined);
            expect(held).toHaveLength(1);
            await held[0]?.release();
            const next = await lock(peer, k, HOUR);
            expect(next).toBeDefined();
            await next?.release();
          });

          it('under the lock, a read sees what another instance stored before it was taken', async () => {
            // The manager re-reads under the lock for the newest refresh token:
            // a copy this instance read earlier must not answer.
            const k = key();
            await peer.set(k, sample(), HOUR);
            await storage.get(k);
            const newer = sample();
            await peer.set(k, newer, HOUR);
            const held = await lock(storage, k, HOUR);
            expect(held).toBeDefined();
            try {
              expect((await storage.get(k))?.refreshToken).toBe(newer.refreshToken);
            } finally {
              await held?.release();
            }
          });
        }

        if (advanceTime) {
          it('holds for its ttlMs, then expires (a crashed holder blocks others at most that long)', async () => {
            const k = key();
            expect(await lock(storage, k, ttlMs)).toBeDefined();
            await advanceTime(Math.floor(ttlMs / 2));
            expect(await lock(makePeer ? peer : storage, k, ttlMs)).toBeUndefined();
            await advanceTime(ttlMs);
            const next = await lock(makePeer ? peer : storage, k, HOUR);
            expect(next).toBeDefined();
            await next?.release();
          });

          it("an expired holder's release leaves the next holder's lock alone", async () => {
            const k = key();
            const stale = await lock(storage, k, ttlMs);
            expect(stale).toBeDefined();
            await advanceTime(ttlMs + Math.ceil(ttlMs / 2));
            const next = await lock(makePeer ? peer : storage, k, HOUR);
            expect(next).toBeDefined();
            await stale?.release();
            expect(await lock(storage, k, HOUR)).toBeUndefined();
            await next?.release();
          });
        }
      });
    }

    if (declaresSubscribe) {
      describe('subscribe', () => {
        beforeEach(async () => {
          // A storage may start listening asynchronously (a subscriber
          // connection): wait until a change made by the peer gets through.
          const probe = key();
          await storage.get(probe);
          let heard = false;
          const unsubscribe = storage.subscribe?.((changed) => {
            if (changed === probe) heard = true;
          });
          try {
            await until(
              'a first notification of a key another instance set (is the storage listening?)',
              async () => {
                if (!heard) await peer.set(probe, sample(), HOUR);
                return heard;
              },
              patience,
            );
          } finally {
            unsubscribe?.();
            await peer.delete(probe);
          }
        });

        /**
         * Subscribes, has the peer store a first token and waits for its
         * notification, then reads it: from here this instance holds that
         * token (in any copy it keeps), as a manager would.
         */
        const holding = async (k: string, first: Token) => {
          await storage.get(k);
          const recorded = record(storage, k);
          await peer.set(k, first, HOUR);
          await until(
            `a notification of "${k}" after which this storage reads the first token`,
            () => recorded.seen.includes(first.accessToken),
            patience,
          );
          expect((await storage.get(k))?.accessToken).toBe(first.accessToken);
          return recorded;
        };

        it('tells a listener of a key another instance set, once the new token is readable', async () => {
          const k = key();
          const { seen, unsubscribe } = await holding(k, sample());
          try {
            const newer = sample();
            await peer.set(k, newer, HOUR);
            await until(
              `a notification of "${k}" after which this storage reads the new token (read then: ${JSON.stringify(seen)})`,
              () => seen.includes(newer.accessToken),
              patience,
            );
          } finally {
            unsubscribe();
          }
        });

        it('tells a listener of a key another instance deleted after a 401, once the miss is readable', async () => {
          const k = key();
          const rejected = sample();
          const { seen, unsubscribe } = await holding(k, rejected);
          try {
            await peer.delete(k, rejected);
            await until(
              `a notification of "${k}" after which this storage misses it (read then: ${JSON.stringify(seen)})`,
              () => seen.includes(GONE),
              patience,
            );
          } finally {
            unsubscribe();
          }
        });

        it('tells every listener; one that unsubscribed hears no more', async () => {
          const k = key();
          await storage.get(k);
          const left = record(storage, k);
          const stays = record(storage, k);
          left.unsubscribe();
          left.unsubscribe(); // twice is harmless, and leaves the other listener subscribed
          try {
            const token = sample();
            await peer.set(k, token, HOUR);
            await until(
              `a notification of "${k}" to the listener still subscribed`,
              () => stays.seen.includes(token.accessToken),
              patience,
            );
            expect(left.seen).toEqual([]);
          } finally {
            stays.unsubscribe();
          }
        });
      });
    }
  });
}
