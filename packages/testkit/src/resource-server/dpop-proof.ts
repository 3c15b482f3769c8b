import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify } from 'jose';

/** How the resource server checks DPoP nonces: off, one nonce until rotated, or a new one per request. */
export type NonceMode = false | true | 'every-request';

/** Why a proof was refused: the RFC 9449 error code and a description without secrets. */
export interface ProofRefusal {
  readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
  readonly description: string;
}

const ALGORITHMS = ['ES256', 'PS256', 'EdDSA', 'Ed25519'];
// RFC 9449 §11.1: a proof is accepted within a short window around `iat`.
const IAT_WINDOW_SECONDS = 60;

function htuOf(url: string): string | undefined {
  const parsed = URL.parse(url);
  if (parsed === null) return undefined;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/**
 * The resource server's DPoP state (RFC 9449 §7): the nonces it hands out
 * and the proof `jti`s it has seen, and the check of one proof against the
 * request and token it came with.
 */
export class ProofChecker {
  readonly #mode: NonceMode;
  readonly #clockOffsetSeconds: number;
  #nonce = randomBytes(16).toString('base64url');
  #previousNonce: string | undefined;
  readonly #seen = new Map<string, number>();

  constructor(mode: NonceMode, clockOffsetSeconds: number) {
    this.#mode = mode;
    this.#clockOffsetSeconds = clockOffsetSeconds;
  }

  /** The server's clock, offset as configured: its `Date` header and its `iat` check use it. */
  now(): number {
    return Date.now() + this.#clockOffsetSeconds * 1000;
  }

  /** The nonce a client should use next, or `undefined` when nonces are off. */
  get nonce(): string | undefined {
    return this.#mode === false ? undefined : this.#nonce;
  }

  /** A new nonce; the one before stays valid once more (a request in flight). */
  rotateNonce(): void {
    this.#previousNonce = this.#mode === 'every-request' ? undefined : this.#nonce;
    this.#nonce = randomBytes(16).toString('base64url');
  }

  /** A new nonce, and the one before is no longer accepted: a client must learn it from the answer. */
  replaceNonce(): void {
    this.#previousNonce = undefined;
    this.#nonce = randomBytes(16).toString('base64url');
  }

  #forget(nowSeconds: number): void {
    for (const [jti, seenAt] of this.#seen) {
      if (seenAt >= nowSeconds - 2 * IAT_WINDOW_SECONDS) break;
      this.#seen.delete(jti);
    }
  }

  async check(
    proof: string | string[] | undefined,
    request: { readonly method: string; readonly url: string },
    accessToken: string,
    jkt: string,
  ): Promise<ProofRefusal | undefined> {
    const invalid = (description: string): ProofRefusal => ({
      error: 'invalid_dpop_proof',
      description,
    });
    if (proof === undefined) return invalid('a DPoP-bound token needs a DPoP proof header');
    if (typeof proof !== 'string') return invalid('send exactly one DPoP header');
    const nowSeconds = Math.floor(this.now() / 1000);
    let header: { jwk?: unknown };
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ALGORITHMS,
        currentDate: new Date(nowSeconds * 1000),
      });
      header = verified.protectedHeader;
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? error.code : 'unreadable';
      return invalid(`the proof does not verify (${reason})`);
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') return invalid('jti is missing');
    if (payload.htm !== request.method) return invalid('htm does not match the request method');
    if (typeof payload.htu !== 'string' || htuOf(payload.htu) !== htuOf(request.url)) {
      return invalid('htu does not match the request URL');
    }
    if (
      typeof payload.iat !== 'number' ||
      Math.abs(nowSeconds - payload.iat) > IAT_WINDOW_SECONDS
    ) {
      return invalid('iat is not recent enough');
    }
    const ath = createHash('sha256').update(accessToken).digest('base64url');
    if (payload.ath !== ath) return invalid('ath does not match the access token');
    const thumbprint = await calculateJwkThumbprint(
      header.jwk as Parameters<typeof calculateJwkThumbprint>[0],
    );
    if (thumbprint !== jkt) return invalid('the proof key is not the key the token is bound to');
    if (this.#mode !== false) {
      const fresh =
        payload.nonce === this.#nonce ||
        (payload.nonce !== undefined && payload.nonce === this.#previousNonce);
      if (!fresh) {
        return {
          error: 'use_dpop_nonce',
          description: payload.nonce === undefined ? 'a nonce is required' : 'the nonce is stale',
        };
      }
    }
    this.#forget(nowSeconds);
    if (this.#seen.has(payload.jti)) return invalid('the proof was already used (jti replay)');
    this.#seen.set(payload.jti, nowSeconds);
    if (this.#mode === 'every-request') this.rotateNonce();
    return undefined;
  }
}
