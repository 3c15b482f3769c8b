import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { Token } from '../token.js';
import { checkSetArguments, entryLifetime, expectedFingerprint, lockTtl } from './arguments.js';
import { fingerprint } from './envelope/envelope.js';

const token = new Token({ accessToken: 'at-secret', expiresAt: Date.now() + 60_000 });

/** What a helper raises: a ConfigurationError naming `option`, under the caller's package. */
function invalid(option: string, problem: string) {
  return expect.objectContaining({
    name: 'ConfigurationError',
    option,
    message: `[forge] [storage-x] Invalid option \`${option}\`: ${problem}`,
  });
}

describe('checkSetArguments', () => {
  it('accepts a Token and any number of milliseconds, expired ones included', () => {
    for (const ttlMs of [1, 0, -5, Number.POSITIVE_INFINITY]) {
      expect(() => checkSetArguments(token, ttlMs, 'storage-x')).not.toThrow();
    }
  });

  it('names the token option and the package', () => {
    expect(() =>
      checkSetArguments({ accessToken: 'x' } as unknown as Token, 1_000, 'storage-x'),
    ).toThrow(invalid('token', 'must be a Token from @forge/core'));
  });

  it('rejects a ttlMs that is not a number', () => {
    for (const ttlMs of [Number.NaN, '1000' as unknown as number, undefined as unknown as number]) {
      expect(() => checkSetArguments(token, ttlMs, 'storage-x')).toThrow(
        invalid('ttlMs', 'must be a number of milliseconds'),
      );
    }
  });
});

describe('entryLifetime', () => {
  it('rounds up to whole milliseconds from now', () => {
    expect(entryLifetime(1_000.2, 5_000)).toEqual({ ttl: 1_001, expiresAt: 6_001 });
  });

  it('is undefined for an entry already expired', () => {
    expect(entryLifetime(0, 5_000)).toBeUndefined();
    expect(entryLifetime(-1, 5_000)).toBeUndefined();
  });

  it('never expires for an infinite ttl', () => {
    expect(entryLifetime(Number.POSITIVE_INFINITY, 5_000)).toEqual({
      ttl: 0,
      expiresAt: undefined,
    });
  });
});

describe('expectedFingerprint', () => {
  it("is the expected token's fingerprint, or empty without one", async () => {
    expect(await expectedFingerprint(token, 'storage-x')).toBe(await fingerprint(token));
    expect(await expectedFingerprint(undefined, 'storage-x')).toBe('');
  });

  it('rejects what is not a Token, without quoting it', async () => {
    const fake = { accessToken: 'at-secret' } as unknown as Token;
    const failing = expectedFingerprint(fake, 'storage-x');
    await expect(failing).rejects.toThrow(ConfigurationError);
    await expect(failing).rejects.toThrow(invalid('expected', 'must be a Token from @forge/core'));
  });
});

describe('lockTtl', () => {
  it('rounds up to whole milliseconds', () => {
    expect(lockTtl(250.5, 'storage-x')).toBe(251);
  });

  it('rejects what is not a positive finite number', () => {
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => lockTtl(ttlMs, 'storage-x')).toThrow(
        invalid('ttlMs', 'must be a positive number of milliseconds'),
      );
    }
  });
});
