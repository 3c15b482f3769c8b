import { describe, expect, it } from 'vitest';
import { Token } from '../token.js';
import { backoffDelay } from './backoff.js';
import { scheduleOf } from './schedule.js';

const window = { fraction: 0.2, minMs: 5_000, maxMs: 300_000 };
const issued = 1_000_000;
const token = (lifetimeMs: number | undefined) =>
  new Token({
    accessToken: 'a',
    issuedAt: issued,
    expiresAt: lifetimeMs === undefined ? undefined : issued + lifetimeMs,
  });

describe('scheduleOf', () => {
  it('subtracts the skew from the expiry and opens the window a fraction of the lifetime before', () => {
    expect(scheduleOf(token(600_000), 30_000, window)).toEqual({
      staleAt: issued + 570_000,
      refreshAt: issued + 570_000 - 120_000,
    });
  });

  it('clamps the window between minMs and maxMs', () => {
    expect(scheduleOf(token(10 * 3_600_000), 0, window).refreshAt).toBe(
      issued + 10 * 3_600_000 - 300_000,
    );
    expect(scheduleOf(token(60_000), 0, window).refreshAt).toBe(issued + 60_000 - 12_000);
    expect(scheduleOf(token(20_000), 0, window).refreshAt).toBe(issued + 20_000 - 5_000);
  });

  it('keeps a token shorter-lived than the skew usable for half its life, and the window within half of that', () => {
    expect(scheduleOf(token(8_000), 30_000, window)).toEqual({
      staleAt: issued + 4_000,
      refreshAt: issued + 2_000,
    });
  });

  it('never expires a token without expiry', () => {
    expect(scheduleOf(token(undefined), 30_000, window)).toEqual({
      staleAt: Number.POSITIVE_INFINITY,
      refreshAt: Number.POSITIVE_INFINITY,
    });
  });

  it('refreshes only at the stale instant without refresh ahead', () => {
    const { staleAt, refreshAt } = scheduleOf(token(600_000), 30_000, false);
    expect(refreshAt).toBe(staleAt);
  });
});

describe('backoffDelay', () => {
  const options = { baseMs: 1_000, maxMs: 8_000 };

  it('grows exponentially up to maxMs, with full jitter', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, options, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 40].map(ceiling)).toEqual([999, 1_999, 3_999, 7_999, 7_999, 7_999]);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(3, options, () => 0.5)).toBe(2_000);
  });

  it('stays within [0, ceiling) for random draws', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const delay = backoffDelay(attempt, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(8_000, 1_000 * 2 ** (attempt - 1)));
    }
  });
});
