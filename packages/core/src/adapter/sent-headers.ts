import type { Authorization } from '../authorizer.js';
import { REDACTED } from '../redact.js';

const OUT_HEADERS = 'kOutHeaders';
let outHeaders: symbol | undefined;

/**
 * Node's `ClientRequest` (and the wrappers around it: follow-redirects' for
 * axios, got's Request) keeps the headers it sent: as the raw header block
 * (`_header`), in its header map, and in the options of each hop. A client's
 * error carries that request, and through its keep-alive socket every later
 * request on the same connection, so `util.inspect(error)` would print a
 * token. Once a response has arrived the request is finished: our values are
 * replaced where it kept them, so none is left for an error to reach later.
 * Reads only properties: no Node import, and nothing happens elsewhere.
 */
export function forgetSentHeaders(request: unknown, authorization: Authorization, depth = 0): void {
  if (typeof request !== 'object' || request === null || depth > 2) return;
  const record = request as Record<string | symbol, unknown>;
  if (typeof record._header === 'string') {
    let header = record._header;
    for (const name in authorization.headers) {
      const value = authorization.headers[name] as string;
      if (header.includes(value)) header = header.split(value).join(REDACTED);
    }
    record._header = header;
    outHeaders ??= Object.getOwnPropertySymbols(record).find(
      (symbol) => symbol.description === OUT_HEADERS,
    );
    if (outHeaders !== undefined) forgetInMap(record[outHeaders], authorization);
  }
  // follow-redirects' options of each hop, and got's options for `http.request`.
  for (const held of [record._options, record._requestOptions]) {
    if (typeof held === 'object' && held !== null) {
      forgetInMap((held as { headers?: unknown }).headers, authorization);
    }
  }
  forgetSentHeaders(record._currentRequest, authorization, depth + 1);
  forgetSentHeaders(record._redirectable, authorization, depth + 1);
  forgetSentHeaders(record._request, authorization, depth + 1);
}

// Header maps hold `name: value` (follow-redirects) or `name: [name, value]` (Node).
function held(value: unknown): unknown {
  return Array.isArray(value) ? value[1] : value;
}

function forgetInMap(map: unknown, authorization: Authorization): void {
  if (typeof map !== 'object' || map === null) return;
  const record = map as Record<string, unknown>;
  // Most maps hold our names as we set them (lower case): no walk then.
  let elsewhere = false;
  for (const name in authorization.headers) {
    if (!(name in record)) elsewhere = true;
    else if (held(record[name]) === authorization.headers[name]) delete record[name];
  }
  if (!elsewhere) return;
  for (const name in record) {
    const ours = authorization.headers[name.toLowerCase()];
    if (ours !== undefined && held(record[name]) === ours) delete record[name];
  }
}
