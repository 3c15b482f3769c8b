import { REDACTED } from '../redact.js';
import { basicAuthorization } from './encoding.js';
import type { ClientAuth, ClientAuthMethod, ClientAuthRequest } from './types.js';
import { INSPECT, requireString } from './validate.js';

class SecretAuth implements ClientAuth {
  readonly #secret: string;

  constructor(
    readonly method: ClientAuthMethod,
    readonly clientId: string,
    secret: string,
  ) {
    this.#secret = secret;
  }

  apply(request: ClientAuthRequest): void {
    if (this.method === 'client_secret_basic') {
      request.headers.authorization = basicAuthorization(this.clientId, this.#secret);
    } else {
      request.body.set('client_id', this.clientId);
      request.body.set('client_secret', this.#secret);
    }
  }

  toJSON(): { method: ClientAuthMethod; clientId: string } {
    return { method: this.method, clientId: this.clientId };
  }

  [INSPECT](): string {
    return `ClientAuth { method: '${this.method}', clientId: '${this.clientId}', clientSecret: '${REDACTED}' }`;
  }
}

/**
 * `client_secret_basic`: the id and secret in an HTTP Basic header, each
 * form-urlencoded first as RFC 6749 §2.3.1 requires (so secrets with `:`,
 * `%` or spaces work). The default when a provider gets a `clientSecret`.
 *
 * @example
 * ```ts
 * const clientAuth = clientSecretBasic('my-client', process.env.CLIENT_SECRET!);
 * ```
 */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuth {
  return new SecretAuth(
    'client_secret_basic',
    requireString(clientId, 'clientId'),
    requireString(clientSecret, 'clientSecret'),
  );
}

/**
 * `client_secret_post`: `client_id` and `client_secret` in the form body.
 *
 * @example
 * ```ts
 * const clientAuth = clientSecretPost('my-client', process.env.CLIENT_SECRET!);
 * ```
 */
export function clientSecretPost(clientId: string, clientSecret: string): ClientAuth {
  return new SecretAuth(
    'client_secret_post',
    requireString(clientId, 'clientId'),
    requireString(clientSecret, 'clientSecret'),
  );
}

class NoAuth implements ClientAuth {
  readonly method = 'none' as const;
  constructor(readonly clientId: string) {}
  apply(request: ClientAuthRequest): void {
    request.body.set('client_id', this.clientId);
  }
  [INSPECT](): string {
    return `ClientAuth { method: 'none', clientId: '${this.clientId}' }`;
  }
}

/**
 * `none`: a public client (a CLI, a single-page app) that only names itself
 * with `client_id`. Use it with PKCE.
 *
 * @example
 * ```ts
 * const clientAuth = none('my-cli');
 * ```
 */
export function none(clientId: string): ClientAuth {
  return new NoAuth(requireString(clientId, 'clientId'));
}
