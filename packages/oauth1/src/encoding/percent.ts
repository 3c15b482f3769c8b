const RFC3986_EXTRA = /[!'()*]/g;

function hexOf(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

function encodeBytes(value: string): string {
  // `encodeURIComponent` throws on lone surrogates; encode them the way
  // TextEncoder does (as U+FFFD) so any JavaScript string can be signed.
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Percent-encodes a string as RFC 5849 §3.6 requires: UTF-8 bytes, every
 * character except the unreserved `A-Z a-z 0-9 - . _ ~` encoded with
 * upper-case hex. Unlike `encodeURIComponent` it also encodes `!'()*`.
 *
 * @example
 * ```ts
 * percentEncode('Ladies + Gentlemen!'); // 'Ladies%20%2B%20Gentlemen%21'
 * percentEncode('☃');                   // '%E2%98%83'
 * ```
 */
export function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value).replace(RFC3986_EXTRA, hexOf);
  } catch {
    return encodeBytes(value);
  }
}
