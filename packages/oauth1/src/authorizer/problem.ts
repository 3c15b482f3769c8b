import type { RetryDecision, UnauthorizedResponse } from '@forge/core';

const NO_RETRY: RetryDecision = Object.freeze({ retry: false, delayMs: 0 });
const RETRY_NOW: RetryDecision = Object.freeze({ retry: true, delayMs: 0 });

/**
 * The OAuth Problem Reporting parameters of a `WWW-Authenticate: OAuth …`
 * header (`oauth_problem`, `oauth_acceptable_timestamps`, …), decoded.
 */
export function problemParameters(response: UnauthorizedResponse): Map<string, string> {
  const header = response.headers['www-authenticate'] ?? '';
  const out = new Map<string, string>();
  for (const match of header.matchAll(/(oauth_[a-z_]+)\s*=\s*"?([^",]*)"?/gi)) {
    try {
      out.set(match[1]!.toLowerCase(), decodeURIComponent(match[2]!));
    } catch {
      out.set(match[1]!.toLowerCase(), match[2]!);
    }
  }
  return out;
}

/**
 * What to do after a 401, given the provider's problem report. Only two
 * problems are fixed by signing again: a refused timestamp (the local clock
 * is off; `correctClock` learns the offset from `oauth_acceptable_timestamps`)
 * and a reused nonce. Anything else (a bad signature, a revoked token) would
 * fail the same way, so it goes to the caller. One retry at most.
 */
export function retryAfterProblem(
  attempt: number,
  response: UnauthorizedResponse,
  correctClock: (serverSeconds: number) => void,
): RetryDecision {
  if (attempt > 0) return NO_RETRY;
  const problem = problemParameters(response);
  switch (problem.get('oauth_problem')) {
    case 'timestamp_refused': {
      const range = /^(\d+)-(\d+)$/.exec(problem.get('oauth_acceptable_timestamps') ?? '');
      if (!range) return NO_RETRY;
      correctClock(Math.floor((Number(range[1]) + Number(range[2])) / 2));
      return RETRY_NOW;
    }
    case 'nonce_used':
      return RETRY_NOW;
    default:
      return NO_RETRY;
  }
}
