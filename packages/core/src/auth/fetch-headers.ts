import type { Authorization } from '../authorizer.js';

/**
 * Sets an authorization's headers on a fetch `Headers` (nothing for `undefined`).
 *
 * @example
 * ```ts
 * setCredentials(request.headers, await authorizer.authorize(described));
 * ```
 */
export function setCredentials(headers: Headers, authorization: Authorization | undefined): void {
  if (authorization === undefined) return;
  for (const name in authorization.headers) {
    const value = authorization.headers[name];
    if (value !== undefined) headers.set(name, value);
  }
}

/**
 * Removes the headers an authorization set, where they still hold its values:
 * a header the caller set to something else stays theirs.
 *
 * @example
 * ```ts
 * removeCredentials(error.request.headers, sent);
 * ```
 */
export function removeCredentials(
  headers: Headers,
  authorization: Authorization | undefined,
): void {
  if (authorization === undefined) return;
  for (const name in authorization.headers) {
    if (headers.get(name) === authorization.headers[name]) headers.delete(name);
  }
}
