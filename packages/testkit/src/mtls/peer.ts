import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

function isTls(socket: Socket | undefined): socket is TLSSocket {
  return typeof (socket as Partial<TLSSocket> | undefined)?.getPeerCertificate === 'function';
}

/**
 * The client certificate presented on a connection, or `undefined` on plain
 * HTTP and when the client sent none (the TLS listeners ask, never require,
 * so a request without one reaches the server and gets an OAuth error).
 */
export function peerCertificate(socket: Socket | undefined): X509Certificate | undefined {
  if (!isTls(socket)) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer?.raw) return undefined;
  return new X509Certificate(peer.raw);
}

/** Whether the TLS layer verified the client certificate's chain against the test CA. */
export function peerAuthorized(socket: Socket | undefined): boolean {
  return isTls(socket) && socket.authorized;
}

/**
 * RFC 8705 §2.1.2: does a registered `tls_client_auth_*` value name the
 * certificate? The subject DN is compared as RFC 4514 writes it (most
 * specific RDN first) and as Node lists it; SANs through Node's own checks.
 */
export function subjectMatches(
  certificate: X509Certificate,
  property: string,
  expected: string,
): boolean {
  switch (property) {
    case 'tls_client_auth_subject_dn': {
      const rdns = certificate.subject.split('\n');
      return expected === rdns.slice().reverse().join(',') || expected === rdns.join(',');
    }
    case 'tls_client_auth_san_dns':
      return certificate.checkHost(expected, { subject: 'never', wildcards: false }) === expected;
    case 'tls_client_auth_san_ip':
      return certificate.checkIP(expected) !== undefined;
    case 'tls_client_auth_san_email':
      return certificate.checkEmail(expected, { subject: 'never' }) === expected;
    case 'tls_client_auth_san_uri':
      return (certificate.subjectAltName ?? '').split(', ').includes(`URI:${expected}`);
    default:
      return false;
  }
}
