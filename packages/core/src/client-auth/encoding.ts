/**
 * `application/x-www-form-urlencoded` encoding of one value, as RFC 6749
 * §2.3.1 requires for the client id and secret before they are joined and
 * base64-encoded into a Basic header (space becomes `+`, `:` becomes `%3A`).
 *
 * @example
 * ```ts
 * formUrlEncode('a b:c'); // 'a+b%3Ac'
 * ```
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Standard base64 of the UTF-8 bytes of `text`, on every runtime (no `Buffer`). */
export function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** base64url without padding, for PKCE and random values. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The `Authorization` value for `client_secret_basic`.
 *
 * @example
 * ```ts
 * basicAuthorization('client', 'p@ss word'); // 'Basic Y2xpZW50OnAlNDBzcyt3b3Jk'
 * ```
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${base64(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}
