import type { OAuth1TokenCredentials } from '../signing/signer.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Plain-JSON form of an {@link OAuth1Token}, secret included: for session or database storage.
 *
 * @example
 * ```ts
 * const json: OAuth1TokenJSON = accessToken.toJSON();
 * ```
 */
export interface OAuth1TokenJSON {
  readonly token: string;
  readonly tokenSecret: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * Temporary or token credentials issued by the provider: `oauth_token`,
 * `oauth_token_secret`, and every other field of the answer in `extra`
 * (e.g. `user_id`, `screen_name`). `util.inspect` and `toString` hide the
 * secret; `toJSON` keeps it so the credentials can be stored.
 *
 * @example
 * ```ts
 * const stored = JSON.stringify(accessToken);
 * const again = OAuth1Token.fromJSON(JSON.parse(stored));
 * ```
 */
export class OAuth1Token implements OAuth1TokenCredentials {
  readonly token: string;
  readonly tokenSecret: string;
  readonly extra: Readonly<Record<string, string>>;

  constructor(token: string, tokenSecret: string, extra: Record<string, string> = {}) {
    this.token = token;
    this.tokenSecret = tokenSecret;
    this.extra = Object.freeze({ ...extra });
    Object.freeze(this);
  }

  /**
   * Rebuilds credentials from {@link OAuth1Token.toJSON} output.
   *
   * @example
   * ```ts
   * const token = OAuth1Token.fromJSON({ token: 't', tokenSecret: 's' });
   * ```
   */
  static fromJSON(json: OAuth1TokenJSON): OAuth1Token {
    return new OAuth1Token(json.token, json.tokenSecret, { ...json.extra });
  }

  /** The full form, secret included: for storage only. */
  toJSON(): OAuth1TokenJSON {
    return { token: this.token, tokenSecret: this.tokenSecret, extra: this.extra };
  }

  toString(): string {
    return `OAuth1Token { token: '${this.token}', tokenSecret: [REDACTED] }`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}
