import { describe, expect, it } from 'vitest';
import { clockCheck } from './clock.js';
import type { Exchange } from './recorder.js';

const at = Date.parse('2026-11-30T03:00:00.000Z');
const answered = (skewMs: number): Exchange => ({
  method: 'POST',
  url: 'https://as.example/token',
  ms: 10,
  at,
  status: 200,
  date: new Date(at + skewMs).toUTCString(),
});

describe('clockCheck', () => {
  it('passes within the Date header resolution', () => {
    expect(clockCheck([answered(0)], true).status).toBe('ok');
    expect(clockCheck([answered(-4_000)], true).status).toBe('ok');
  });

  it('warns about a skew that only JWT times elsewhere notice', () => {
    const check = clockCheck([answered(-30_000)], true);
    expect(check.status).toBe('warn');
    expect(check.summary).toContain('30 s behind this machine');
    expect(clockCheck([answered(600_000)], false).status).toBe('warn');
  });

  it('fails past the usual leeway when the client signs assertions', () => {
    const check = clockCheck([answered(120_000)], true);
    expect(check).toMatchObject({ status: 'fail', exitCode: 1 });
    expect(check.summary).toContain('120 s ahead of this machine');
    expect(check.summary).toContain('may be refused');
  });

  it('uses the last answer with a Date, and skips without one', () => {
    expect(clockCheck([answered(600_000), answered(0)], true).status).toBe('ok');
    const { date: _date, ...undated } = answered(0);
    expect(clockCheck([undated], true).status).toBe('skip');
  });
});
