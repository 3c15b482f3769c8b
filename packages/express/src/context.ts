import {
  AuthenticationError,
  type Authorizer,
  type BearerTokenSource,
  bearer,
  type Token,
} from '@forge/core';
import { createAdapter, type ForgeAdapter } from '@forge/core/adapter';
import type { Request } from 'express';
import { authorizedFetch, type ForgeFetchInit, joinURL } from './fetch.js';
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

interface Exchanged {
  readonly token: Token;
  readonly adapter: ForgeAdapter;
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
    const exchanged = {
      token,
      adapter: createAdapter(
        bearer(source, { policy: service.policy }),
        {},
        { package: 'express', baseURL: service.baseURL },
      ),
    };
    this.#exchanged.set(service.name, exchanged);
    return exchanged;
  }

  /** The kit for `service`, exchanging the caller's token first when needed. */
  async adapterFor(service: Service): Promise<ForgeAdapter> {
    if (service.kind === 'token') return service.adapter;
    return (await this.exchange(service)).adapter;
  }

  fetch(service: string, path: string, init?: ForgeFetchInit): Promise<Response> {
    return withRequest(this.#req, async () => {
      const resolved = this.#registry.get(service);
      const adapter = await this.adapterFor(resolved);
      return authorizedFetch(resolved.name, adapter, joinURL(resolved.baseURL, path), init);
    });
  }
}
