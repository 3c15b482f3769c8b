import { AuthenticationError, type ForgeError, TokenEndpointError } from '@forge/core';
import { ExitCode } from '../exit-codes.js';
import { type Check, fail } from './check.js';
import type { Exchange } from './recorder.js';

function seconds(retryAfter: string | undefined, at: number): string {
  if (retryAfter === undefined) return 'without a Retry-After header';
  if (/^\d+$/.test(retryAfter)) return `asking to wait ${retryAfter} s (Retry-After)`;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date)
    ? 'with an unreadable Retry-After header'
    : `asking to wait ${Math.max(0, Math.round((date - at) / 1000))} s (Retry-After: ${retryAfter})`;
}

/**
 * The check for a token endpoint that answered with something other than a
 * token or an OAuth error: a redirect, a 429, a 5xx, a body that is not JSON.
 * `undefined` when the answer was an ordinary OAuth answer.
 */
export function answerCheck(exchange: Exchange | undefined): Check | undefined {
  if (exchange?.status === undefined) return undefined;
  const { status } = exchange;
  const url = new URL(exchange.url);
  if (status >= 300 && status < 400) {
    const target =
      exchange.location && URL.canParse(exchange.location, url)
        ? new URL(exchange.location, url)
        : undefined;
    const why =
      target === undefined
        ? ''
        : target.protocol !== url.protocol
          ? ` (${url.protocol} to ${target.protocol})`
          : target.origin !== url.origin
            ? ' (to another host)'
            : target.pathname !== url.pathname
              ? ` (path ${url.pathname} to ${target.pathname})`
              : '';
    const destination = target ? `${target.origin}${target.pathname}` : undefined;
    return fail(
      'token-endpoint-redirect',
      `The token endpoint answered HTTP ${status}, a redirect${destination ? ` to ${destination}` : ' without a Location'}${why}. Token requests are POSTs that carry credentials, so Forge never follows a redirect on them.`,
      destination
        ? `Set the token endpoint to where the redirect points: --token-endpoint ${destination} (tokenEndpoint in a config file), or fix the issuer's metadata if discovery named the old URL.`
        : "Find the token endpoint's real URL (the server's discovery document names it) and set --token-endpoint.",
    );
  }
  if (status === 429) {
    return fail(
      'rate-limited',
      `The token endpoint is rate limiting this client: HTTP 429, ${seconds(exchange.retryAfter, exchange.at)}.`,
      'Wait and try again. In a service, let one token manager share each token (a shared TokenStorage across instances) so the fleet asks rarely; the manager honours Retry-After (up to maxRetryAfterMs).',
      ExitCode.Unavailable,
    );
  }
  if (status >= 500) {
    return fail(
      'server-error',
      `The token endpoint is failing: HTTP ${status}${exchange.bodyKind === 'html' ? " with an HTML page (a gateway's or proxy's error page?)" : ''}${exchange.retryAfter ? `, ${seconds(exchange.retryAfter, exchange.at)}` : ''}.`,
      'This is on the server side: try again later, or ask its operators. The token manager retries with backoff and keeps serving a still-valid token meanwhile.',
      ExitCode.Unavailable,
    );
  }
  const type = exchange.contentType ?? 'no content type';
  if (exchange.bodyKind === 'html') {
    return fail(
      'not-json',
      `The token endpoint answered HTTP ${status} with an HTML page (${type}), not JSON.`,
      "The URL is probably not the token endpoint (a login page, a portal, a gateway's error page): check --token-endpoint or --issuer against the server's documentation.",
    );
  }
  if (exchange.bodyKind === 'invalid-json') {
    return fail(
      'not-json',
      `The token endpoint answered HTTP ${status} with ${type} that is not valid JSON (cut off or garbled).`,
      "A proxy may be truncating the answer, or the server is failing: check the server's logs; try again.",
    );
  }
  if (exchange.bodyKind === 'empty' && (status < 200 || status >= 300 || status === 204))
    return undefined;
  if (exchange.bodyKind === 'empty' || exchange.bodyKind === 'other') {
    return fail(
      'not-json',
      `The token endpoint answered HTTP ${status} with ${exchange.bodyKind === 'empty' ? 'an empty body' : `a body that is not JSON (${type})`}.`,
      "Check that the URL is the token endpoint (the issuer's discovery document names it) and that nothing between you rewrites the answer.",
    );
  }
  return undefined;
}

/** The check for a token request that failed after an ordinary answer: the library's own message. */
export function errorCheck(error: ForgeError): Check {
  if (error instanceof AuthenticationError) {
    return fail(
      'token-request',
      `The server refused the token request: ${error.error ?? `HTTP ${error.status}`}${error.errorDescription ? ` (${error.errorDescription})` : ''}.`,
      // The library's message is "… was refused (HTTP 401 invalid_client …). <hint>": the hint is the fix.
      /\)\.\s+(.+)$/s.exec(error.message)?.[1] ??
        error.message.replace(/^\[forge\] \[[^\]]+\] /, ''),
    );
  }
  const exitCode =
    error instanceof TokenEndpointError &&
    (error.reason === 'network' || error.reason === 'timeout')
      ? ExitCode.Unreachable
      : error instanceof TokenEndpointError &&
          (error.reason === 'server' || error.reason === 'rate-limited')
        ? ExitCode.Unavailable
        : ExitCode.Failed;
  return fail(
    'token-request',
    error.message.replace(/^\[forge\] \[[^\]]+\] /, ''),
    'See above.',
    exitCode,
  );
}
