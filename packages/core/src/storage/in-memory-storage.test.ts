import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { Token } from '../token.js';
import { InMemoryTokenStorage } from './in-memory-storage.js';

const token = (accessToken: string) => new Token({ accessToken, expiresAt: Date.now() + 60_000 });

// What every storage must do is in in-memory-storage.conformance.test.ts; here, what is its own.
describe('InMemoryTokenStorage', () => {
  it('evicts the least recently used entry beyond maxEntries', () => {
    const storage = new InMemoryTokenStorage({ maxEntries: 2 });
    storage.set('a', token('a'), 60_000);
    storage.set('b', token('b'), 60_000);
    expect(storage.get('a')?.accessToken).toBe('a'); // `a` is now the most recently used
    storage.set('c', token('c'), 60_000);
    expect(storage.has('b')).toBe(false);
    expect(storage.has('a')).toBe(true);
    expect(storage.has('c')).toBe(true);
    expect(storage.size).toBe(2);
  });

  it('evicts expired entries lazily, by the ttl it was given', () => {
    let now = 0;
    const storage = new InMemoryTokenStorage({ clock: () => now });
    storage.set('k', token('k'), 1_000);
    now = 999;
    expect(storage.get('k')?.accessToken).toBe('k');
    expect(storage.size).toBe(1);
    now = 1_000;
    expect(storage.get('k')).toBeUndefined();
    expect(storage.size).toBe(0);
  });

  it('clear() empties it', () => {
    const storage = new InMemoryTokenStorage();
    storage.set('k', token('k'), 60_000);
    storage.clear();
    expect(storage.size).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN, '10'])('rejects maxEntries %s', (maxEntries) => {
    expect(() => new InMemoryTokenStorage({ maxEntries: maxEntries as number })).toThrow(
      expect.objectContaining({ option: 'maxEntries' }),
    );
  });

  it('rejects a bad clock and bad set() arguments', () => {
    expect(() => new InMemoryTokenStorage({ clock: 5 as unknown as () => number })).toThrow(
      ConfigurationError,
    );
    const storage = new InMemoryTokenStorage();
    expect(() => storage.set('k', token('k'), 0)).toThrow(
      expect.objectContaining({ option: 'ttlMs' }),
    );
    expect(() => storage.set('k', {} as Token, 10)).toThrow(
      expect.objectContaining({ option: 'token' }),
    );
  });
});
