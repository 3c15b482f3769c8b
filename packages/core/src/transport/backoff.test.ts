import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter } from './backoff.js';

describe('fullJitterDelay', () => {
  it('draws uniformly below a ceiling that doubles per attempt and is capped', () => {
    const top = () => 0.999_999;
    expect(fullJitterDelay(1, 100, 5_000, top)).toBe(99);
    expect(fullJitterDelay(2, 100, 5_000, top)).toBe(199);
    expect(fullJitterDelay(4, 100, 5_000, top)).toBe(799);
    expect(fullJitterDelay(20, 100, 5_000, top)).toBe(4_999);
    expect(fullJitterDelay(3, 100, 5_000, () => 0)).toBe(0);
    expect(fullJitterDelay(3, 100, 5_000, () => 0.5)).toBe(200);
  });

  it('stays within [0, ceiling) for real randomness', () => {
    for (let i = 0; i < 200; i++) {
      const delay = fullJitterDelay(3, 50, 1_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now, and a past date as now', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});
