/** What Forge remembers about one server origin for DPoP: its latest nonce and clock offset. */
interface OriginState {
  nonce: string | undefined;
  offsetMs: number;
}

// A client talks to a handful of servers; the bound only stops a hostile
// stream of redirects to fresh origins from growing the map without end.
const MAX_ORIGINS = 256;
// `Date` has a one-second resolution, and a proof's `iat` is checked within a
// window of a minute or more: smaller differences are noise, not skew.
const MEANINGFUL_SKEW_MS = 5_000;

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The DPoP state of every server a client talks to, keyed by origin (the
 * nonce of RFC 9449 §8 is per server): the latest `DPoP-Nonce` it sent, on
 * any response, and how far its clock is from ours, bounded.
 *
 * @example
 * ```ts
 * const servers = new ServerStates(300_000);
 * servers.noteNonce('https://as.example/token', 'n-1');
 * servers.nonce('https://as.example/other'); // 'n-1'
 * ```
 */
export class ServerStates {
  readonly #states = new Map<string, OriginState>();
  readonly #maxSkewMs: number;

  constructor(maxSkewMs: number) {
    this.#maxSkewMs = maxSkewMs;
  }

  #state(origin: string): OriginState {
    let state = this.#states.get(origin);
    if (state === undefined) {
      if (this.#states.size >= MAX_ORIGINS) {
        const oldest = this.#states.keys().next().value as string;
        this.#states.delete(oldest);
      }
      state = { nonce: undefined, offsetMs: 0 };
      this.#states.set(origin, state);
    }
    return state;
  }

  /** The latest nonce `url`'s origin sent, if any. */
  nonce(url: string): string | undefined {
    const origin = originOf(url);
    return origin === undefined ? undefined : this.#states.get(origin)?.nonce;
  }

  /** How far ahead (positive) or behind the server's clock is, in milliseconds. */
  offsetMs(url: string): number {
    const origin = originOf(url);
    return origin === undefined ? 0 : (this.#states.get(origin)?.offsetMs ?? 0);
  }

  /** Remembers a nonce the server sent; returns whether it differs from the one held. */
  noteNonce(url: string, nonce: string): boolean {
    const origin = originOf(url);
    if (origin === undefined) return false;
    const state = this.#state(origin);
    if (state.nonce === nonce) return false;
    state.nonce = nonce;
    return true;
  }

  /**
   * Takes the server's clock from its `Date` header, for a response that
   * said the proof was refused (`use_dpop_nonce`, `invalid_dpop_proof`):
   * the offset is kept only when it is more than a few seconds and is
   * capped at `maxSkewMs`, so a server with a broken clock cannot push our
   * proofs arbitrarily far. Returns whether the offset changed.
   */
  noteDate(url: string, date: string | null | undefined, receivedAt: number): boolean {
    const origin = originOf(url);
    if (origin === undefined || !date) return false;
    const server = Date.parse(date);
    if (!Number.isFinite(server)) return false;
    let offset = server - receivedAt;
    if (Math.abs(offset) < MEANINGFUL_SKEW_MS) offset = 0;
    offset = Math.max(-this.#maxSkewMs, Math.min(this.#maxSkewMs, offset));
    const state = this.#state(origin);
    if (Math.abs(state.offsetMs - offset) < MEANINGFUL_SKEW_MS) return false;
    state.offsetMs = offset;
    return true;
  }
}
