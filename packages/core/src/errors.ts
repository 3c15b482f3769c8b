/**
 * String codes carried by every {@link ForgeError}, so callers can branch on
 * `error.code` without `instanceof` across duplicated package copies.
 *
 * @example
 * ```ts
 * if (error instanceof ForgeError && error.code === ForgeErrorCode.Authentication) retryLater();
 * ```
 */
export const ForgeErrorCode = {
  Configuration: 'FORGE_CONFIGURATION',
  Authentication: 'FORGE_AUTHENTICATION',
  TokenEndpoint: 'FORGE_TOKEN_ENDPOINT',
  Storage: 'FORGE_STORAGE',
  Request: 'FORGE_REQUEST',
  Closed: 'FORGE_CLOSED',
} as const;

/** One of the {@link ForgeErrorCode} values. */
export type ForgeErrorCode = (typeof ForgeErrorCode)[keyof typeof ForgeErrorCode];

/** Options common to every Forge error. */
export interface ForgeErrorOptions {
  /** The package that raised the error, shown as `[forge] [package]`. Defaults to `core`. */
  readonly package?: string;
  readonly cause?: unknown;
}

// The classes an error is an instance of, by name, under a registry symbol: the
// ESM and CommonJS builds of a package are two copies of every class, and an
// error made by one copy must still be `instanceof` the other's classes.
const KINDS = Symbol.for('forge.errorKinds');

function kindsOf(target: abstract new (...args: never[]) => unknown): readonly string[] {
  const kinds: string[] = [];
  for (let kind: unknown = target; kind !== Error && typeof kind === 'function'; ) {
    kinds.push((kind as { name: string }).name);
    kind = Object.getPrototypeOf(kind);
  }
  return Object.freeze(kinds);
}

function kindsIn(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kinds = (value as { [KINDS]?: unknown })[KINDS];
  return Array.isArray(kinds) ? kinds : undefined;
}

function isKind(kind: { readonly name: string }, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(kind, value)) return true;
  return kindsIn(value)?.includes(kind.name) ?? false;
}

/**
 * Root of every error Forge throws. Messages start with `[forge] [package]`,
 * say how to fix the problem, and never contain a secret or a token.
 *
 * `instanceof` works across copies of Forge in one process (the ESM and the
 * CommonJS build of a package, or two installed versions): an error from one
 * copy is an instance of the other copy's class of the same name.
 *
 * @example
 * ```ts
 * try { await manager.getToken(); } catch (error) {
 *   if (error instanceof ForgeError) console.error(error.code, error.message);
 * }
 * ```
 */
export class ForgeError extends Error {
  readonly code: ForgeErrorCode;

  constructor(code: ForgeErrorCode, message: string, options: ForgeErrorOptions = {}) {
    super(`[forge] [${options.package ?? 'core'}] ${message}`, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, KINDS, { value: kindsOf(new.target) });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class asked about, a subclass too.
    return isKind(this, value);
  }
}

/**
 * Whether `value` is a {@link ForgeError} from any copy of Forge, optionally
 * with one of the {@link ForgeErrorCode}s; the same test as `instanceof`.
 *
 * @example
 * ```ts
 * if (isForgeError(error, ForgeErrorCode.TokenEndpoint)) scheduleRetry();
 * ```
 */
export function isForgeError(value: unknown, code?: ForgeErrorCode): value is ForgeError {
  return value instanceof ForgeError && (code === undefined || value.code === code);
}

/**
 * Invalid options, thrown at construction or installation time. `option`
 * names the offending option (`clientId`, `policy.origins[1]`, …).
 *
 * @example
 * ```ts
 * new ConfigurationError('clientId', 'must be a non-empty string');
 * // [forge] [core] Invalid option `clientId`: must be a non-empty string
 * ```
 */
export class ConfigurationError extends ForgeError {
  readonly option: string;

  constructor(option: string, problem: string, options: ForgeErrorOptions = {}) {
    super(ForgeErrorCode.Configuration, `Invalid option \`${option}\`: ${problem}`, options);
    this.option = option;
  }
}

/** Details of an OAuth error response (RFC 6749 §5.2). */
export interface AuthenticationErrorDetails extends ForgeErrorOptions {
  readonly serviceName: string;
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status?: number | undefined;
  /** OAuth `error` code such as `invalid_client` or `invalid_grant`. */
  readonly error?: string | undefined;
  readonly errorDescription?: string | undefined;
}

/**
 * The authorization server refused to issue a token (a 4xx OAuth error such
 * as `invalid_client`), or answered without an `access_token`. Not retried:
 * the request must change before it can succeed.
 *
 * @example
 * ```ts
 * if (error instanceof AuthenticationError && error.error === 'invalid_client') rotateSecret();
 * ```
 */
export class AuthenticationError extends ForgeError {
  readonly serviceName: string;
  readonly status: number | undefined;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;

  constructor(message: string, details: AuthenticationErrorDetails) {
    super(ForgeErrorCode.Authentication, message, details);
    this.serviceName = details.serviceName;
    this.status = details.status;
    this.error = details.error;
    this.errorDescription = details.errorDescription;
  }
}

/** Details of a token endpoint failure. */
export interface TokenEndpointErrorDetails extends ForgeErrorOptions {
  readonly serviceName: string;
  readonly status?: number | undefined;
  /** Why the endpoint failed: unreachable, too slow, a server error, or an unreadable body. */
  readonly reason: 'network' | 'timeout' | 'server' | 'rate-limited' | 'malformed' | 'aborted';
  /** How long the server asked clients to wait (its `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number | undefined;
}

/**
 * The token endpoint could not be used: unreachable, timed out, a 5xx or 429
 * after every retry, or an answer that is not a token response. Transient:
 * the next `getToken()` tries again.
 *
 * @example
 * ```ts
 * if (error instanceof TokenEndpointError && error.reason === 'timeout') alertOnCall();
 * ```
 */
export class TokenEndpointError extends ForgeError {
  readonly serviceName: string;
  readonly status: number | undefined;
  readonly reason: TokenEndpointErrorDetails['reason'];
  /** The server's `Retry-After` in milliseconds; the manager sends nothing sooner. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: TokenEndpointErrorDetails) {
    super(ForgeErrorCode.TokenEndpoint, message, details);
    this.serviceName = details.serviceName;
    this.status = details.status;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * A token storage failed (down, slow, or holding an unreadable entry). The
 * manager reports it as a `storageError` event and treats it as a cache miss;
 * it never fails a request by itself.
 *
 * @example
 * ```ts
 * manager.on('storageError', ({ error }) => log.warn(error.message));
 * ```
 */
export class StorageError extends ForgeError {
  readonly operation: string;

  constructor(operation: string, message: string, options: ForgeErrorOptions = {}) {
    super(ForgeErrorCode.Storage, message, options);
    this.operation = operation;
  }
}
