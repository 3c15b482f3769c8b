import type {
  Authorizer,
  ForgeServiceConfig,
  ForgeServicePolicy,
  ParamValue,
  RequestLogOptions,
  Token,
  TokenExchangeInput,
  TokenManager,
  TokenProvider,
} from '@forge/core';
import type { ForgeFetchInit } from './fetch.js';

/** What the token exchange provider takes per call: core's `TokenExchangeInput`. */
export type SubjectTokenInput = TokenExchangeInput;

/**
 * An Express extension of the service configuration: a service called on
 * behalf of the caller. The incoming request's bearer token is exchanged
 * (RFC 8693) for a token of this service, cached per subject until it expires.
 *
 * @example
 * ```ts
 * const orders: ForgeExchangeServiceOptions = {
 *   baseURL: 'https://orders.example.com',
 *   exchange: new TokenExchangeProvider({ serviceName: 'orders', issuer, clientId: 'gateway', clientSecret }),
 *   audience: 'https://orders.example.com',
 * };
 * ```
 */
export interface ForgeExchangeServiceOptions {
  /** Where the service lives; as in `ForgeServiceConfig`. */
  readonly baseURL: string;
  /** Which requests carry credentials and how 401s are retried; as in `ForgeServiceConfig`. */
  readonly policy?: ForgeServicePolicy | undefined;
  /** A manager over core's `TokenExchangeProvider` (yours to close), or the provider itself. */
  readonly exchange: TokenManager<SubjectTokenInput> | TokenProvider<SubjectTokenInput>;
  /** RFC 8693 `audience` to ask for (overrides the provider's). */
  readonly audience?: ParamValue | undefined;
  /** RFC 8693 `scope` to ask for (overrides the provider's). */
  readonly scope?: ParamValue | undefined;
  /** Request logging of this service's calls; as in `ForgeServiceConfig`. */
  readonly log?: RequestLogOptions | undefined;
}

/**
 * One named service: core's `ForgeServiceConfig` (the shape `@forge/nest`
 * takes too), or an {@link ForgeExchangeServiceOptions} exchange service.
 */
export type ForgeServiceOptions = ForgeServiceConfig | ForgeExchangeServiceOptions;

/**
 * Options of {@link forge}.
 *
 * @example
 * ```ts
 * const options: ForgeMiddlewareOptions = {
 *   services: { billing: { baseURL: 'https://billing.example.com', manager } },
 * };
 * ```
 */
export interface ForgeMiddlewareOptions {
  /** The services handlers may call, by name. */
  readonly services: Readonly<Record<string, ForgeServiceOptions>>;
  /**
   * Request logging of every service without a `log` of its own: one line
   * per call of `req.forge.fetch` and per proxied request, secrets redacted;
   * the events of the managers Forge creates go to the same logger.
   */
  readonly log?: RequestLogOptions | undefined;
}

/** What `req.forge` offers a handler. */
export interface ForgeRequestContext {
  /**
   * `fetch` to a configured service, sent through `@forge/fetch`: `path` is
   * resolved against the service's `baseURL`, credentials are added, and a
   * 401 is retried once with a fresh token. `init.forge.key` picks the
   * manager's token for this request; otherwise the service's `key` function
   * does. Token failures reject with a `ServiceAuthorizationError` (502/503);
   * an unknown name rejects with a `ConfigurationError` listing the
   * configured names; everything else rejects as `fetch` does.
   */
  fetch(service: string, path: string, init?: ForgeFetchInit): Promise<Response>;
  /** The token manager of a service (for exchange services: the exchange manager). */
  manager(service: string): TokenManager<unknown> | TokenManager<SubjectTokenInput>;
  /** The authorizer used for this request to `service` (bound to the caller for exchange services). */
  authorizer(service: string): Authorizer;
  /**
   * The token obtained for the caller by exchange for `service`, once
   * `forge.tokenExchange(service)` ran (or `fetch` exchanged it), else `undefined`.
   */
  exchangedToken(service: string): Token | undefined;
}

declare global {
  namespace Express {
    interface Request {
      /** Authorized clients for the services configured in `forge()`. */
      forge: ForgeRequestContext;
    }
  }
}
