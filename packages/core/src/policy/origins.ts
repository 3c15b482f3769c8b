import { ConfigurationError } from '../errors.js';

/**
 * The origin (`scheme://host[:port]`) of an absolute http(s) URL, normalized the
 * way the WHATWG URL parser does it (lower-case host, default port dropped).
 * Throws a `ConfigurationError` naming `option` for anything else.
 *
 * @example
 * ```ts
 * originOf('HTTPS://API.example.com:443/v1', 'baseURL'); // 'https://api.example.com'
 * ```
 */
export function originOf(value: unknown, option: string): string {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new ConfigurationError(
      option,
      'must be an absolute URL such as "https://api.example.com"',
    );
  }
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigurationError(
      option,
      `"${String(value)}" is not an absolute URL; write it like "https://api.example.com"`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(option, `must be an http: or https: URL, not ${url.protocol}`);
  }
  return url.origin;
}
