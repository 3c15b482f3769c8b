import type { ClientAuth, ClientAuthMethod, ClientAuthRequest } from './types.js';
import { INSPECT, requireString } from './validate.js';

/** The client authentication methods where the TLS client certificate is the credential (RFC 8705 §2). */
export const CERTIFICATE_METHODS: readonly ClientAuthMethod[] = [
  'tls_client_auth',
  'self_signed_tls_client_auth',
];

/** Whether a method authenticates the client with its TLS certificate. */
export function isCertificateMethod(method: string): boolean {
  return (CERTIFICATE_METHODS as readonly string[]).includes(method);
}

class CertificateAuth implements ClientAuth {
  constructor(
    readonly method: ClientAuthMethod,
    readonly clientId: string,
  ) {}

  // RFC 8705 §2: the certificate proves who the client is, `client_id` says
  // who it claims to be; the certificate itself is the transport's.
  apply(request: ClientAuthRequest): void {
    request.body.set('client_id', this.clientId);
  }

  toJSON(): { method: ClientAuthMethod; clientId: string } {
    return { method: this.method, clientId: this.clientId };
  }

  [INSPECT](): string {
    return `ClientAuth { method: '${this.method}', clientId: '${this.clientId}' }`;
  }
}

/**
 * `tls_client_auth` (RFC 8705 §2.1): the client presents a certificate from
 * a CA the server trusts, registered by its subject; the request carries only
 * `client_id`. The provider needs a transport that presents the certificate
 * (`dispatcher` in Node, or a `fetch` that does), and uses the server's
 * `mtls_endpoint_aliases` when discovery has them.
 *
 * @example
 * ```ts
 * import { Agent } from 'undici';
 * const provider = new ClientCredentialsTokenProvider({
 *   clientAuth: tlsClientAuth('orders-service'),
 *   issuer: 'https://auth.example.com',
 *   dispatcher: new Agent({ connect: { cert, key } }),
 * });
 * ```
 */
export function tlsClientAuth(clientId: string): ClientAuth {
  return new CertificateAuth('tls_client_auth', requireString(clientId, 'clientId'));
}

/**
 * `self_signed_tls_client_auth` (RFC 8705 §2.2): the client presents a
 * self-signed certificate registered with the server (in its `jwks` or
 * `jwks_uri`, as `x5c`); the request carries only `client_id`. Same transport
 * needs as {@link tlsClientAuth}.
 *
 * @example
 * ```ts
 * const clientAuth = selfSignedTlsClientAuth('orders-service');
 * ```
 */
export function selfSignedTlsClientAuth(clientId: string): ClientAuth {
  return new CertificateAuth('self_signed_tls_client_auth', requireString(clientId, 'clientId'));
}
