import { ConfigurationError } from './errors.js';
import { isAccessTokenValue, isAuthScheme } from './protocol/header-value.js';
import { REDACTED } from './redact.js';

/** The plain-JSON form of a {@link Token}, as storages keep it. */
export interface TokenJSON {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Expiry as epoch milliseconds; absent when the server named none. */
  readonly expiresAt?: number;
  /** When the response arrived, as epoch milliseconds (local clock). */
  readonly issuedAt: number;
  readonly refreshToken?: string;
  readonly scope?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Thumbprint of the DPoP key the token is bound to; absent for an unbound token. */
  readonly jkt?: string;
}

/** Fields accepted by the {@link Token} constructor. */
export interface TokenInit {
  readonly accessToken: string;
  /** Defaults to `Bearer`. */
  readonly tokenType?: string | undefined;
  readonly expiresAt?: Date | number | undefined;
  /** Defaults to now. */
  readonly issuedAt?: Date | number | undefined;
  readonly refreshToken?: string | undefined;
  readonly scope?: string | undefined;
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  /**
   * The RFC 7638 thumbprint of the DPoP key the token is bound to (its
   * `cnf.jkt`): proofs for it must be signed with that key.
   */
  readonly jkt?: string | undefined;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function toMillis(value: Date | number | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : value.getTime();
  if (!Number.isFinite(ms)) throw new ConfigurationError(option, 'must be a valid date');
  return ms;
}

function schemeOf(tokenType: string): string {
  const lower = tokenType.toLowerCase();
  if (lower === 'bearer') return 'Bearer';
  if (lower === 'dpop') return 'DPoP';
  return tokenType;
}

/**
 * An access token and what came with it. Immutable; serializes to and from
 * plain JSON without loss (`toJSON` / `Token.fromJSON`), while `util.inspect`
 * and `toString` never show a credential.
 *
 * @example
 * ```ts
 * const token = new Token({ accessToken: 'abc', expiresAt: Date.now() + 3_600_000 });
 * token.isExpired(30_000);      // false
 * token.authorizationHeader;    // 'Bearer abc'
 * const copy = Token.fromJSON(token.toJSON());
 * ```
 */
export class Token {
  readonly accessToken: string;
  /** The scheme as the server named it (`Bearer`, `DPoP`, …), normalized for known schemes. */
  readonly tokenType: string;
  readonly refreshToken: string | undefined;
  readonly scope: string | undefined;
  /** Every other field of the token response. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Expiry in epoch milliseconds (`Infinity` when unknown): cheap to compare on the hot path. */
  readonly expiresAtMs: number;
  /** When the response arrived, in epoch milliseconds. */
  readonly issuedAtMs: number;
  /** `<scheme> <access token>`, ready for an `Authorization` header. */
  readonly authorizationHeader: string;
  /** Thumbprint of the DPoP key the token is bound to, `undefined` for a bearer token. */
  readonly jkt: string | undefined;

  constructor(init: TokenInit) {
    if (typeof init.accessToken !== 'string' || init.accessToken.length === 0) {
      throw new ConfigurationError('accessToken', 'must be a non-empty string');
    }
    // Checked here, not only in the parser: a custom provider or a storage entry
    // must not be able to put a value into a header that splits it or makes the
    // HTTP client throw an error quoting the token. The value is never quoted.
    if (!isAccessTokenValue(init.accessToken)) {
      throw new ConfigurationError(
        'accessToken',
        'cannot be sent in an HTTP header: it must be visible ASCII and not blank (no CR, LF, NUL or other control characters, no non-ASCII characters)',
      );
    }
    const tokenType = init.tokenType || 'Bearer';
    if (typeof tokenType !== 'string' || !isAuthScheme(tokenType)) {
      throw new ConfigurationError(
        'tokenType',
        "must be an HTTP authentication scheme such as Bearer or DPoP (letters, digits and !#$%&'*+-.^_`|~ only)",
      );
    }
    this.accessToken = init.accessToken;
    this.tokenType = schemeOf(tokenType);
    this.refreshToken = init.refreshToken || undefined;
    this.scope = init.scope || undefined;
    this.extra = Object.freeze({ ...init.extra });
    this.expiresAtMs = toMillis(init.expiresAt, 'expiresAt') ?? Number.POSITIVE_INFINITY;
    this.issuedAtMs = toMillis(init.issuedAt, 'issuedAt') ?? Date.now();
    this.authorizationHeader = `${this.tokenType} ${this.accessToken}`;
    this.jkt = init.jkt || undefined;
    Object.freeze(this);
  }

  /** Expiry as a Date, or `undefined` when the server named none. */
  get expiresAt(): Date | undefined {
    return Number.isFinite(this.expiresAtMs) ? new Date(this.expiresAtMs) : undefined;
  }

  /** When the response arrived (local clock). */
  get issuedAt(): Date {
    return new Date(this.issuedAtMs);
  }

  /**
   * Whether the token is expired, or will be within `skewMs`.
   *
   * @example
   * ```ts
   * if (token.isExpired(30_000)) await manager.forceRefresh();
   * ```
   */
  isExpired(skewMs = 0, now: number = Date.now()): boolean {
    return now + skewMs >= this.expiresAtMs;
  }

  /** The full plain-JSON form, credentials included: for storages only. */
  toJSON(): TokenJSON {
    return {
      accessToken: this.accessToken,
      tokenType: this.tokenType,
      ...(Number.isFinite(this.expiresAtMs) ? { expiresAt: this.expiresAtMs } : {}),
      issuedAt: this.issuedAtMs,
      ...(this.refreshToken === undefined ? {} : { refreshToken: this.refreshToken }),
      ...(this.scope === undefined ? {} : { scope: this.scope }),
      ...(Object.keys(this.extra).length === 0 ? {} : { extra: this.extra }),
      ...(this.jkt === undefined ? {} : { jkt: this.jkt }),
    };
  }

  /**
   * Rebuilds a token from {@link Token.toJSON} output. Throws a
   * `ConfigurationError` for anything else, so a storage can treat an
   * unreadable entry as a miss.
   */
  static fromJSON(json: unknown): Token {
    if (typeof json !== 'object' || json === null) {
      throw new ConfigurationError('token', 'is not a serialized token object');
    }
    const value = json as Record<string, unknown>;
    const optionalString = (name: string): string | undefined => {
      const field = value[name];
      if (field === undefined) return undefined;
      if (typeof field !== 'string')
        throw new ConfigurationError(`token.${name}`, 'must be a string');
      return field;
    };
    const optionalNumber = (name: string): number | undefined => {
      const field = value[name];
      if (field === undefined) return undefined;
      if (typeof field !== 'number' || !Number.isFinite(field)) {
        throw new ConfigurationError(`token.${name}`, 'must be a finite number');
      }
      return field;
    };
    const extra = value.extra;
    if (
      extra !== undefined &&
      (typeof extra !== 'object' || extra === null || Array.isArray(extra))
    ) {
      throw new ConfigurationError('token.extra', 'must be an object');
    }
    const issuedAt = optionalNumber('issuedAt');
    if (issuedAt === undefined) throw new ConfigurationError('token.issuedAt', 'is required');
    return new Token({
      accessToken: optionalString('accessToken') ?? '',
      tokenType: optionalString('tokenType'),
      expiresAt: optionalNumber('expiresAt'),
      issuedAt,
      refreshToken: optionalString('refreshToken'),
      scope: optionalString('scope'),
      extra: extra as Record<string, unknown> | undefined,
      jkt: optionalString('jkt'),
    });
  }

  /** A description without credentials. */
  toString(): string {
    const expires = Number.isFinite(this.expiresAtMs)
      ? new Date(this.expiresAtMs).toISOString()
      : 'never';
    return `Token(${this.tokenType}, expires ${expires}${this.scope ? `, scope "${this.scope}"` : ''})`;
  }

  [INSPECT](): string {
    return `Token { accessToken: '${REDACTED}', tokenType: '${this.tokenType}', expiresAt: ${
      this.expiresAt?.toISOString() ?? 'undefined'
    }, refreshToken: ${this.refreshToken ? `'${REDACTED}'` : 'undefined'}, scope: ${
      this.scope === undefined ? 'undefined' : `'${this.scope}'`
    } }`;
  }
}

/** Whether a value is a {@link Token}, also across duplicated package copies. */
export function isToken(value: unknown): value is Token {
  return (
    value instanceof Token ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Token).accessToken === 'string' &&
      typeof (value as Token).expiresAtMs === 'number' &&
      typeof (value as Token).isExpired === 'function')
  );
}
