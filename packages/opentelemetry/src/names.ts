/**
 * Instrument names, all under `forge.`. Exported so dashboards and alerts can
 * be written against constants rather than strings.
 *
 * @example
 * ```ts
 * const requests = ForgeMetric.TokenRequests; // 'forge.token.requests'
 * ```
 */
export const ForgeMetric = {
  /** Counter: token requests (flights) that ended, by service, outcome and reason. */
  TokenRequests: 'forge.token.requests',
  /** Histogram (s): how long a token request took, by service and outcome. */
  TokenRequestDuration: 'forge.token.request.duration',
  /** Counter: token requests started because the server rejected the held token (a 401). */
  TokenRenewals: 'forge.token.renewals',
  /** Observable counter: `getToken()` calls answered from the in-process tier or not. */
  CacheLookups: 'forge.token.cache.lookups',
  /** Counter: storage calls that failed (each degraded to a cache miss). */
  StorageErrors: 'forge.storage.errors',
  /** Observable gauge (s): time until the soonest-expiring held token expires. */
  TokenExpiresIn: 'forge.token.expires_in',
  /** Observable gauge: keys whose token requests are backing off after failures. */
  BackoffKeys: 'forge.token.backoff.keys',
  /** Observable gauge (s): the longest remaining backoff among those keys. */
  BackoffRemaining: 'forge.token.backoff.remaining',
} as const;

/**
 * Attribute names: OpenTelemetry semantic conventions where one exists
 * (HTTP client, `server.*`, `error.type`), `forge.` otherwise.
 *
 * @example
 * ```ts
 * const service = ForgeAttribute.Service; // 'forge.service.name'
 * ```
 */
export const ForgeAttribute = {
  Service: 'forge.service.name',
  /** `fetched`, `refreshed`, `reused` (taken from the storage) or `failed`. */
  Outcome: 'forge.token.outcome',
  /** `missing`, `expired`, `expiring`, `forced` or `rejected`. */
  Reason: 'forge.token.reason',
  GrantType: 'forge.token.grant_type',
  /** Token endpoint origin, `https://auth.example.com`: never a path or query. */
  Endpoint: 'forge.token.endpoint',
  /** Retries made after the first HTTP attempt. */
  RetryCount: 'forge.token.retry_count',
  /** `hit` or `miss`. */
  CacheResult: 'forge.cache.result',
  /** The storage method that failed. */
  StorageOperation: 'forge.storage.operation',
  /** The `ForgeError` code (`FORGE_TOKEN_ENDPOINT`, …). */
  ErrorCode: 'forge.error.code',
  /** A transport reason (`timeout`, `server`, …) or an OAuth `error` code (`invalid_client`, …). */
  ErrorReason: 'forge.error.reason',
  /** The cache key, only with `keyAttribute: true` (keys can be per user: high cardinality). */
  Key: 'forge.token.key',
  ErrorType: 'error.type',
  HttpMethod: 'http.request.method',
  HttpStatus: 'http.response.status_code',
  HttpResendCount: 'http.request.resend_count',
  ServerAddress: 'server.address',
  ServerPort: 'server.port',
  UrlScheme: 'url.scheme',
} as const;

/** Span names: low cardinality, as the conventions ask. */
export const ForgeSpan = {
  /** The token request for one key, from the first caller waiting to the token (or error). */
  TokenRequest: 'forge.token.request',
  /** One HTTP attempt at the token endpoint (an HTTP client span named by its method). */
  Attempt: 'POST',
} as const;
