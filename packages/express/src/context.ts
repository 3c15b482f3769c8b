import {
  AuthenticationError,
  type Authorizer,
  type BearerTokenSource,
  bearer,
  RequestAuthorizationError,
  type Token,
} from '@forge/core';
import { createAdapter, type ForgeAdapter } from '@forge/core/adapter';
import type { ForgeFetch } from '@forge/fetch';
import type { Request } from 'express';
import { type ForgeFetchInit, joinURL, serviceFetch } from './fetch.js';
import { ServiceAuthorizationError, toServiceAuthorizationError } from './problem.js';
import { withRequest } from './request.js';
import type { ExchangeService, Service, ServiceRegistry } from './services.js';
import type { ForgeRequestContext } from './types.js';

/** The caller's bearer token from an `Authorization` header, if it has one. */
export function bearerTokenOf(req: Request): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
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

/** One exchange of this request, and what was made for it on first use. */
interface Exchanged {
  readonly token: Token;
  readonly authorizer: Authorizer;
  adapter?: ForgeAdapter;
  fetch?: ForgeFetch;
}

/** Builds `req.forge` for one request. */
export class RequestContext implements ForgeRequestContext {
  readonly #registry: ServiceRegistry;
  readonly #req: Request;
  readonly #exchanged = new Map<string, Exchanged>();

  constructor(registry: ServiceRegistry, req: Request) {
    this.#registry = registry;
    this.#req = req;
  }

  manager(service: string): Service['manager'] {
    return this.#registry.get(service).manager;
  }

  authorizer(service: string): Authorizer {
    const resolved = this.#registry.get(service);
    if (resolved.kind === 'token') return resolved.authorizer;
    const subjectToken = bearerTokenOf(this.#req);
    if (!subjectToken) throw missingSubject(resolved);
    return bearer(boundTo(resolved, subjectToken), { policy: resolved.policy });
  }

  exchangedToken(service: string): Token | undefined {
    this.#registry.get(service);
    return this.#exchanged.get(service)?.token;
  }

  /** Exchanges the caller's token for one of `service` (cached per subject by the manager). */
  async exchange(service: ExchangeService): Promise<Exchanged> {
    const done = this.#exchanged.get(service.name);
    if (done) return done;
    const subjectToken = bearerTokenOf(this.#req);
    if (!subjectToken) throw missingSubject(service);
    const source = boundTo(service, subjectToken);
    let token: Token;
    try {
      token = await source.getToken();
    } catch (error) {
      throw toExchangeError(service, error);
    }
    const exchanged: Exchanged = {
      token,
      authorizer: bearer(source, { policy: service.policy }),
    };
    this.#exchanged.set(service.name, exchanged);
    return exchanged;
  }

  /** The proxy's kit for `service`, exchanging the caller's token first when needed. */
  async adapterFor(service: Service): Promise<ForgeAdapter> {
    if (service.kind === 'token') return service.adapter;
    const exchanged = await this.exchange(service);
    exchanged.adapter ??= createAdapter(
      exchanged.authorizer,
      { log: service.log },
      { package: 'express', baseURL: service.baseURL },
    );
    return exchanged.adapter;
  }

  /** What `req.forge.fetch` sends `service`'s requests with, exchanging first when needed. */
  async #fetchFor(service: Service): Promise<ForgeFetch> {
    if (service.kind === 'token') return service.fetch;
    const exchanged = await this.exchange(service);
    exchanged.fetch ??= serviceFetch(exchanged.authorizer, undefined, service.log);
    return exchanged.fetch;
  }

  fetch(service: string, path: string, init?: ForgeFetchInit): Promise<Response> {
    return withRequest(this.#req, async () => {
      const resolved = this.#registry.get(service);
      const send = await this.#fetchFor(resolved);
      try {
        return await send(joinURL(resolved.baseURL, path), init);
      } catch (error) {
        // Only a failure to authorize is the service's (502/503): fetch's own
        // failures (network, the caller's abort or timeout) and a malformed
        // `forge` option are the caller's, as they are with fetch.
        throw error instanceof RequestAuthorizationError
          ? toServiceAuthorizationError(resolved.name, error)
          : error;
      }
    });
  }
}
