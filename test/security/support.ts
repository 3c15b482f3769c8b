// What the security tests look at: everything a caller could log about an
// error, the places where clients keep the headers they sent, and crashes.
import { inspect } from 'node:util';
import { ClientCredentialsTokenProvider } from '@forge/core';
import type { AuthServer } from '@forge/testkit';
import type { Reply } from './adapters.js';

/** How a request ended: an answer (any status), or what was thrown. */
export type Outcome =
  | { readonly reply: Reply; readonly thrown?: undefined }
  | { readonly reply?: undefined; readonly thrown: unknown };

export async function attempt(sent: Promise<Reply>): Promise<Outcome> {
  try {
    return { reply: await sent };
  } catch (thrown) {
    return { thrown };
  }
}

/** `JSON.stringify` that survives cycles and throwing `toJSON`s: what a logger would write. */
export function safeJSON(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, nested: unknown) => {
      if (typeof nested === 'object' && nested !== null) {
        if (seen.has(nested)) return '[circular]';
        seen.add(nested);
      }
      return nested;
    });
  } catch (error) {
    return `JSON.stringify threw: ${String(error)}`;
  }
}

function headersText(headers: unknown): string {
  if (headers instanceof Headers) return safeJSON(Object.fromEntries(headers));
  return safeJSON(headers);
}

/**
 * The places the clients keep what they sent: axios's `config.headers` and
 * `request` (`_header`, `getHeaders()`), got's `options.headers`, ky's
 * `request.headers` and `options.headers`, on the error and on its response.
 */
export function keptHeaders(error: unknown): string {
  const parts: string[] = [];
  const holders = [error, (error as { response?: unknown } | null)?.response];
  for (const holder of holders) {
    if (typeof holder !== 'object' || holder === null) continue;
    const { config, request, options } = holder as {
      config?: { headers?: unknown };
      request?: { _header?: unknown; getHeaders?: () => unknown; headers?: unknown };
      options?: { headers?: unknown };
    };
    parts.push(headersText(config?.headers), headersText(options?.headers));
    if (request !== undefined && request !== null) {
      parts.push(String(request._header ?? ''), headersText(request.headers));
      if (typeof request.getHeaders === 'function') parts.push(headersText(request.getHeaders()));
    }
  }
  return parts.join('\n');
}

/**
 * Everything an application could log or serialize about an error: message
 * and stack down the cause chain, `util.inspect` (depth 10), `JSON.stringify`,
 * and the headers the client kept.
 */
export function everythingAbout(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    parts.push(current.message, current.stack ?? '');
    current = current.cause;
  }
  parts.push(inspect(error, { depth: 10 }), safeJSON(error), keptHeaders(error));
  return parts.join('\n');
}

/** A client-credentials provider for the testkit's `basic` client, failing fast. */
export function testkitProvider(auth: AuthServer): ClientCredentialsTokenProvider {
  return new ClientCredentialsTokenProvider({
    serviceName: 'api',
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint: auth.tokenEndpoint,
    timeoutMs: 2_000,
    retry: false,
  });
}
