import { ForgeError, ForgeErrorCode } from '@forge/core';
import { type Parameter, serializeForm } from '../encoding/form.js';
import { percentEncode } from '../encoding/percent.js';

/**
 * Where the protocol parameters travel (RFC 5849 §3.5): the `Authorization`
 * header (the default and the one every server supports), the form body, or
 * the query string.
 *
 * @example
 * ```ts
 * oauth1Authorizer({ consumerKey, consumerSecret, transmission: 'query' });
 * ```
 */
export type Transmission = 'header' | 'body' | 'query';

/**
 * The `Authorization` header value: `OAuth realm="…", oauth_…="…"`, names and
 * values percent-encoded (§3.5.1).
 *
 * @example
 * ```ts
 * authorizationHeader([['oauth_consumer_key', 'key']], 'Photos');
 * // 'OAuth realm="Photos", oauth_consumer_key="key"'
 * ```
 */
export function authorizationHeader(
  parameters: readonly Parameter[],
  realm: string | undefined,
): string {
  const parts = parameters.map(
    ([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`,
  );
  if (realm !== undefined) parts.unshift(`realm="${realm}"`);
  return `OAuth ${parts.join(', ')}`;
}

/**
 * Removes `oauth_*` parameters from a query or form string, textually, so a
 * request signed before (a retry after a 401) is not signed twice and every
 * other parameter reaches the server byte for byte.
 */
export function withoutProtocolParameters(form: string): string {
  return form
    .split('&')
    .filter((part) => part !== '' && !/^oauth_/.test(decodeName(part)))
    .join('&');
}

function decodeName(part: string): string {
  const name = part.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** Appends the protocol parameters to a URL's query (§3.5.3). */
export function urlWithParameters(url: URL, parameters: readonly Parameter[]): string {
  const out = new URL(url);
  out.hash = '';
  const existing = withoutProtocolParameters(out.search.slice(1));
  const added = serializeForm(parameters, percentEncode);
  out.search = existing === '' ? added : `${existing}&${added}`;
  return out.href;
}

/** Appends the protocol parameters to a form body (§3.5.2). */
export function bodyWithParameters(
  body: string | URLSearchParams | undefined,
  parameters: readonly Parameter[],
): string {
  const existing = withoutProtocolParameters(body === undefined ? '' : body.toString());
  const added = serializeForm(parameters, percentEncode);
  return existing === '' ? added : `${existing}&${added}`;
}

/** Why the protocol parameters cannot travel in this request's body. */
export function bodyTransmissionError(method: string): ForgeError {
  return new ForgeError(
    ForgeErrorCode.Request,
    `cannot send OAuth parameters in the body of this ${method} request: transmission 'body' needs an application/x-www-form-urlencoded body (or none, on a method that has a body); use transmission 'header' or 'query'`,
    { package: 'oauth1' },
  );
}
