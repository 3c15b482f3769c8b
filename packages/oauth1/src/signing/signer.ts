import { ConfigurationError, ForgeError, ForgeErrorCode } from '@forge/core';
import { toBase64 } from '../encoding/base64.js';
import { type Parameter, parseForm } from '../encoding/form.js';
import { signatureBaseString } from './base-string.js';
import { defaultNonce, defaultTimestamp } from './clock.js';
import {
  createSignatureAlgorithm,
  type SignatureAlgorithm,
  type SignatureMethod,
} from './methods.js';
import { formParameters, hasFormBody, type SignableRequest } from './request.js';
import {
  authorizationHeader,
  bodyTransmissionError,
  bodyWithParameters,
  type Transmission,
  urlWithParameters,
  withoutProtocolParameters,
} from './transmission.js';

/**
 * The consumer (client) credentials and how to sign with them.
 *
 * @example
 * ```ts
 * const options: OAuth1SignerOptions = {
 *   consumerKey: 'key',
 *   consumerSecret: 'secret',
 *   signatureMethod: 'HMAC-SHA256',
 *   transmission: 'header',
 * };
 * ```
 */
export interface OAuth1SignerOptions {
  /** `oauth_consumer_key`: the client identifier the provider issued. */
  readonly consumerKey: string;
  /** The consumer secret; required for HMAC-* and PLAINTEXT. */
  readonly consumerSecret?: string | undefined;
  /** Default `'HMAC-SHA1'`, the method most providers expect. */
  readonly signatureMethod?: SignatureMethod | undefined;
  /**
   * For RSA-*: an unencrypted RSA private key as PEM (PKCS #8
   * `PRIVATE KEY`, or PKCS #1 `RSA PRIVATE KEY`), or a Web Crypto
   * `CryptoKey` imported for RSASSA-PKCS1-v1_5 with the matching hash.
   */
  readonly privateKey?: string | CryptoKey | undefined;
  /** `realm` of the Authorization header (not signed). */
  readonly realm?: string | undefined;
  /** Where the protocol parameters travel; default `'header'`. */
  readonly transmission?: Transmission | undefined;
  /**
   * Add `oauth_body_hash` (the OAuth Request Body Hash extension) to requests
   * without a form body, so a JSON or XML body is covered by the signature.
   * Not available with PLAINTEXT. Default `false`.
   */
  readonly bodyHash?: boolean | undefined;
  /** Send `oauth_version="1.0"` (optional in RFC 5849, required by some servers). Default `true`. */
  readonly version?: boolean | undefined;
  /** Nonce generator; default 16 random bytes in hex. Inject for tests. */
  readonly nonce?: (() => string) | undefined;
  /** Timestamp generator in seconds since the epoch; default the local clock. Inject for tests. */
  readonly timestamp?: (() => number | string) | undefined;
}

/**
 * The token credentials (or temporary credentials) a request is signed with.
 * An {@link OAuth1Token} from the three-legged flow is one.
 *
 * @example
 * ```ts
 * const token: OAuth1TokenCredentials = { token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' };
 * ```
 */
export interface OAuth1TokenCredentials {
  /** `oauth_token`. */
  readonly token: string;
  /** The token secret, second half of the HMAC/PLAINTEXT key. */
  readonly tokenSecret: string;
}

/**
 * Per-request additions: the token and extra protocol parameters.
 *
 * @example
 * ```ts
 * await signer.sign(request, { token, oauthParameters: { oauth_verifier: verifier } });
 * ```
 */
export interface SignOptions {
  readonly token?: OAuth1TokenCredentials | undefined;
  /** Extra `oauth_*` parameters to sign and send, e.g. `oauth_callback` or `oauth_verifier`. */
  readonly oauthParameters?: Readonly<Record<string, string>> | undefined;
}

/**
 * A signed request: what to change on the request before sending it.
 *
 * @example
 * ```ts
 * const signed: SignedRequest = await signer.sign({ method: 'GET', url });
 * await fetch(signed.url, { headers: signed.headers, body: signed.body });
 * ```
 */
export interface SignedRequest {
  /** Headers to set (`authorization`, or `content-type` when a form body was created). */
  readonly headers: Readonly<Record<string, string>>;
  /** The URL to send; carries the protocol parameters with transmission `'query'`. */
  readonly url: string;
  /** The replacement body with transmission `'body'`; otherwise absent (send the body unchanged). */
  readonly body?: string;
  /** Every protocol parameter sent, `oauth_signature` included. */
  readonly oauthParameters: Readonly<Record<string, string>>;
  /** The signature base string, for debugging a signature mismatch with the provider. */
  readonly baseString: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const RESERVED = new Set([
  'oauth_consumer_key',
  'oauth_nonce',
  'oauth_signature',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_token',
  'oauth_version',
  'oauth_body_hash',
]);
// A quoted-string (RFC 7230) without escapes: printable characters other than `"` and `\`.
const QUOTED_STRING_SAFE = /^[\t\x20-\x21\x23-\x5b\x5d-\x7e\x80-\uffff]*$/;

function byName([a]: Parameter, [b]: Parameter): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// A content type on a method with a body means a body exists that the
// adapter did not hand over (bytes, a stream, FormData):
// hashing the empty string instead would only earn a 401.
function hasUnseenBody(request: SignableRequest): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return false;
  return Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === 'content-type');
}

function missingBodyError(method: string): ForgeError {
  return new ForgeError(
    ForgeErrorCode.Request,
    `bodyHash is on but the body of this ${method.toUpperCase()} request did not reach the signer as text (adapters pass strings and JSON, not bytes, streams or FormData), so oauth_body_hash cannot cover it; send the body as a string or JSON, or turn bodyHash off`,
    { package: 'oauth1' },
  );
}

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: 'oauth1' });
}

function checkOptions(options: OAuth1SignerOptions): void {
  if (options === null || typeof options !== 'object') fail('options', 'must be an object');
  if (typeof options.consumerKey !== 'string' || options.consumerKey === '') {
    fail('consumerKey', 'must be a non-empty string: the consumer key the provider issued');
  }
  if (options.consumerSecret !== undefined && typeof options.consumerSecret !== 'string') {
    fail('consumerSecret', 'must be a string');
  }
  if (
    options.realm !== undefined &&
    (typeof options.realm !== 'string' || !QUOTED_STRING_SAFE.test(options.realm))
  ) {
    fail('realm', 'must be a string without double quotes, backslashes or control characters');
  }
  const transmission = options.transmission ?? 'header';
  if (transmission !== 'header' && transmission !== 'body' && transmission !== 'query') {
    fail(
      'transmission',
      `must be 'header', 'body' or 'query'; got ${JSON.stringify(String(transmission))}`,
    );
  }
  for (const name of ['nonce', 'timestamp'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      fail(name, 'must be a function');
    }
  }
}

/**
 * Signs HTTP requests with OAuth 1.0a (RFC 5849): builds the protocol
 * parameters, the signature base string and the signature, and says where
 * to put them. Runs on any runtime with Web Crypto. Secrets live in a
 * closure: `util.inspect` and `JSON.stringify` never show them.
 *
 * @example
 * ```ts
 * const signer = new OAuth1Signer({ consumerKey: 'key', consumerSecret: 'secret' });
 * const signed = await signer.sign(
 *   { method: 'GET', url: 'https://api.example.com/photos?size=original' },
 *   { token: { token: 'token', tokenSecret: 'token-secret' } },
 * );
 * await fetch(signed.url, { headers: signed.headers });
 * ```
 */
export class OAuth1Signer {
  /** The signature method in use. */
  readonly signatureMethod: SignatureMethod;
  /** Where the protocol parameters travel. */
  readonly transmission: Transmission;
  /** The consumer key (not a secret: it travels in every request). */
  readonly consumerKey: string;
  readonly #algorithm: SignatureAlgorithm;
  readonly #realm: string | undefined;
  readonly #bodyHash: boolean;
  readonly #version: boolean;
  readonly #nonce: () => string;
  readonly #timestamp: () => number | string;

  /**
   * @throws ConfigurationError naming the option: unknown `signatureMethod`, missing
   * `consumerSecret` (HMAC/PLAINTEXT) or `privateKey` (RSA), a `privateKey` that is not
   * a PEM key, a `bodyHash` with PLAINTEXT, an invalid `realm` or `transmission`.
   */
  constructor(options: OAuth1SignerOptions) {
    checkOptions(options);
    this.consumerKey = options.consumerKey;
    this.signatureMethod = options.signatureMethod ?? 'HMAC-SHA1';
    this.#algorithm = createSignatureAlgorithm(this.signatureMethod, options);
    this.transmission = options.transmission ?? 'header';
    this.#realm = options.realm;
    this.#bodyHash = options.bodyHash === true;
    if (this.#bodyHash && this.#algorithm.digest === undefined) {
      fail('bodyHash', 'needs an HMAC-* or RSA-* signature method; PLAINTEXT has no digest');
    }
    this.#version = options.version !== false;
    this.#nonce = options.nonce ?? defaultNonce;
    this.#timestamp = options.timestamp ?? defaultTimestamp;
  }

  /**
   * Imports the signing key now. An RSA key that Web Crypto cannot import
   * then rejects here, with a `ConfigurationError` naming `privateKey`,
   * instead of on the first request.
   *
   * @example
   * ```ts
   * await new OAuth1Signer({ consumerKey, signatureMethod: 'RSA-SHA1', privateKey: pem }).ready();
   * ```
   */
  async ready(): Promise<void> {
    await this.#algorithm.prepare();
  }

  /**
   * Signs one request. Query parameters and form-body parameters are
   * signed; other bodies are covered only through `oauth_body_hash`.
   *
   * @throws ForgeError (`FORGE_REQUEST`) when transmission `'body'` meets a request that
   * cannot carry a form body; ConfigurationError when `nonce()` or `timestamp()` misbehave.
   */
  async sign(request: SignableRequest, options: SignOptions = {}): Promise<SignedRequest> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const form = hasFormBody(request);
    let query = url.search.slice(1);
    let body = form ? request.body : undefined;
    if (this.transmission === 'query') query = withoutProtocolParameters(query);
    if (this.transmission === 'body') {
      if (request.body !== undefined && !form) throw bodyTransmissionError(method);
      if (request.body === undefined && (method === 'GET' || method === 'HEAD')) {
        throw bodyTransmissionError(method);
      }
      body = withoutProtocolParameters(body === undefined ? '' : body.toString());
    }

    const oauth = await this.#protocolParameters(request, form, options);
    const parameters: Parameter[] = [...parseForm(query), ...formParameters(body), ...oauth];
    const baseString = signatureBaseString(method, url, parameters);
    const signature = await this.#algorithm.sign(baseString, options.token?.tokenSecret ?? '');
    oauth.push(['oauth_signature', signature]);
    oauth.sort(byName);
    const oauthParameters = Object.fromEntries(oauth);

    switch (this.transmission) {
      case 'query':
        return { headers: {}, url: urlWithParameters(url, oauth), oauthParameters, baseString };
      case 'body':
        return {
          headers: form ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
          url: url.href,
          body: bodyWithParameters(body, oauth),
          oauthParameters,
          baseString,
        };
      default:
        return {
          headers: { authorization: authorizationHeader(oauth, this.#realm) },
          url: url.href,
          oauthParameters,
          baseString,
        };
    }
  }

  async #protocolParameters(
    request: SignableRequest,
    form: boolean,
    options: SignOptions,
  ): Promise<Parameter[]> {
    const oauth: Parameter[] = [['oauth_consumer_key', this.consumerKey]];
    const nonce = this.#nonce();
    if (typeof nonce !== 'string' || nonce === '') fail('nonce', 'must return a non-empty string');
    oauth.push(['oauth_nonce', nonce]);
    oauth.push(['oauth_signature_method', this.signatureMethod]);
    const timestamp = String(this.#timestamp());
    if (!/^\d+$/.test(timestamp)) {
      fail('timestamp', `must return a whole number of seconds since the epoch; got ${timestamp}`);
    }
    oauth.push(['oauth_timestamp', timestamp]);
    if (options.token) oauth.push(['oauth_token', options.token.token]);
    if (this.#version) oauth.push(['oauth_version', '1.0']);
    for (const [name, value] of Object.entries(options.oauthParameters ?? {})) {
      if (!/^oauth_/.test(name) || RESERVED.has(name) || typeof value !== 'string') {
        fail(
          `oauthParameters.${name}`,
          'must be a string-valued oauth_* parameter other than the ones the signer sets',
        );
      }
      oauth.push([name, value]);
    }
    // The body hash extension forbids the hash on form bodies: their parameters are signed.
    if (this.#bodyHash && !form) {
      const digest = this.#algorithm.digest!;
      if (request.body === undefined && hasUnseenBody(request))
        throw missingBodyError(request.method);
      const body = typeof request.body === 'string' ? request.body : '';
      const hash = await crypto.subtle.digest(digest, new TextEncoder().encode(body));
      oauth.push(['oauth_body_hash', toBase64(hash)]);
    }
    return oauth;
  }

  /** Shows the configuration, never a secret or a key. */
  [INSPECT](): string {
    return `OAuth1Signer { consumerKey: '${this.consumerKey}', signatureMethod: '${this.signatureMethod}', transmission: '${this.transmission}' }`;
  }

  /** The same safe summary as `util.inspect`, for `JSON.stringify`. */
  toJSON(): { consumerKey: string; signatureMethod: SignatureMethod; transmission: Transmission } {
    return {
      consumerKey: this.consumerKey,
      signatureMethod: this.signatureMethod,
      transmission: this.transmission,
    };
  }
}
