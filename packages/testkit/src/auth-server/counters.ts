/**
 * One token-endpoint request as the server saw it. Never holds a secret or a token.
 *
 * @example
 * ```ts
 * const [first]: readonly TokenRequestRecord[] = auth.tokenRequestLog();
 * // { clientId: 'basic-client', grantType: 'client_credentials', status: 200, faulted: false }
 * ```
 */
export interface TokenRequestRecord {
  /** The client the request claimed to be (from Basic auth, `client_id`, or the assertion's `sub`), if any. */
  readonly clientId: string | undefined;
  /** The `grant_type` parameter, if any. */
  readonly grantType: string | undefined;
  /** HTTP status answered; `0` when the connection was reset or hung. */
  readonly status: number;
  /** Whether a fault switch answered instead of the real endpoint. */
  readonly faulted: boolean;
}

/**
 * Filter for `auth.tokenRequests()`: every field given must match.
 *
 * @example
 * ```ts
 * const filter: TokenRequestFilter = { clientId: auth.clients.basic.clientId, grantType: 'refresh_token' };
 * expect(auth.tokenRequests(filter)).toBe(1);
 * ```
 */
export interface TokenRequestFilter {
  readonly clientId?: string;
  readonly grantType?: string;
  readonly status?: number;
  readonly faulted?: boolean;
}

export class TokenRequestLog {
  #records: TokenRequestRecord[] = [];

  add(record: TokenRequestRecord): void {
    this.#records.push(Object.freeze(record));
  }

  count(filter: string | TokenRequestFilter | undefined): number {
    if (filter === undefined) return this.#records.length;
    const f: TokenRequestFilter = typeof filter === 'string' ? { clientId: filter } : filter;
    return this.#records.filter(
      (r) =>
        (f.clientId === undefined || r.clientId === f.clientId) &&
        (f.grantType === undefined || r.grantType === f.grantType) &&
        (f.status === undefined || r.status === f.status) &&
        (f.faulted === undefined || r.faulted === f.faulted),
    ).length;
  }

  byGrantType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.#records) {
      const key = r.grantType ?? '(none)';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  all(): readonly TokenRequestRecord[] {
    return [...this.#records];
  }

  reset(): void {
    this.#records = [];
  }
}

/** The client id a token request claims, read without verifying anything. */
export function claimedClientId(
  authorization: string | undefined,
  body: Record<string, unknown> | undefined,
): string | undefined {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
      } catch {
        return decoded.slice(0, colon);
      }
    }
  }
  if (typeof body?.client_id === 'string') return body.client_id;
  if (typeof body?.client_assertion === 'string') {
    const payload = body.client_assertion.split('.')[1];
    if (payload) {
      try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
          sub?: unknown;
        };
        if (typeof claims.sub === 'string') return claims.sub;
      } catch {
        // An unreadable assertion claims no client; the endpoint will reject it anyway.
      }
    }
  }
  return undefined;
}
