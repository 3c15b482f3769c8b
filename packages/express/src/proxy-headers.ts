import type { IncomingHttpHeaders } from 'node:http';
import { ConfigurationError } from '@forge/core';

const PACKAGE = { package: 'express' } as const;

// RFC 9110 §7.6.1 and the connection-specific headers HTTP/2 and proxies use:
// they describe one connection, so they never cross the proxy, in either direction.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

// Set by the proxy itself (`host`, `x-forwarded-for`, `x-forwarded-proto`), answered
// by Node already (`expect`), or claims about the client only a trusted hop may
// make: the caller's own are never believed, whatever the allowlist says.
const NEVER_FROM_CALLER: ReadonlySet<string> = new Set([
  'host',
  'expect',
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
]);
const FORWARDED_PREFIX = 'x-forwarded-';

// The caller's credentials for *this* site: withheld unless `passRequestHeaders` lists them.
const CALLER_CREDENTIALS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'x-api-key']);

// What the upstream says about the caller's relationship with *this* site's
// origin (cookies, a challenge for the service's credentials, wiping the site's
// storage): withheld unless `passResponseHeaders` lists them.
const UPSTREAM_CLAIMS: ReadonlySet<string> = new Set([
  'set-cookie',
  'www-authenticate',
  'clear-site-data',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function neverFromCaller(name: string): boolean {
  return HOP_BY_HOP.has(name) || NEVER_FROM_CALLER.has(name) || name.startsWith(FORWARDED_PREFIX);
}

/**
 * Validates an allowlist option (`passRequestHeaders`, `passResponseHeaders`)
 * and returns its names in lower case. Names the proxy may never pass are
 * refused with the reason, so a list never silently does less than it says.
 */
export function headerAllowlist(
  value: unknown,
  option: 'passRequestHeaders' | 'passResponseHeaders',
): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) {
    throw new ConfigurationError(
      option,
      "must be an array of header names, e.g. ['cookie'] (case does not matter)",
      PACKAGE,
    );
  }
  const names = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const at = `${option}[${index}]`;
    if (typeof entry !== 'string' || !TOKEN.test(entry)) {
      throw new ConfigurationError(at, 'must be a header name such as "cookie"', PACKAGE);
    }
    const name = entry.toLowerCase();
    if (HOP_BY_HOP.has(name)) {
      throw new ConfigurationError(
        at,
        `"${name}" is hop-by-hop: it describes one connection and never crosses a proxy; remove it`,
        PACKAGE,
      );
    }
    if (option === 'passRequestHeaders' && neverFromCaller(name)) {
      throw new ConfigurationError(
        at,
        `"${name}" is never taken from the caller: the proxy sets Host, X-Forwarded-For (req.ip) and X-Forwarded-Proto (req.protocol) itself; configure Express's "trust proxy" to believe a load balancer in front of it. Remove it`,
        PACKAGE,
      );
    }
    names.add(name);
  });
  return names;
}

/** Names the `Connection` header lists: hop-by-hop for this one message. */
function connectionNames(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const value = headers.connection;
  if (value === undefined) return new Set();
  return new Set(
    value
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The caller's headers that may go upstream: none that are hop-by-hop (or
 * named by its `Connection`), none the proxy sets itself, and its credentials
 * only when `allowed` lists them. The proxy adds `host`, the forwarding
 * headers and the service's credentials afterwards.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  allowed: ReadonlySet<string>,
): Record<string, string> {
  const hop = connectionNames(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || neverFromCaller(name) || hop.has(name)) continue;
    if (CALLER_CREDENTIALS.has(name) && !allowed.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The upstream's response headers that may reach the caller: none that are
 * hop-by-hop (or named by its `Connection`), and its cookies, challenges and
 * `Clear-Site-Data` only when `allowed` lists them.
 */
export function callerResponseHeaders(
  headers: IncomingHttpHeaders,
  allowed: ReadonlySet<string>,
): Record<string, string | string[]> {
  const hop = connectionNames(headers);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || hop.has(name)) continue;
    if (UPSTREAM_CLAIMS.has(name) && !allowed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Response headers as an authorizer reads them after a 401: lower-case names, one string each. */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
