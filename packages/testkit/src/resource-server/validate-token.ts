import type { AuthServerInternals } from '../auth-server/internal.js';
import type { TokenInfo } from './options.js';

/** Why a bearer token was refused, for `error_description`. */
export type TokenVerdict =
  | { readonly valid: true; readonly info: TokenInfo }
  | { readonly valid: false; readonly reason: string };

/**
 * Looks the opaque token up in the authorization server's own store, the way an
 * introspecting resource server would, without the HTTP round trip.
 */
export async function validateToken(
  auth: AuthServerInternals,
  token: string,
  revokedThrough: number,
  audience: string | undefined,
): Promise<TokenVerdict> {
  const { provider } = auth;
  const found =
    (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
  if (!found) return { valid: false, reason: 'the access token is unknown, expired or revoked' };
  if (!found.isValid) return { valid: false, reason: 'the access token expired' };
  const sequence = auth.issueSequence(found.jti) ?? 0;
  if (sequence <= revokedThrough) {
    return { valid: false, reason: 'the access token was revoked' };
  }
  const aud = found.aud ?? found.resourceServer?.audience;
  if (audience !== undefined) {
    const audiences = aud === undefined ? [] : typeof aud === 'string' ? [aud] : aud;
    if (!audiences.includes(audience)) {
      return { valid: false, reason: 'the access token is not meant for this resource server' };
    }
  }
  const isUserToken = 'accountId' in found;
  return {
    valid: true,
    info: {
      clientId: found.clientId,
      subject: isUserToken ? found.accountId : undefined,
      scope: found.scope || undefined,
      audience: aud,
      grantType: isUserToken ? found.gty : 'client_credentials',
      certificateThumbprint: found['x5t#S256'],
      jkt: (found as { jkt?: string }).jkt,
    },
  };
}
