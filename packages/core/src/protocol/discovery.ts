import { ConfigurationError, TokenEndpointError } from '../errors.js';
import { anySignal, timeoutSignal } from '../transport/abort.js';

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
 * await discoverAuthorizationServer(issuer, { timeoutMs: 2_000, signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface DiscoveryOptions {
  /** Used in error messages. */
  readonly serviceName?: string;
  readonly fetch?: typeof fetch;
  /** Timeout of each metadata request. Default 10 000 ms. */
  readonly timeoutMs?: number;
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

const sameIssuer = (a: string, b: string): boolean => a.replace(/\/$/, '') === b.replace(/\/$/, '');

async function fetchMetadata(
  issuer: string,
  options: DiscoveryOptions,
): Promise<AuthorizationServerMetadata> {
  const serviceName = options.serviceName ?? issuer;
  const doFetch = options.fetch ?? globalThis.fetch;
  const problems: string[] = [];
  for (const url of metadataUrls(issuer)) {
    const timeout = timeoutSignal(options.timeoutMs ?? 10_000);
    const combined = options.signal ? anySignal([options.signal, timeout.signal]) : undefined;
    const signal = combined?.signal ?? timeout.signal;
    try {
      const response = await doFetch(url, { headers: { accept: 'application/json' }, signal });
      const body = await response.text();
      if (!response.ok) {
        problems.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      const metadata: unknown = JSON.parse(body);
      if (typeof metadata !== 'object' || metadata === null) throw new Error('not a JSON object');
      const fields = metadata as Record<string, unknown>;
      if (typeof fields.token_endpoint !== 'string' || !URL.canParse(fields.token_endpoint)) {
        problems.push(`${url}: no valid token_endpoint`);
        continue;
      }
      // RFC 8414 §3.3: metadata for another issuer must not be used (mix-up attacks).
      if (typeof fields.issuer === 'string' && !sameIssuer(fields.issuer, issuer)) {
        problems.push(`${url}: names issuer ${fields.issuer}`);
        continue;
      }
      return { ...fields, issuer, token_endpoint: fields.token_endpoint };
    } catch (error) {
      if (options.signal?.aborted) {
        throw new TokenEndpointError(`Discovery for "${serviceName}" was aborted.`, {
          serviceName,
          reason: 'aborted',
          cause: error,
        });
      }
      problems.push(
        `${url}: ${timeout.signal.aborted ? 'timed out' : error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      timeout.clear();
      combined?.dispose();
    }
  }
  throw new TokenEndpointError(
    `Could not discover the token endpoint of issuer ${issuer} for "${serviceName}" (${problems.join('; ')}). Check \`issuer\`, or set \`tokenEndpoint\` instead.`,
    { serviceName, reason: 'network' },
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
