import type { ClientMetadata } from 'oidc-provider';
import {
  certificateJwk,
  type IssuedCertificate,
  issueCertificate,
  publicPart,
  type TestCertificate,
} from './certificates.js';
import type { MtlsClients } from './kit.js';

/** The certificates of one process: a CA, the listeners' server certificate, one per client. */
export interface MtlsCertificates {
  readonly ca: IssuedCertificate;
  readonly server: TestCertificate;
  readonly tls: TestCertificate;
  readonly selfSigned: TestCertificate;
}

let cached: MtlsCertificates | undefined;

/** Made once per process, like the server keys: P-256 keys take about a millisecond each. */
export function mtlsCertificates(): MtlsCertificates {
  if (cached) return cached;
  const ca = issueCertificate({ commonName: 'Forge Testkit CA', ca: true });
  cached = {
    ca,
    server: publicPart(
      issueCertificate({
        commonName: '127.0.0.1',
        issuer: ca.issuer,
        hosts: ['127.0.0.1', 'localhost'],
      }),
    ),
    tls: publicPart(issueCertificate({ commonName: 'mtls-client', issuer: ca.issuer })),
    selfSigned: publicPart(issueCertificate({ commonName: 'self-signed-mtls-client' })),
  };
  return cached;
}

/** The two certificate clients: metadata for oidc-provider, and what tests get. */
export function mtlsClients(
  certificates: MtlsCertificates,
  base: ClientMetadata,
): { clients: MtlsClients; metadata: ClientMetadata[] } {
  const tls = { clientId: 'mtls-client', ...certificates.tls };
  const selfSigned = { clientId: 'self-signed-mtls-client', ...certificates.selfSigned };
  return {
    clients: { tls, selfSigned },
    metadata: [
      {
        ...base,
        client_id: tls.clientId,
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: tls.subject,
        tls_client_certificate_bound_access_tokens: true,
      },
      {
        ...base,
        client_id: selfSigned.clientId,
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: { keys: [certificateJwk(selfSigned.cert)] },
        tls_client_certificate_bound_access_tokens: true,
      },
    ],
  };
}
