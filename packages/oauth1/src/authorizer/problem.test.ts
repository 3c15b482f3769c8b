import type { UnauthorizedResponse } from '@forge/core';
import { describe, expect, it } from 'vitest';
import { problemParameters, retryAfterProblem } from './problem.js';

const response = (header?: string): UnauthorizedResponse => ({
  status: 401,
  headers: header === undefined ? {} : { 'www-authenticate': header },
});

describe('retryAfterProblem', () => {
  it('learns the server clock from oauth_acceptable_timestamps and retries once', () => {
    let learnt: number | undefined;
    const refused = response(
      'OAuth realm="x", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="1000-1600"',
    );
    expect(retryAfterProblem(0, refused, (seconds) => (learnt = seconds))).toEqual({
      retry: true,
      delayMs: 0,
    });
    expect(learnt).toBe(1300);
    expect(retryAfterProblem(1, refused, () => {})).toEqual({ retry: false, delayMs: 0 });
  });

  it('retries a reused nonce, and nothing that signing again cannot fix', () => {
    expect(retryAfterProblem(0, response('OAuth oauth_problem=nonce_used'), () => {}).retry).toBe(
      true,
    );
    expect(
      retryAfterProblem(0, response('OAuth oauth_problem="signature_invalid"'), () => {}).retry,
    ).toBe(false);
    expect(
      retryAfterProblem(0, response('OAuth oauth_problem="timestamp_refused"'), () => {}).retry,
    ).toBe(false);
    expect(retryAfterProblem(0, response('Bearer error="invalid_token"'), () => {}).retry).toBe(
      false,
    );
    expect(retryAfterProblem(0, response(), () => {}).retry).toBe(false);
  });

  it('decodes percent-encoded problem values', () => {
    const parsed = problemParameters(
      response('OAuth oauth_problem="token_rejected", oauth_problem_advice="try%20again"'),
    );
    expect(parsed.get('oauth_problem_advice')).toBe('try again');
  });
});
