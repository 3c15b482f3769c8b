/** One request the resource server answered. Holds no token: only whether one was sent. */
export interface ResourceRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Whether the request carried an `Authorization` header at all. */
  readonly hadAuthorization: boolean;
  /** The scheme of that header (`Bearer`, `DPoP`, …), never its credentials. */
  readonly authorizationScheme: string | undefined;
}

/** Filter for `api.requests()`. */
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
