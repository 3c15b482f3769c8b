import type { IncomingHttpHeaders } from 'node:http';
import {
  AuthenticationError,
  type Authorizer,
  type BearerTokenSource,
  bearer,
  type Token,
} from '@forge/core';
import { authorizedFetch, joinURL } from './fetch.js';
import { ServiceAuthorizationError, toServiceAuthorizationError } from './problem.js';
import type { ExchangeService, Service, ServiceRegistry } from './services.js';
import type { ForgeRequestContext } from './types.js';

/** The caller's bearer token from an `Authorization` header, if it has one. */
export function bearerTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

function missingSubject(service: ExchangeService): ServiceAuthorizationError {
  return new ServiceAuthorizationError(
    service.name,
    401,
    `Service "${service.name}" is called on behalf of the caller, but the request carries no bearer token. Send "Authorization: Bearer <token>".`,
    { headers: { 'www-authenticate': 'Bearer' } },
  );
}

/** Maps a failed exchange: a refused subject token is the caller's problem (401). */
export function toExchangeError(
  service: ExchangeService,
  error: unknown,
): ServiceAuthorizationError {
  if (error instanceof AuthenticationError && error.error === 'invalid_grant') {
    return new ServiceAuthorizationError(
      service.name,
      401,
      `The caller's token was not accepted in exchange for a token of service "${service.name}" (invalid_grant).`,
      { cause: error, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
    );
  }
  return toServiceAuthorizationError(service.name, error);
}

// The exchange manager fixed to one caller, so core's bearer authorizer
// (401 handling, compare-and-invalidate, policy) applies unchanged.
function boundTo(service: ExchangeService, subjectToken: string): BearerTokenSource {
  const input = service.input(subjectToken);
  return {
    getToken: () => service.manager.getToken(input),
    invalidate: (token?: Token) => service.manager.invalidate(token, input),
  };
}

interface Exchanged {
  readonly token: Token;
  readonly authorizer: Authorizer;
}

/** Builds `req.forge` for one request. */
export class RequestContext implements ForgeRequestContext {
  readonly #registry: ServiceRegistry;
  readonly #headers: IncomingHttpHeaders;
  readonly #exchanged = new Map<string, Exchanged>();

  constructor(registry: ServiceRegistry, headers: IncomingHttpHeaders) {
    this.#registry = registry;
    this.#headers = headers;
  }

  manager(service: string): Service['manager'] {
    return this.#registry.get(service).manager;
  }

  authorizer(service: string): Authorizer {
    const resolved = this.#registry.get(service);
    if (resolved.kind === 'token') return resolved.authorizer;
    const subjectToken = bearerTokenOf(this.#headers);
    if (!subjectToken) throw missingSubject(resolved);
    return bearer(boundTo(resolved, subjectToken), resolved.policy);
  }

  exchangedToken(service: string): Token | undefined {
    this.#registry.get(service);
    return this.#exchanged.get(service)?.token;
  }

  /** Exchanges the caller's token for one of `service` (cached per subject by the manager). */
  async exchange(service: ExchangeService): Promise<Exchanged> {
    const done = this.#exchanged.get(service.name);
    if (done) return done;
    const subjectToken = bearerTokenOf(this.#headers);
    if (!subjectToken) throw missingSubject(service);
    const source = boundTo(service, subjectToken);
    let token: Token;
    try {
      token = await source.getToken();
    } catch (error) {
      throw toExchangeError(service, error);
    }
    const exchanged = {
      token,
      authorizer: bearer(source, service.policy),
    };
    this.#exchanged.set(service.name, exchanged);
    return exchanged;
  }

  /** The authorizer for `service`, exchanging the caller's token first when needed. */
  async authorizerFor(service: Service): Promise<Authorizer> {
    if (service.kind === 'token') return service.authorizer;
    return (await this.exchange(service)).authorizer;
  }

  async fetch(service: string, path: string, init?: RequestInit): Promise<Response> {
    const resolved = this.#registry.get(service);
    const authorizer = await this.authorizerFor(resolved);
    return authorizedFetch(resolved.name, authorizer, joinURL(resolved.baseURL, path), init);
  }
}
