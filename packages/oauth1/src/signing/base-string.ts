import type { Parameter } from '../encoding/form.js';
import { percentEncode } from '../encoding/percent.js';

/**
 * The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the
 * port only when it is not the scheme's default, the path, and neither query
 * nor fragment.
 *
 * @example
 * ```ts
 * baseStringUri(new URL('HTTP://Example.COM:80/r%20v/X?id=123')); // 'http://example.com/r%20v/X'
 * ```
 */
export function baseStringUri(url: URL): string {
  // WHATWG URL already lower-cases scheme and host of http(s) URLs and drops
  // their default ports; lower-casing again covers other schemes.
  const scheme = url.protocol.toLowerCase();
  const host = url.hostname.toLowerCase();
  const port = url.port && !isDefaultPort(scheme, url.port) ? `:${url.port}` : '';
  const path = url.pathname === '' ? '/' : url.pathname;
  return `${scheme}//${host}${port}${path}`;
}

function isDefaultPort(scheme: string, port: string): boolean {
  return (scheme === 'http:' && port === '80') || (scheme === 'https:' && port === '443');
}

/**
 * Normalizes request parameters as RFC 5849 §3.4.1.3.2 describes: encode
 * every name and value, sort by encoded name then encoded value (byte order),
 * and join as `name=value` pairs with `&`.
 *
 * @example
 * ```ts
 * normalizeParameters([['a', 'x!y'], ['a', 'x y']]); // 'a=x%20y&a=x%21y'
 * ```
 */
export function normalizeParameters(parameters: Iterable<Parameter>): string {
  const encoded: [string, string][] = [];
  for (const [name, value] of parameters) encoded.push([percentEncode(name), percentEncode(value)]);
  // Encoded strings are ASCII, so UTF-16 code unit order is byte order.
  encoded.sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The signature base string of RFC 5849 §3.4.1: method, base string URI and
 * normalized parameters, each percent-encoded and joined with `&`.
 * `parameters` must already exclude `oauth_signature` and `realm`.
 *
 * @example
 * ```ts
 * signatureBaseString('GET', new URL('http://example.com/'), [['n', 'v']]);
 * // 'GET&http%3A%2F%2Fexample.com%2F&n%3Dv'
 * ```
 */
export function signatureBaseString(
  method: string,
  url: URL,
  parameters: Iterable<Parameter>,
): string {
  return [
    percentEncode(method.toUpperCase()),
    percentEncode(baseStringUri(url)),
    percentEncode(normalizeParameters(parameters)),
  ].join('&');
}
