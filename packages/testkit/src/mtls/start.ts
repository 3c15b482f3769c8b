import type { ClientMetadata } from 'oidc-provider';
import { type LoopbackServer, type LoopbackTls, listenOnLoopback } from '../shared/listen.js';
import { issueCertificate, publicPart } from './certificates.js';
import type { MtlsKit } from './kit.js';
import { mtlsCertificates, mtlsClients } from './setup.js';

/** The HTTPS listener of an authorization server started with `{ mtls: true }`. */
export interface MtlsListener {
  readonly kit: MtlsKit;
  readonly loopback: LoopbackServer;
  /** Client metadata of the certificate clients. */
  readonly metadata: ClientMetadata[];
  /** What a resource server of this authorization server serves HTTPS with. */
  readonly tls: LoopbackTls;
}

/** Opens the HTTPS listener first: its port goes into the provider's discovery document. */
export async function startMtlsListener(base: ClientMetadata): Promise<MtlsListener> {
  const certificates = mtlsCertificates();
  const tls: LoopbackTls = {
    cert: certificates.server.cert,
    key: certificates.server.key,
    ca: certificates.ca.cert,
  };
  const loopback = await listenOnLoopback(tls);
  const { clients, metadata } = mtlsClients(certificates, base);
  const origin = loopback.origin;
  const endpointAliases = Object.freeze({
    token_endpoint: `${origin}/token`,
    introspection_endpoint: `${origin}/token/introspection`,
    revocation_endpoint: `${origin}/token/revocation`,
  });
  return {
    loopback,
    metadata,
    tls,
    kit: {
      origin,
      tokenEndpoint: endpointAliases.token_endpoint,
      endpointAliases,
      ca: certificates.ca.cert,
      clients,
      issueCertificate: (commonName = 'other-client') =>
        publicPart(issueCertificate({ commonName, issuer: certificates.ca.issuer })),
      selfSignedCertificate: (commonName = 'self-signed') =>
        publicPart(issueCertificate({ commonName })),
    },
  };
}
