import { TokenEndpointError } from '../errors.js';
import { Token } from '../token.js';
import { parseBody } from './body.js';
import { authenticationError, readOAuthError } from './error-response.js';
import { isAccessTokenValue, isAuthScheme } from './header-value.js';

/**
 * What a refresh response may leave out: the refresh token and scope of the grant it renews.
 * @example
 * ```ts
 * parseTokenResponse(raw, { serviceName: 'api', receivedAt: Date.now(), previous: { refreshToken: usedRefreshToken } });
 * ```
 */
export interface PreviousGrant {
  readonly refreshToken?: string | undefined;
  readonly scope?: string | undefined;
}

/**
 * How a token response is turned into a {@link Token}.
 * @example
 * ```ts
 * parseTokenResponse(raw, { serviceName: 'api', receivedAt: Date.now(), defaultLifetimeMs: 600_000 });
 * ```
 */
export interface ParseOptions {
  readonly serviceName: string;
  /** Local clock when the response arrived; `expires_in` counts from here. */
  readonly receivedAt: number;
  /**
   * Lifetime assumed when the server names none (no usable `expires_in`),
   * in milliseconds; `Infinity` for "until a 401". Default one hour.
   */
  readonly defaultLifetimeMs?: number | undefined;
  /** Values to scrub from error messages (client secret, refresh token, …). */
  readonly secrets?: readonly (string | undefined)[];
  /** Carried over when a refresh response omits them (RFC 6749 §6). */
  readonly previous?: PreviousGrant | undefined;
  /** Thumbprint of the DPoP key the request was proven with: the token is bound to it. */
  readonly jkt?: string | undefined;
}

/** Response fields that become `Token` properties; everything else goes to `extra`. */
const KNOWN = new Set(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope']);

const MAX_LIFETIME_SECONDS = 1e9;

/**
 * `expires_in` as a number of seconds, whether the server sent a number or a
 * numeric string; `undefined` when it is absent or not a number.
 */
function seconds(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  // 0 or less: expired when it arrived, never "unknown" (which would mean the
  // default lifetime). Above ~31 years would overflow Date arithmetic.
  return Math.min(Math.max(n, 0), MAX_LIFETIME_SECONDS);
}

/** Whether a 2xx body carries an OAuth `error` (anything but absent, null or empty). */
function carriesError(fields: Record<string, unknown>): boolean {
  const error = fields.error;
  return error !== undefined && error !== null && error !== '';
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  return undefined;
}

function scopeOf(value: unknown): string | undefined {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value.join(' ') || undefined;
  }
  return text(value);
}

/**
 * Parses the already-decoded fields of a successful (2xx) token response.
 * Lenient where real servers differ (`expires_in` as a string or missing,
 * `token_type` in any case, `scope` as an array, other fields kept in
 * `extra`), strict where it matters: no `access_token`, or an `error` field
 * in a 2xx whatever else it carries, is an `AuthenticationError`; an
 * `access_token` or `token_type` that cannot go into an HTTP header is a
 * `TokenEndpointError` (`malformed`) that never quotes it; an `expires_in` of
 * 0 or less is a token already expired when it arrived.
 *
 * @example
 * ```ts
 * const token = parseTokenFields(
 *   { access_token: 'abc', token_type: 'BEARER', expires_in: '3600', id_token: 'x' },
 *   { serviceName: 'api', receivedAt: Date.now() },
 * );
 * token.tokenType; // 'Bearer'; token.extra.id_token === 'x'
 * ```
 */
export function parseTokenFields(
  fields: Record<string, unknown>,
  options: ParseOptions,
  status?: number,
): Token {
  const accessToken = fields.access_token;
  const refused = carriesError(fields);
  if (refused || typeof accessToken !== 'string' || accessToken.trim() === '') {
    throw authenticationError(
      options.serviceName,
      status,
      readOAuthError(fields),
      options.secrets ?? [],
      refused ? 'was refused' : 'got an answer without an `access_token`',
    );
  }
  if (!isAccessTokenValue(accessToken)) {
    throw unusable(options.serviceName, status, 'access_token');
  }
  const tokenType = text(fields.token_type)?.trim() || undefined;
  if (tokenType !== undefined && !isAuthScheme(tokenType)) {
    throw unusable(options.serviceName, status, 'token_type');
  }
  const lifetimeSeconds = seconds(fields.expires_in);
  const defaultLifetimeMs = options.defaultLifetimeMs ?? 3_600_000;
  const expiresAt =
    lifetimeSeconds !== undefined
      ? options.receivedAt + lifetimeSeconds * 1000
      : Number.isFinite(defaultLifetimeMs)
        ? options.receivedAt + defaultLifetimeMs
        : undefined;
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!KNOWN.has(name) && name !== '__proto__') extra[name] = value;
  }
  return new Token({
    accessToken,
    tokenType,
    expiresAt,
    issuedAt: options.receivedAt,
    refreshToken: text(fields.refresh_token) ?? options.previous?.refreshToken,
    scope: scopeOf(fields.scope) ?? options.previous?.scope,
    extra,
    jkt: options.jkt,
  });
}

/**
 * The raw answer of a token endpoint.
 * @example
 * ```ts
 * const raw: RawTokenResponse = {
 *   status: response.status,
 *   contentType: response.headers.get('content-type'),
 *   body: await response.text(),
 * };
 * ```
 */
export interface RawTokenResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly wwwAuthenticate?: string | null;
  readonly body: string;
}

/**
 * Turns a token endpoint's answer into a {@link Token} or a typed error:
 * 2xx with a readable body -> `Token`; 2xx with an unreadable body ->
 * `TokenEndpointError` (`malformed`); any other status -> `AuthenticationError`
 * with the OAuth `error` and `error_description` when the body (JSON, form,
 * or a `WWW-Authenticate` challenge) carries them, and just the status when it
 * is HTML or empty.
 *
 * @example
 * ```ts
 * const token = parseTokenResponse(
 *   { status: 200, contentType: 'application/json', body: '{"access_token":"abc"}' },
 *   { serviceName: 'api', receivedAt: Date.now() },
 * );
 * ```
 */
export function parseTokenResponse(response: RawTokenResponse, options: ParseOptions): Token {
  const fields = parseBody(response.body, response.contentType);
  if (response.status >= 200 && response.status < 300) {
    if (fields === undefined) {
      throw new TokenEndpointError(
        `Token endpoint answered "${options.serviceName}" with HTTP ${response.status} but the body is not a token response (${describeBody(
          response,
        )}). Check that \`tokenEndpoint\` points at the token endpoint.`,
        { serviceName: options.serviceName, status: response.status, reason: 'malformed' },
      );
    }
    return parseTokenFields(fields, options, response.status);
  }
  throw authenticationError(
    options.serviceName,
    response.status,
    readOAuthError(fields, response.wwwAuthenticate),
    options.secrets ?? [],
  );
}

/** A field that would have to go into a header but cannot; its value is never quoted. */
function unusable(
  serviceName: string,
  status: number | undefined,
  field: 'access_token' | 'token_type',
): TokenEndpointError {
  const rule =
    field === 'access_token'
      ? 'characters an HTTP header cannot carry (control characters such as CR, LF or NUL, or non-ASCII)'
      : "something other than an HTTP authentication scheme (letters, digits and !#$%&'*+-.^_`|~)";
  return new TokenEndpointError(
    `Token endpoint answered "${serviceName}" with a \`${field}\` that holds ${rule}, so it cannot be sent. The server is broken or not the token endpoint; check \`tokenEndpoint\`.`,
    { serviceName, status, reason: 'malformed' },
  );
}

function describeBody(response: RawTokenResponse): string {
  if (response.body.trim() === '') return 'empty body';
  return `${response.contentType ?? 'no content type'}, ${response.body.length} bytes`;
}
