import type {
  Authorizer,
  ParamValue,
  RequestPolicyOptions,
  Token,
  TokenExchangeInput,
  TokenManager,
  TokenProvider,
} from '@forge/core';
import type { ForgeFetchInit } from './fetch.js';

/**
 * The request policy of a service (core's `RequestPolicyOptions`): `baseURL`
 * defaults to the service's, so only its origin receives credentials unless
 * `origins` lists more.
 */
export type ForgeServicePolicy = Omit<RequestPolicyOptions, 'baseURL'>;

/** What the token exchange provider takes per call: core's `TokenExchangeInput`. */
export type SubjectTokenInput = TokenExchangeInput;

interface ServiceOptionsBase {
  /**
   * Where the service lives: `req.forge.fetch(name, '/path')` resolves paths
   * against it, proxies forward to it, and by default only its origin
   * receives the service's credentials.
   */
  readonly baseURL: string;
  /** Which requests carry credentials and how 401s are retried (core's request policy). */
  readonly policy?: ForgeServicePolicy;
}

/** A service called with the application's own token (e.g. client credentials). */
export interface ForgeTokenServiceOptions extends ServiceOptionsBase {
  /** A token manager you own (you close it), or… */
  readonly manager?: TokenManager<undefined>;
  /** …a provider; Forge then creates the manager and closes it in `forge.close()`. */
  readonly provider?: TokenProvider<undefined>;
}

/**
 * A service called on behalf of the caller: the incoming request's bearer
 * token is exchanged (RFC 8693) for a token of this service, cached per
 * subject until it expires.
 */
export interface ForgeExchangeServiceOptions extends ServiceOptionsBase {
  /** A manager over core's `TokenExchangeProvider`, or the provider itself. */
  readonly exchange: TokenManager<SubjectTokenInput> | TokenProvider<SubjectTokenInput>;
  /** RFC 8693 `audience` to ask for (overrides the provider's). */
  readonly audience?: ParamValue;
  /** RFC 8693 `scope` to ask for (overrides the provider's). */
  readonly scope?: ParamValue;
}

/** One named service: see {@link ForgeTokenServiceOptions} and {@link ForgeExchangeServiceOptions}. */
export type ForgeServiceOptions = ForgeTokenServiceOptions | ForgeExchangeServiceOptions;

/** Options of {@link forge}. */
export interface ForgeOptions {
  /** The services handlers may call, by name. */
  readonly services: Readonly<Record<string, ForgeServiceOptions>>;
}

/** What `req.forge` offers a handler. */
export interface ForgeRequestContext {
  /**
   * `fetch` to a configured service: `path` is resolved against the
   * service's `baseURL`, credentials are added, and a 401 is retried once
   * with a fresh token. Token failures reject with a
   * `ServiceAuthorizationError` (502/503); an unknown name rejects with a
   * `ConfigurationError` listing the configured names.
   */
  fetch(service: string, path: string, init?: ForgeFetchInit): Promise<Response>;
  /** The token manager of a service (for exchange services: the exchange manager). */
  manager(service: string): TokenManager<undefined> | TokenManager<SubjectTokenInput>;
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
