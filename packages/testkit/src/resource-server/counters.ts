/**
 * One request the resource server answered. Holds no token: only whether one was sent.
 *
 * @example
 * ```ts
 * const last: ResourceRequestRecord | undefined = api.lastRequest();
 * expect(last?.hadAuthorization).toBe(false); // no credentials followed the redirect
 * ```
 */
export interface ResourceRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Whether the request carried an `Authorization` header at all. */
  readonly hadAuthorization: boolean;
  /** The scheme of that header (`Bearer`, `DPoP`, …), never its credentials. */
  readonly authorizationScheme: string | undefined;
}

/**
 * Filter for `api.requests()`: every field given must match.
 *
 * @example
 * ```ts
 * const filter: ResourceRequestFilter = { status: 401 };
 * expect(api.requests(filter)).toBe(1);
 * ```
 */
export interface ResourceRequestFilter {
  readonly status?: number;
  readonly path?: string;
  readonly method?: string;
  readonly hadAuthorization?: boolean;
}

export class ResourceRequestLog {
  #records: ResourceRequestRecord[] = [];

  add(record: ResourceRequestRecord): void {
    this.#records.push(Object.freeze(record));
  }

  count(filter: ResourceRequestFilter = {}): number {
    return this.#records.filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.path === undefined || r.path === filter.path) &&
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.hadAuthorization === undefined || r.hadAuthorization === filter.hadAuthorization),
    ).length;
  }

  last(): ResourceRequestRecord | undefined {
    return this.#records.at(-1);
  }

  all(): readonly ResourceRequestRecord[] {
    return [...this.#records];
  }

  reset(): void {
    this.#records = [];
  }
}
