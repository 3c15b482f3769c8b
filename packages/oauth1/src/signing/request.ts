import { type Parameter, parseForm } from '../encoding/form.js';

/**
 * A request to sign: what an adapter hands to an `Authorizer`.
 *
 * @example
 * ```ts
 * const request: SignableRequest = {
 *   method: 'POST',
 *   url: 'https://api.example.com/statuses?include_entities=true',
 *   headers: { 'content-type': 'application/x-www-form-urlencoded' },
 *   body: new URLSearchParams({ status: 'Hello' }),
 * };
 * ```
 */
export interface SignableRequest {
  /** HTTP method, any case. */
  readonly method: string;
  /** Absolute URL, query included. */
  readonly url: string | URL;
  /** Request headers; only `content-type` is read (names in any case). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * The body: a form body as a string or `URLSearchParams` (its parameters
   * are signed), another text body as a string (hashed when `bodyHash` is on).
   */
  readonly body?: string | URLSearchParams | undefined;
}

const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\s*(?:;|$)/i;

function contentType(headers: SignableRequest['headers']): string | undefined {
  if (!headers) return undefined;
  for (const name in headers) {
    if (name.toLowerCase() === 'content-type') return headers[name];
  }
  return undefined;
}

/**
 * Whether the body's parameters take part in the signature (RFC 5849
 * §3.4.1.3.1): a single-part body declared as
 * `application/x-www-form-urlencoded`, or a `URLSearchParams` (which every
 * HTTP client sends with that content type).
 */
export function hasFormBody(request: SignableRequest): boolean {
  if (request.body instanceof URLSearchParams) return true;
  const type = contentType(request.headers);
  return typeof request.body === 'string' && type !== undefined && FORM_TYPE.test(type);
}

/** The decoded parameters of a form body. */
export function formParameters(body: string | URLSearchParams | undefined): Parameter[] {
  if (body === undefined) return [];
  return typeof body === 'string' ? parseForm(body) : [...body];
}

/** Whether a parameter name is an OAuth protocol parameter. */
export function isProtocolParameter(name: string): boolean {
  return name.startsWith('oauth_');
}
