import type { Socket } from 'node:net';
import { thumbprintOf } from '../mtls/certificates.js';
import { peerCertificate } from '../mtls/peer.js';

/**
 * RFC 8705 §3: a certificate-bound access token (`cnf.x5t#S256`) is accepted
 * only on a connection whose client certificate has that thumbprint. Returns
 * why the token is refused, or `undefined` when it may be used. A token
 * without a binding is a plain bearer token and passes.
 */
export function certificateBindingProblem(
  thumbprint: string | undefined,
  socket: Socket | undefined,
): string | undefined {
  if (thumbprint === undefined) return undefined;
  const presented = peerCertificate(socket);
  if (presented === undefined) {
    return 'the access token is bound to a client certificate and none was presented';
  }
  if (thumbprintOf(presented) !== thumbprint) {
    return 'the access token is bound to another client certificate';
  }
  return undefined;
}
