/** The DPoP errors of RFC 9449 a server may answer with. */
export type DPoPErrorCode = 'use_dpop_nonce' | 'invalid_dpop_proof';

const DPOP_CHALLENGE = /(?:^|,)\s*DPoP\b([\s\S]*)/i;
const ERROR_PARAM = /\berror\s*=\s*"?([A-Za-z_]+)/;

/**
 * The `error` of a `WWW-Authenticate: DPoP …` challenge (RFC 9449 §7.1), or
 * `undefined` when the header has no DPoP challenge. The DPoP challenge may
 * sit beside a Bearer one in the same header.
 *
 * @example
 * ```ts
 * dpopChallengeError('DPoP error="use_dpop_nonce", algs="ES256"'); // 'use_dpop_nonce'
 * ```
 */
export function dpopChallengeError(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const challenge = DPOP_CHALLENGE.exec(header);
  if (challenge === null) return undefined;
  // Stop at the next scheme (`, Bearer realm=…`): its error is not ours.
  const params = (challenge[1] ?? '').split(/,\s*(?=[A-Za-z][\w!#$%&'*+.^`|~-]*\s+[\w-]+=)/)[0];
  return ERROR_PARAM.exec(params ?? '')?.[1] ?? '';
}

/** Whether an OAuth error code is one of the DPoP proof errors. */
export function isDPoPError(error: string | undefined): error is DPoPErrorCode {
  return error === 'use_dpop_nonce' || error === 'invalid_dpop_proof';
}
