// RFC 6749 Appendix A.12: access-token = 1*VSCHAR, VSCHAR = %x20-7E. Nothing
// outside it may reach an `Authorization` header: CR/LF would split the
// header, NUL and other controls make runtimes throw an error that quotes the
// whole value, and non-ASCII is not a valid header byte.
const ACCESS_TOKEN = /^[\x20-\x7E]+$/;

// RFC 9110 §5.6.2 token: the auth-scheme that precedes the credentials.
const AUTH_SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Whether a value can be sent as the credentials of an `Authorization`
 * header: visible ASCII and spaces only (RFC 6749 Appendix A.12), not blank.
 *
 * @example
 * ```ts
 * isAccessTokenValue('eyJhbGciOi...'); // true
 * isAccessTokenValue('abc\r\nX-Injected: 1'); // false
 * ```
 */
export function isAccessTokenValue(value: string): boolean {
  return ACCESS_TOKEN.test(value) && value.trim() !== '';
}

/**
 * Whether a value is an HTTP authentication scheme (an RFC 9110 token), as a
 * `token_type` must be to precede the credentials in a header.
 *
 * @example
 * ```ts
 * isAuthScheme('Bearer'); // true
 * isAuthScheme('Bearer x'); // false
 * ```
 */
export function isAuthScheme(value: string): boolean {
  return AUTH_SCHEME.test(value);
}
