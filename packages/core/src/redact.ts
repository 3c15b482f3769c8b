/** What replaces a secret in redacted text. */
export const REDACTED = '[REDACTED]';

const SECRET_NAMES =
  'access_token|refresh_token|id_token|accessToken|refreshToken|idToken|client_secret|client_assertion|assertion|subject_token|actor_token|password|code_verifier|code|oauth_token_secret|oauth_signature|token|secret|api_key|apikey';

// `name=value` in query strings and form bodies, `"name": "value"` in JSON,
// `name: value` in header-like text; names are matched case-insensitively.
// A name counts wherever it is not the tail of a longer identifier (`error_code=` is not `code=`).
const FORM_PAIR = new RegExp(
  `((?<![A-Za-z0-9_.-])(?:${SECRET_NAMES})=)[^&\\s;,"'<>(){}[\\]|]+`,
  'gi',
);
const JSON_PAIR = new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(")`, 'gi');
const AUTH_SCHEME = /\b(Bearer|Basic|DPoP|MAC|OAuth)\s+[A-Za-z0-9._~+/=:,"\\-]+/g;
const AUTH_HEADER =
  /(authorization|proxy-authorization|cookie|set-cookie|x-api-key)(["']?\s*[:=]\s*["']?)[^"'\r\n]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi;

/**
 * Removes secrets from text meant for an error message, an event or a log
 * line: bearer and basic credentials, JWTs, `Authorization` and cookie
 * headers, URL user-info, and the values of OAuth secret parameters in query
 * strings, form bodies and JSON. Values listed in `secrets` are removed
 * wherever they appear. Every Forge package routes such text through here.
 *
 * @example
 * ```ts
 * redact('POST /token client_secret=s3cr3t&grant_type=client_credentials');
 * // 'POST /token client_secret=[REDACTED]&grant_type=client_credentials'
 * redact(`failed for ${url}`, [clientSecret]);
 * ```
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = String(text);
  for (const secret of secrets) {
    // Very short values would redact ordinary words; they are not secrets worth the noise.
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(JSON_PAIR, `$1${REDACTED}$2`)
    .replace(AUTH_HEADER, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(FORM_PAIR, `$1${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`);
}

/**
 * Returns a URL that is safe to show: without user-info, and with the values
 * of secret query parameters (`access_token`, `code`, `client_secret`, …)
 * replaced. Invalid input is redacted as text.
 *
 * @example
 * ```ts
 * redactUrl('https://u:p@api.example/cb?code=abc&state=xyz');
 * // 'https://api.example/cb?code=%5BREDACTED%5D&state=xyz'
 * ```
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redact(url);
  }
  parsed.username = '';
  parsed.password = '';
  const secretName = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretName.test(name)) parsed.searchParams.set(name, REDACTED);
  }
  return parsed.toString();
}
