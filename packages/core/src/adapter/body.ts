import type { Authorizer } from '../authorizer.js';

const FORM_TYPE = /application\/x-www-form-urlencoded/i;

/**
 * The `body` to put in an `AuthorizationRequest`, from the body a client
 * will send (already serialized: adapters turn JSON into its text first) and
 * its content type. Every authorizer gets form bodies (`URLSearchParams`, or a
 * string declared `application/x-www-form-urlencoded`); one with
 * `signsBody` also gets every other string body. Bytes, streams and
 * `FormData` are never passed: reading them would cost a copy or consume them.
 */
export function authorizationBody(
  authorizer: Authorizer,
  body: unknown,
  contentType: string | undefined,
): string | URLSearchParams | undefined {
  if (body instanceof URLSearchParams) return body;
  if (typeof body !== 'string') return undefined;
  if (authorizer.signsBody === true) return body;
  return contentType !== undefined && FORM_TYPE.test(contentType) ? body : undefined;
}

/**
 * Whether a request body can be sent a second time: strings, bytes, blobs,
 * form data, URL parameters and plain (JSON) values can; streams and async
 * iterables cannot.
 */
export function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null || typeof body !== 'object') return true;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return false;
  const candidate = body as { pipe?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate.pipe !== 'function' && typeof candidate[Symbol.asyncIterator] !== 'function'
  );
}
