import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { KnownKeys } from './known-keys.js';
import { LocalCopy } from './local-copy.js';

describe('KnownKeys', () => {
  it('derives the names of a key once', () => {
    const derive = vi.fn((key: string) => ({ digest: `d-${key}` }));
    const known = new KnownKeys(new LocalCopy(10), 'storage-x', derive);
    expect(known.of('a')).toEqual({ digest: 'd-a' });
    expect(known.of('a')).toBe(known.of('a'));
    expect(derive).toHaveBeenCalledTimes(1);
  });

  it('rejects an empty or non-string key, naming the package', () => {
    const known = new KnownKeys(new LocalCopy(10), 'storage-x', (key) => ({ digest: key }));
    for (const key of ['', 42 as unknown as string]) {
      expect(() => known.of(key)).toThrow(ConfigurationError);
      expect(() => known.of(key)).toThrow('[forge] [storage-x] Invalid option `key`');
    }
  });

  it('tells listeners of a change by key, until the key is forgotten', () => {
    const copy = new LocalCopy(10);
    const known = new KnownKeys(copy, 'storage-x', (key) => ({ digest: `d-${key}` }), 2);
    const heard: string[] = [];
    copy.subscribe((key) => heard.push(key));
    known.of('a');
    known.of('b');
    known.of('c'); // forgets `a`, the oldest
    copy.onMessage('other-instance d-a');
    copy.onMessage('other-instance d-c');
    expect(heard).toEqual(['c']);
  });
});
