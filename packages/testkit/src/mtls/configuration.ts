import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { peerAuthorized, peerCertificate, subjectMatches } from './peer.js';

/**
 * oidc-provider's own mutual-TLS features (RFC 8705): certificate-bound
 * access tokens, `tls_client_auth`, `self_signed_tls_client_auth`, and the
 * `mtls_endpoint_aliases` discovery names, wired to the TLS socket of the
 * request. Applied on top of the base configuration so the two stay apart.
 */
export function withMtls(
  configuration: Configuration,
  endpointAliases: Readonly<Record<string, string>>,
): Configuration {
  const certificate = (ctx: KoaContextWithOIDC) => peerCertificate(ctx.req.socket);
  return {
    ...configuration,
    clientAuthMethods: [
      ...(configuration.clientAuthMethods ?? []),
      'tls_client_auth',
      'self_signed_tls_client_auth',
    ],
    features: {
      ...configuration.features,
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: certificate,
        certificateAuthorized: (ctx) => peerAuthorized(ctx.req.socket),
        certificateSubjectMatches: (ctx, property, expected) => {
          const cert = certificate(ctx);
          return cert !== undefined && subjectMatches(cert, property, expected);
        },
      },
    },
    discovery: { ...configuration.discovery, mtls_endpoint_aliases: { ...endpointAliases } },
  };
}
