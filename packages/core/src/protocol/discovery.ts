import { ConfigurationError, TokenEndpointError } from '../errors.js';
import { redact, redactUrl } from '../redact.js';
import { anySignal, timeoutSignal } from '../transport/abort.js';
import { byteLimit, DEFAULT_MAX_RESPONSE_BYTES } from '../transport/options.js';
import { readLimitedText } from '../transport/read-body.js';

/**
 * The authorization server metadata Forge uses (RFC 8414 / OpenID Connect Discovery).
 * @example
 * ```ts
 * const metadata: AuthorizationServerMetadata = await discoverAuthorizationServer(issuer);
 * metadata.token_endpoint;
 * ```
 */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly authorization_endpoint?: string | undefined;
  readonly [field: string]: unknown;
}

/**
 * Options of {@link discoverAuthorizationServer}.
 * @example
 * ```ts
 * await discoverAuthorizationServer(issuer, {
 *   timeoutMs: 2_000,
 *   maxResponseBytes: 262_144,
 *   signal: AbortSignal.timeout(5_000),
 * });
 * ```
 */
export interface DiscoveryOptions {
  /** Used in error messages. */
  readonly serviceName?: string;
  readonly fetch?: typeof fetch;
  /** Timeout of each metadata location, redirects included. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * The largest metadata document read, in bytes, enforced while it streams
   * in; a larger one is a `TokenEndpointError` with reason `'malformed'`.
   * Default 1 MiB (1 048 576): real documents are a few kilobytes.
   */
  readonly maxResponseBytes?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The two well-known locations, in the order tried: RFC 8414 inserts the
 * suffix before the issuer's path, OpenID Connect Discovery appends it.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

// Same-origin redirects (a moved document, a trailing-slash rewrite) are
// followed, a few at most; a redirect to another origin never is.
const MAX_REDIRECTS = 3;

/**
 * RFC 8414 §3.3 asks for an identical issuer. The one difference tolerated is
 * a trailing slash: `https://as.example` and `https://as.example/` name the
 * same resource, users write either, and no other party can answer for one
 * but not the other, so it opens no mix-up.
 */
function sameIssuer(configured: string, named: string): boolean {
  return configured === named || configured === `${named}/` || `${configured}/` === named;
}

/** Server-supplied text shown in a message: redacted and short. */
function shown(value: string): string {
  const text = URL.canParse(value) ? redactUrl(value) : redact(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function schemeOf(url: URL): string {
  return /^[a-z][a-z0-9+.-]{0,20}:$/i.test(url.protocol) ? url.protocol : 'a non-URL';
}

/** Why an endpoint from the metadata must not be used, or `undefined` when it may. */
function endpointProblem(value: unknown, field: string, issuer: URL): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return `no valid \`${field}\``;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `\`${field}\` must be an https URL, got ${schemeOf(url)}`;
  }
  if (url.protocol === 'http:' && issuer.protocol === 'https:') {
    return `\`${field}\` must be https for an https issuer, got http:`;
  }
  if (url.username || url.password) return `\`${field}\` must not contain credentials`;
  return undefined;
}

/** Why a metadata document must not be used (RFC 8414 §3.3), or `undefined` when it may. */
function metadataProblem(fields: Record<string, unknown>, issuer: string): string | undefined {
  if (typeof fields.issuer !== 'string' || fields.issuer === '') {
    return 'names no `issuer` (RFC 8414 requires it)';
  }
  // Metadata for another issuer must not be used (mix-up attacks).
  if (!sameIssuer(issuer, fields.issuer)) return `names issuer ${shown(fields.issuer)}`;
  const issuerUrl = new URL(issuer);
  return (
    endpointProblem(fields.token_endpoint, 'token_endpoint', issuerUrl) ??
    (fields.authorization_endpoint === undefined
      ? undefined
      : endpointProblem(fields.authorization_endpoint, 'authorization_endpoint', issuerUrl))
  );
}

/**
 * The mutual-TLS alias of an endpoint (RFC 8705 §5): where a client that
 * presents a certificate sends its requests, or `undefined` when the metadata
 * names none. An alias that is not an https URL makes the document unusable
 * for such a client: a `TokenEndpointError` (`malformed`).
 */
export function mtlsEndpointAlias(
  metadata: AuthorizationServerMetadata,
  field: string,
  serviceName: string,
): string | undefined {
  const aliases = metadata.mtls_endpoint_aliases;
  if (aliases === undefined || aliases === null) return undefined;
  const name = `mtls_endpoint_aliases.${field}`;
  let problem: string | undefined;
  if (typeof aliases !== 'object' || Array.isArray(aliases)) {
    problem = '`mtls_endpoint_aliases` is not an object';
  } else {
    const value = (aliases as Record<string, unknown>)[field];
    if (value === undefined) return undefined;
    problem =
      endpointProblem(value, name, new URL(metadata.issuer)) ??
      (new URL(value as string).protocol === 'https:'
        ? undefined
        : `\`${name}\` must be https (mutual TLS), got http:`);
    if (problem === undefined) return value as string;
  }
  throw new TokenEndpointError(
    `The discovery document of issuer ${metadata.issuer} cannot be used for mutual TLS by "${serviceName}": ${problem}. Fix the server's metadata, or set \`tokenEndpoint\` to its mutual-TLS token endpoint.`,
    { serviceName, reason: 'malformed' },
  );
}

type LocationOutcome =
  | { readonly metadata: AuthorizationServerMetadata }
  | { readonly problem: string; readonly malformed: boolean };

interface LocationRequest {
  readonly issuer: string;
  readonly url: string;
  readonly serviceName: string;
  readonly fetch: typeof fetch;
  readonly signal: AbortSignal;
  readonly maxResponseBytes: number;
}

/** Reads one well-known location, following same-origin redirects only. */
async function readLocation(request: LocationRequest): Promise<LocationOutcome> {
  const origin = new URL(request.url).origin;
  let current = request.url;
  // Called unbound: workerd's fetch throws "Illegal invocation" when `this` is another object.
  const send = request.fetch;
  for (let hop = 0; ; hop++) {
    const response = await send(current, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: request.signal,
    });
    if (response.type === 'opaqueredirect') {
      return {
        problem: 'redirects, and this runtime does not say where to',
        malformed: false,
      };
    }
    if (response.status >= 300 && response.status < 400) {
      response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      if (location === null || !URL.canParse(location, current)) {
        return { problem: `HTTP ${response.status} without a usable Location`, malformed: false };
      }
      const next = new URL(location, current);
      if (next.origin !== origin) {
        return {
          problem: `redirects to another origin (${shown(next.origin)}), which discovery never follows`,
          malformed: true,
        };
      }
      if (hop === MAX_REDIRECTS) {
        return { problem: `redirects more than ${MAX_REDIRECTS} times`, malformed: true };
      }
      current = next.href;
      continue;
    }
    if (!response.ok) {
      response.body?.cancel().catch(() => undefined);
      return { problem: `HTTP ${response.status}`, malformed: false };
    }
    const body = await readLimitedText(response, request.maxResponseBytes);
    if (body === undefined) throw tooLarge(request);
    let metadata: unknown;
    try {
      metadata = JSON.parse(body);
    } catch {
      // The parser's message quotes the body; say only what went wrong.
      return { problem: 'not JSON', malformed: true };
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      return { problem: 'not a JSON object', malformed: true };
    }
    const fields = metadata as Record<string, unknown>;
    const problem = metadataProblem(fields, request.issuer);
    if (problem !== undefined) return { problem, malformed: true };
    return {
      metadata: {
        ...fields,
        issuer: request.issuer,
        token_endpoint: fields.token_endpoint as string,
      },
    };
  }
}

function tooLarge(request: LocationRequest): TokenEndpointError {
  return new TokenEndpointError(
    `The discovery document at ${redactUrl(request.url)} for "${request.serviceName}" is larger than ${request.maxResponseBytes} bytes (\`maxResponseBytes\`); real metadata is a few kilobytes. Check \`issuer\`, raise \`maxResponseBytes\`, or set \`tokenEndpoint\` instead.`,
    { serviceName: request.serviceName, reason: 'malformed' },
  );
}

async function fetchMetadata(
  issuer: string,
  options: DiscoveryOptions,
): Promise<AuthorizationServerMetadata> {
  const serviceName = options.serviceName ?? issuer;
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const problems: string[] = [];
  let malformed = false;
  for (const url of metadataUrls(issuer)) {
    const timeout = timeoutSignal(options.timeoutMs ?? 10_000);
    const combined = options.signal ? anySignal([options.signal, timeout.signal]) : undefined;
    const signal = combined?.signal ?? timeout.signal;
    try {
      const outcome = await readLocation({
        issuer,
        url,
        serviceName,
        fetch: doFetch,
        signal,
        maxResponseBytes,
      });
      if ('metadata' in outcome) return outcome.metadata;
      problems.push(`${url}: ${outcome.problem}`);
      malformed ||= outcome.malformed;
    } catch (error) {
      if (error instanceof TokenEndpointError) throw error;
      if (options.signal?.aborted) {
        throw new TokenEndpointError(`Discovery for "${serviceName}" was aborted.`, {
          serviceName,
          reason: 'aborted',
          cause: error,
        });
      }
      problems.push(
        `${url}: ${timeout.signal.aborted ? 'timed out' : redact(error instanceof Error ? error.message : String(error))}`,
      );
    } finally {
      timeout.clear();
      combined?.dispose();
    }
  }
  throw new TokenEndpointError(
    `Could not discover the token endpoint of issuer ${issuer} for "${serviceName}" (${problems.join('; ')}). Check \`issuer\`, or set \`tokenEndpoint\` instead.`,
    { serviceName, reason: malformed ? 'malformed' : 'network' },
  );
}

function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  serviceName: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(
        new TokenEndpointError(`Discovery for "${serviceName}" was aborted.`, {
          serviceName,
          reason: 'aborted',
          cause: signal.reason,
        }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Caches authorization server metadata per issuer: one request per issuer
 * however many providers ask at once; failures are not cached, so the next
 * call tries again.
 *
 * @example
 * ```ts
 * const cache = new DiscoveryCache();
 * const { token_endpoint } = await cache.get('https://auth.example');
 * ```
 */
export class DiscoveryCache {
  readonly #entries = new Map<string, Promise<AuthorizationServerMetadata>>();

  /** The metadata of `issuer`, fetched once. */
  get(issuer: string, options: DiscoveryOptions = {}): Promise<AuthorizationServerMetadata> {
    if (!URL.canParse(issuer)) {
      throw new ConfigurationError('issuer', `must be an absolute URL, got "${issuer}"`);
    }
    byteLimit(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'maxResponseBytes');
    let pending = this.#entries.get(issuer);
    if (!pending) {
      // The shared request must not die with one caller's signal: each caller stops waiting instead.
      const { signal: _callerSignal, ...shared } = options;
      const created = fetchMetadata(issuer, shared);
      pending = created;
      this.#entries.set(issuer, created);
      created.catch(() => {
        if (this.#entries.get(issuer) === created) this.#entries.delete(issuer);
      });
    }
    return options.signal
      ? untilAborted(pending, options.signal, options.serviceName ?? issuer)
      : pending;
  }

  /** Forgets the metadata of one issuer, or of all. */
  clear(issuer?: string): void {
    if (issuer === undefined) this.#entries.clear();
    else this.#entries.delete(issuer);
  }
}

/** The cache providers share unless given their own. */
export const defaultDiscoveryCache: DiscoveryCache = new DiscoveryCache();

/**
 * Reads an issuer's metadata: RFC 8414 `/.well-known/oauth-authorization-server`,
 * then OpenID Connect `/.well-known/openid-configuration`; cached per issuer.
 *
 * @example
 * ```ts
 * const metadata = await discoverAuthorizationServer('https://auth.example');
 * metadata.token_endpoint; // 'https://auth.example/oauth/token'
 * ```
 */
export function discoverAuthorizationServer(
  issuer: string,
  options: DiscoveryOptions = {},
): Promise<AuthorizationServerMetadata> {
  return defaultDiscoveryCache.get(issuer, options);
}
