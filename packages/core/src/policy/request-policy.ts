import { ConfigurationError } from '../errors.js';
import { compilePathGlob } from './glob.js';
import { originOf } from './origins.js';
import { pathReadings } from './path.js';
import { type AuthRetryStrategy, isAuthRetryStrategy, SimpleAuthRetryStrategy } from './retry.js';

/**
 * Where credentials may go. Every adapter builds one from its options and the
 * client's base URL; `bearer(manager, { policy })` accepts either these options or a built policy.
 */
export interface RequestPolicyOptions {
  /** The client's base URL; its origin may receive credentials. */
  readonly baseURL?: string | URL | undefined;
  /** Further origins (absolute URLs; only scheme, host and port count) that may receive credentials. */
  readonly origins?: readonly (string | URL)[] | undefined;
  /**
   * Paths that never get credentials, compared with the URL's normalized path
   * (`/health`), ignoring case. See {@link RequestPolicy.allows} for the normalization.
   */
  readonly excludedPaths?: readonly string[] | undefined;
  /**
   * Path globs that never get credentials: `*` within a segment, `**` across
   * (`/public/**`, `*\/health`), matched like `excludedPaths`.
   */
  readonly excludedPathPatterns?: readonly string[] | undefined;
  /** Replace an `Authorization` header the caller set themselves. Default `false`: leave it alone. */
  readonly overrideAuthorization?: boolean | undefined;
  /** What to do after a 401. Default {@link SimpleAuthRetryStrategy} (retry once). */
  readonly retry?: AuthRetryStrategy | undefined;
}

/**
 * The compiled, validated form of {@link RequestPolicyOptions}: origin, path and
 * redirect rules every adapter asks instead of deciding itself.
 *
 * @example
 * ```ts
 * const policy = createRequestPolicy({ baseURL: 'https://api.example.com', excludedPathPatterns: ['/public/*'] });
 * policy.mayAuthorize('https://api.example.com/orders', {}); // true
 * policy.mayAuthorize('https://evil.example/orders', {});   // false
 * ```
 */
export interface RequestPolicy {
  /** Origins that may receive credentials, normalized (`https://api.example.com`). */
  readonly origins: ReadonlySet<string>;
  readonly overrideAuthorization: boolean;
  readonly retry: AuthRetryStrategy;
  /**
   * Whether this absolute URL may carry credentials: its origin is allowed and
   * no exclusion matches its path. Exclusions are matched without regard to
   * case (many servers, Express's router among them, route paths so) against
   * every way a server may read the path: percent-encoded unreserved
   * characters decoded, dot segments resolved, and encoded slashes,
   * backslashes and repeated slashes taken as `/`. Any match excludes.
   */
  allows(url: string): boolean;
  /** {@link RequestPolicy.allows}, and the request carries no `authorization` of its own (unless overriding). */
  mayAuthorize(url: string, headers: Readonly<Record<string, string>>): boolean;
  /** Whether credentials may follow a redirect: only to the same origin, and only where {@link RequestPolicy.allows}. */
  mayRedirect(from: string, to: string): boolean;
}

const POLICY = Symbol.for('forge.requestPolicy');

/** How many URL decisions a policy remembers (see `allows`). */
export const DECISION_CACHE_SIZE = 512;

function list<T>(value: unknown, option: string): readonly T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ConfigurationError(option, 'must be an array');
  return value as readonly T[];
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Validates policy options once and compiles them (origins normalized, globs
 * turned into one `RegExp`). Throws a `ConfigurationError` naming the option
 * (`origins[1]`, `excludedPathPatterns[0]`, …) on bad input, including when no
 * origin at all may receive credentials.
 *
 * @example
 * ```ts
 * const policy = createRequestPolicy({
 *   baseURL: 'https://api.example.com/v1',
 *   origins: ['https://files.example.com'],
 *   excludedPaths: ['/v1/health'],
 *   excludedPathPatterns: ['/v1/public/**'],
 * });
 * ```
 */
export function createRequestPolicy(options: RequestPolicyOptions = {}): RequestPolicy {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('policy', 'must be an options object');
  }
  const origins = new Set<string>();
  if (options.baseURL !== undefined) origins.add(originOf(options.baseURL, 'baseURL'));
  list<string | URL>(options.origins, 'origins').forEach((origin, index) => {
    origins.add(originOf(origin, `origins[${index}]`));
  });
  if (origins.size === 0) {
    throw new ConfigurationError(
      'origins',
      'no origin may receive credentials; pass the client a baseURL or list origins, e.g. origins: ["https://api.example.com"]',
    );
  }
  const excludedPaths = new Set<string>();
  list<string>(options.excludedPaths, 'excludedPaths').forEach((path, index) => {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new ConfigurationError(
        `excludedPaths[${index}]`,
        'must be a path starting with "/" such as "/health"',
      );
    }
    excludedPaths.add(path.toLowerCase());
  });
  const globs = list<string>(options.excludedPathPatterns, 'excludedPathPatterns').map(
    (pattern, index) => compilePathGlob(pattern, `excludedPathPatterns[${index}]`).source,
  );
  const excludedPattern = globs.length === 0 ? undefined : new RegExp(globs.join('|'), 'i');
  const override = options.overrideAuthorization ?? false;
  if (typeof override !== 'boolean') {
    throw new ConfigurationError('overrideAuthorization', 'must be true or false');
  }
  const retry = options.retry ?? new SimpleAuthRetryStrategy();
  if (!isAuthRetryStrategy(retry)) {
    throw new ConfigurationError(
      'retry',
      'must be a SimpleAuthRetryStrategy, an ExponentialAuthRetryStrategy or an object with decide(attempt)',
    );
  }

  const excluded = (reading: string): boolean =>
    excludedPaths.has(reading.toLowerCase()) || (excludedPattern?.test(reading) ?? false);
  const allowsParsed = (url: URL): boolean =>
    origins.has(url.origin) &&
    (excludedPaths.size === 0 && excludedPattern === undefined
      ? true
      : !pathReadings(url.pathname).some(excluded));

  // Parsing the URL is most of what a decision costs, and a client asks about
  // the same few URLs again and again. The decision depends on the URL string
  // alone (the policy never changes once built), so it is remembered per exact
  // string; the oldest entry goes once the cache is full, so unique URLs
  // (ids in the query) cannot grow it without bound.
  const decisions = new Map<string, boolean>();
  const allows = (url: string): boolean => {
    const known = decisions.get(url);
    if (known !== undefined) return known;
    const parsed = parse(url);
    const decision = parsed !== undefined && allowsParsed(parsed);
    // A URL object (from plain JavaScript) can change after the fact: never remembered.
    if (typeof url !== 'string') return decision;
    if (decisions.size >= DECISION_CACHE_SIZE) {
      decisions.delete(decisions.keys().next().value as string);
    }
    decisions.set(url, decision);
    return decision;
  };

  return Object.freeze({
    [POLICY]: true,
    origins,
    overrideAuthorization: override,
    retry,
    allows,
    mayAuthorize(url: string, headers: Readonly<Record<string, string>>): boolean {
      return (override || headers.authorization === undefined) && allows(url);
    },
    mayRedirect(from: string, to: string): boolean {
      const source = parse(from);
      const target = parse(to);
      return (
        source !== undefined &&
        target !== undefined &&
        source.origin === target.origin &&
        allowsParsed(target)
      );
    },
  });
}

/** Whether a value was built by {@link createRequestPolicy}. */
export function isRequestPolicy(value: unknown): value is RequestPolicy {
  return typeof value === 'object' && value !== null && POLICY in value;
}
