/**
 * How the proxy turns the request target it received into the one URL it
 * both asks the policy about and forwards. Every step that an upstream server
 * or the WHATWG URL parser would otherwise apply on its own (percent-decoding
 * `.` into dot segments, backslashes as slashes, `//` as an authority) is
 * either done here once or refused, so the URL judged is the URL sent.
 */

const HEX = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// RFC 3986 pchar, minus pct-encoded: unreserved, sub-delims, ":" and "@".
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;
// What may stay literal in a query: pchar, "/" and "?"; "'" is escaped because
// the WHATWG parser escapes it in special-scheme queries.
const QUERY_CHAR = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?]$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

const NON_ASCII = /[\u0080-\uffff]+/g;
// `..;x` is `..` to servers that drop `;` parameters (Tomcat, Spring): it would climb.
const DOT_WITH_PARAMETERS = /^\.{1,2};/;

function escapeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

// Node refuses raw non-ASCII bytes in a request line, but a `pathRewrite` may
// return any string: its non-ASCII characters are sent as UTF-8 escapes.
function asciiOnly(target: string): string | undefined {
  try {
    return target.replace(NON_ASCII, (text) => encodeURIComponent(text));
  } catch {
    return undefined; // a lone surrogate
  }
}

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/**
 * One path segment with percent-encoding normalized (RFC 3986 §6.2.2):
 * unreserved characters decoded, other escapes upper-cased, characters that
 * may not appear literally escaped. `undefined` when the segment hides a
 * separator or a control character (`%2F`, `%5C`, `%00`), has a raw
 * backslash or control character, or a `%` that is not an escape.
 */
function normalizeSegment(segment: string): string | undefined {
  let out = '';
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index]!;
    if (char === '%') {
      const hex = segment.slice(index + 1, index + 3);
      if (!HEX.test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (code === 0x2f || code === 0x5c || isControl(code)) return undefined;
      const decoded = String.fromCharCode(code);
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      index += 2;
      continue;
    }
    if (char === '\\' || isControl(char.charCodeAt(0))) return undefined;
    if (PATH_CHAR.test(char)) {
      out += char;
      continue;
    }
    out += escapeChar(char);
  }
  return out;
}

/**
 * `path` (starting with `/`) with dot segments resolved and empty segments
 * dropped; `undefined` when a segment is unsafe or `..` climbs above `/`.
 */
function normalizePath(path: string): string | undefined {
  const segments: string[] = [];
  const parts = path.split('/').slice(1);
  let trailingSlash = false;
  for (const part of parts) {
    const segment = normalizeSegment(part);
    if (segment === undefined || DOT_WITH_PARAMETERS.test(segment)) return undefined;
    trailingSlash = segment === '' || segment === '.' || segment === '..';
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else if (segment !== '' && segment !== '.') {
      segments.push(segment);
    }
  }
  if (segments.length === 0) return '/';
  return `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
}

function normalizeQuery(query: string): string | undefined {
  let out = '';
  for (let index = 0; index < query.length; index++) {
    const char = query[index]!;
    if (char === '%') {
      const hex = query.slice(index + 1, index + 3);
      if (!HEX.test(hex)) return undefined;
      out += `%${hex}`;
      index += 2;
      continue;
    }
    if (isControl(char.charCodeAt(0))) return undefined;
    if (QUERY_CHAR.test(char)) {
      out += char;
      continue;
    }
    out += escapeChar(char);
  }
  return out;
}

/**
 * Normalizes an origin-form request target (`/a/./b?q`): the path as
 * {@link normalizePath} does, the query with every `%` checked and unsafe
 * characters escaped (its escapes kept as sent: `%2F` is data there), an
 * empty query dropped. `undefined` when the target cannot be normalized
 * safely, including any fragment.
 */
export function normalizeTarget(raw: string): string | undefined {
  const target = asciiOnly(raw);
  if (target === undefined || !target.startsWith('/') || target.includes('#')) return undefined;
  const mark = target.indexOf('?');
  const path = normalizePath(mark < 0 ? target : target.slice(0, mark));
  if (path === undefined) return undefined;
  if (mark < 0 || mark === target.length - 1) return path;
  const query = normalizeQuery(target.slice(mark + 1));
  return query === undefined ? undefined : `${path}?${query}`;
}

/**
 * The mount-relative target of an incoming request as Express leaves it in
 * `req.url`, in origin form: an absolute-form target (`GET http://host/x`)
 * keeps only its path and query, the only parts the proxy forwards.
 */
export function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  const authority = ABSOLUTE_FORM.exec(url)?.[0];
  if (authority === undefined) return url;
  const rest = url.slice(authority.length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** Where the proxy forwards: the target's origin and the path every forwarded path starts with. */
export interface UpstreamBase {
  readonly origin: string;
  /** The target's path without its trailing slash (`/v1`, or `` at the root). */
  readonly prefix: string;
}

/**
 * The absolute URL for a normalized target under `base`, parsed by the WHATWG
 * parser so that what the policy reads from it is what is sent; `undefined`
 * if it is not inside the prefix (it cannot be, once normalized: this is the
 * last line of defence, not the first).
 */
export function upstreamURL(base: UpstreamBase, target: string): URL | undefined {
  const url = new URL(`${base.origin}${base.prefix}${target}`);
  const inside =
    url.origin === base.origin &&
    (url.pathname === `${base.prefix}/` || url.pathname.startsWith(`${base.prefix}/`));
  return inside && url.hash === '' ? url : undefined;
}
