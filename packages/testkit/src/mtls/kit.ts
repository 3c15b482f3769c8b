import type { TestCertificate } from './certificates.js';

/**
 * A client registered for certificate authentication; its token requests go
 * to {@link MtlsKit.tokenEndpoint} with its certificate, and its access tokens
 * are bound to that certificate (`cnf.x5t#S256`).
 *
 * @example
 * ```ts
 * const { clientId, cert, key } = auth.mtls.clients.tls;
 * ```
 */
export interface MtlsClient extends TestCertificate {
  readonly clientId: string;
}

/**
 * The ready-made certificate clients.
 *
 * @example
 * ```ts
 * const { tls, selfSigned } = auth.mtls.clients;
 * ```
 */
export interface MtlsClients {
  /** `tls_client_auth`: a certificate from the test CA, registered by its subject `CN=mtls-client`. */
  readonly tls: MtlsClient;
  /** `self_signed_tls_client_auth`: a self-signed certificate registered in the client's `jwks` (`x5c`). */
  readonly selfSigned: MtlsClient;
}

/**
 * The mutual-TLS side of a server started with `{ mtls: true }`.
 *
 * @example
 * ```ts
 * const auth = await startAuthServer({ mtls: true });
 * const { tokenEndpoint, ca, clients } = auth.mtls;
 * const agent = new https.Agent({ cert: clients.tls.cert, key: clients.tls.key, ca });
 * ```
 */
export interface MtlsKit {
  /** `https://127.0.0.1:PORT`: the same authorization server over TLS, asking each client for a certificate. */
  readonly origin: string;
  /** The token endpoint on {@link origin}; discovery names it in `mtls_endpoint_aliases`. */
  readonly tokenEndpoint: string;
  /**
   * Every alias discovery publishes (`mtls_endpoint_aliases`): `token_endpoint`,
   * `introspection_endpoint`, `revocation_endpoint`.
   */
  readonly endpointAliases: Readonly<Record<string, string>>;
  /** The test CA's certificate, PEM: trust it (`ca`) to reach the TLS listeners. */
  readonly ca: string;
  readonly clients: MtlsClients;
  /**
   * A new client certificate from the test CA, registered with no client: the
   * "stolen token, other certificate" case. Default common name `other-client`.
   */
  issueCertificate(commonName?: string): TestCertificate;
  /** A new self-signed certificate, registered with no client. Default common name `self-signed`. */
  selfSignedCertificate(commonName?: string): TestCertificate;
}
