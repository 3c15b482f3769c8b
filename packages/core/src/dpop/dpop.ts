import { base64url } from '../client-auth/encoding.js';
import { ConfigurationError } from '../errors.js';
import {
  type DPoPAlgorithm,
  type DPoPKeyInput,
  type DPoPKeyMaterial,
  encodeText,
  generateDPoPKey,
  importDPoPKey,
  isDPoPAlgorithm,
  SIGN_PARAMS,
} from './key.js';
import { ServerStates } from './server-state.js';

/**
 * How to turn DPoP (RFC 9449) on for a provider: `dpop: true` for the
 * defaults, or these options.
 *
 * @example
 * ```ts
 * const options: DPoPOptions = { alg: 'EdDSA', maxClockSkewMs: 120_000 };
 * ```
 */
export interface DPoPOptions {
  /** Algorithm of a generated key. Default `ES256`; `PS256` and `EdDSA` where runtime and server allow. */
  readonly alg?: DPoPAlgorithm | undefined;
  /**
   * Your key instead of a generated one: a `CryptoKeyPair`, a private JWK,
   * or a function that resolves to either (called once, when the first
   * proof is needed: load it from a secret store, or share one through
   * `@forge/storage-redis`'s `sharedDPoPKey`).
   */
  readonly key?: DPoPKeyInput | (() => Promise<DPoPKeyInput>) | undefined;
  /** Make a generated or imported private key extractable. Default `false`: it can sign, never leave. */
  readonly extractable?: boolean | undefined;
  /**
   * Accept a `Bearer` token from a server asked for a DPoP one (the token is
   * then sent as a plain bearer token). Default `false`: such an answer is
   * an `AuthenticationError`.
   */
  readonly allowBearer?: boolean | undefined;
  /**
   * The most a server's clock (its `Date` header on a `use_dpop_nonce` or
   * `invalid_dpop_proof` answer) may move a proof's `iat`, in milliseconds.
   * Default 300 000 (five minutes).
   */
  readonly maxClockSkewMs?: number | undefined;
}

/** What one proof is for. */
export interface DPoPProofRequest {
  /** HTTP method (`htm`). */
  readonly method: string;
  /** The request URL; `htu` is this without query and fragment. */
  readonly url: string;
  /** The access token the request carries: the proof then has its hash (`ath`). */
  readonly accessToken?: string | undefined;
  /** The thumbprint of the key the token is bound to; default the current key. */
  readonly thumbprint?: string | undefined;
}

/** What a response may tell DPoP: a nonce, and the server's clock. */
export interface DPoPResponseHeaders {
  get(name: string): string | null;
}

const DEFAULT_SKEW_MS = 300_000;
// Tokens bound to keys that were rotated out still finish the requests they
// started with their own key; older ones are forgotten.
const KEPT_KEYS = 2;

function htuOf(url: string): string {
  const hash = url.indexOf('#');
  const bare = hash === -1 ? url : url.slice(0, hash);
  const query = bare.indexOf('?');
  return query === -1 ? bare : bare.slice(0, query);
}

type KeySource = DPoPKeyInput | (() => Promise<DPoPKeyInput>) | undefined;

/**
 * One DPoP key and what servers told us about it: signs proofs (RFC 9449)
 * with Web Crypto, remembers each server's latest nonce and clock offset,
 * and knows the key's thumbprint, which binds tokens to it (a token cached
 * for one key is never sent with another's proof). Providers make one from
 * their `dpop` option; pass the same instance to several providers to share
 * a key.
 *
 * @example
 * ```ts
 * const dpop = new DPoP({ alg: 'ES256' });
 * const proof = await dpop.proof({ method: 'GET', url: 'https://api.example/orders', accessToken });
 * ```
 */
export class DPoP {
  readonly allowBearer: boolean;
  readonly alg: DPoPAlgorithm;
  readonly #extractable: boolean;
  readonly #servers: ServerStates;
  readonly #keys = new Map<string, DPoPKeyMaterial>();
  #source: KeySource;
  #current: DPoPKeyMaterial | undefined;
  #loading: Promise<DPoPKeyMaterial> | undefined;
  #lastToken: string | undefined;
  #lastAth: string | undefined;

  constructor(options: DPoPOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('dpop', 'must be true or an options object { alg, key, … }');
    }
    const alg = options.alg ?? 'ES256';
    if (!isDPoPAlgorithm(alg)) {
      throw new ConfigurationError('dpop.alg', 'must be ES256, PS256 or EdDSA');
    }
    for (const flag of ['extractable', 'allowBearer'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
        throw new ConfigurationError(`dpop.${flag}`, 'must be true or false');
      }
    }
    const skew = options.maxClockSkewMs ?? DEFAULT_SKEW_MS;
    if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0) {
      throw new ConfigurationError(
        'dpop.maxClockSkewMs',
        'must be a number of milliseconds, 0 or more',
      );
    }
    const key = options.key;
    if (key !== undefined && typeof key !== 'object' && typeof key !== 'function') {
      throw new ConfigurationError(
        'dpop.key',
        'must be a CryptoKeyPair, a private JWK, or a function resolving to one',
      );
    }
    this.alg = alg;
    this.allowBearer = options.allowBearer ?? false;
    this.#extractable = options.extractable ?? false;
    this.#servers = new ServerStates(skew);
    this.#source = key;
  }

  /**
   * The `dpop` option of a provider as a {@link DPoP}: `true` for defaults,
   * options, or an instance (shared as is).
   */
  static from(option: true | DPoPOptions | DPoP): DPoP {
    if (option instanceof DPoP) return option;
    if (option === true) return new DPoP();
    return new DPoP(option);
  }

  /** The current key's thumbprint once it is loaded (synchronously), else `undefined`. */
  get thumbprint(): string | undefined {
    return this.#current?.thumbprint;
  }

  /** Loads (or makes) the key once; resolves to its thumbprint. */
  async ready(): Promise<string> {
    return (await this.#key()).thumbprint;
  }

  #key(): Promise<DPoPKeyMaterial> | DPoPKeyMaterial {
    if (this.#current !== undefined) return this.#current;
    this.#loading ??= this.#load(this.#source).then(
      (loaded) => {
        this.#install(loaded);
        this.#loading = undefined;
        return loaded;
      },
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }

  async #load(source: KeySource): Promise<DPoPKeyMaterial> {
    if (source === undefined) return (await generateDPoPKey(this.alg, this.#extractable)).material;
    const input = typeof source === 'function' ? await source() : source;
    return importDPoPKey(input, this.#extractable);
  }

  #install(loaded: DPoPKeyMaterial): void {
    this.#current = loaded;
    this.#keys.delete(loaded.thumbprint);
    this.#keys.set(loaded.thumbprint, loaded);
    while (this.#keys.size > KEPT_KEYS) {
      this.#keys.delete(this.#keys.keys().next().value as string);
    }
  }

  /**
   * Replaces the key: with `key`, or a newly generated one. Tokens bound to
   * the old key are no longer served (the cache key holds the thumbprint),
   * so the next request fetches a token bound to the new one. Resolves to
   * the new thumbprint.
   *
   * @example
   * ```ts
   * await provider.dpop?.rotate();
   * ```
   */
  async rotate(key?: DPoPKeyInput): Promise<string> {
    this.#source = key;
    const loaded = await this.#load(key);
    this.#install(loaded);
    return loaded.thumbprint;
  }

  /** Whether a token bound to `thumbprint` can still be proven (its key is held). */
  holds(thumbprint: string): boolean {
    return this.#keys.has(thumbprint);
  }

  /** How far the clock of the server at `url` is from ours, as proofs for it use it (bounded). */
  clockOffsetMs(url: string): number {
    return this.#servers.offsetMs(url);
  }

  /** The latest nonce the server at `url` sent, if any. */
  nonce(url: string): string | undefined {
    return this.#servers.nonce(url);
  }

  /**
   * Learns from any response of a server: its `DPoP-Nonce`, kept as the
   * latest nonce of its origin; and, when `refused` (the server answered
   * `use_dpop_nonce` or `invalid_dpop_proof`), its clock from `Date`.
   * Returns whether the next proof will differ (a new nonce or clock offset).
   */
  observe(
    url: string,
    headers: DPoPResponseHeaders,
    refused = false,
    receivedAt = Date.now(),
  ): boolean {
    const nonce = headers.get('dpop-nonce');
    // RFC 9449 §8.1: a nonce is NQCHAR (printable ASCII without `"` and `\`).
    const changedNonce =
      nonce !== null &&
      /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce) &&
      this.#servers.noteNonce(url, nonce);
    const changedClock = refused && this.#servers.noteDate(url, headers.get('date'), receivedAt);
    return changedNonce || changedClock;
  }

  /**
   * A fresh proof JWT for one request: `typ: dpop+jwt`, the public key in
   * the header, `jti`, `htm`, `htu` (without query and fragment), `iat` on
   * the server's clock, its latest `nonce`, and `ath` when an access token
   * is given.
   */
  async proof(request: DPoPProofRequest): Promise<string> {
    const key =
      request.thumbprint === undefined ? await this.#key() : this.#keys.get(request.thumbprint);
    if (key === undefined) {
      throw new ConfigurationError(
        'dpop.key',
        'the token is bound to a DPoP key this process no longer holds (it was rotated out); fetch a new token',
      );
    }
    const htu = htuOf(request.url);
    const payload: Record<string, string | number> = {
      jti: crypto.randomUUID(),
      htm: request.method.toUpperCase(),
      htu,
      iat: Math.floor((Date.now() + this.#servers.offsetMs(htu)) / 1000),
    };
    const nonce = this.#servers.nonce(htu);
    if (nonce !== undefined) payload.nonce = nonce;
    if (request.accessToken !== undefined) payload.ath = await this.#ath(request.accessToken);
    const input = `${key.encodedHeader}.${encodeText(JSON.stringify(payload))}`;
    const signature = await crypto.subtle.sign(
      SIGN_PARAMS[key.alg],
      key.privateKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${base64url(new Uint8Array(signature))}`;
  }

  // One token is sent many times: its hash is computed once.
  async #ath(token: string): Promise<string> {
    if (token === this.#lastToken && this.#lastAth !== undefined) return this.#lastAth;
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
    const ath = base64url(new Uint8Array(digest));
    this.#lastToken = token;
    this.#lastAth = ath;
    return ath;
  }

  /** A description without key material. */
  toString(): string {
    return `DPoP { alg: '${this.alg}', thumbprint: ${this.thumbprint === undefined ? 'undefined' : `'${this.thumbprint}'`} }`;
  }

  toJSON(): Record<string, unknown> {
    return { alg: this.alg, thumbprint: this.thumbprint };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
