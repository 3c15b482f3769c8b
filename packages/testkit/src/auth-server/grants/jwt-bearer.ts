import type { Provider } from 'oidc-provider';
import type { TestKeyPair } from '../keys.js';
import type { OidcErrors } from '../oidc.js';
import { grantableScope, issueTokens } from './issue.js';
import { verifyTrustedJwt } from './trusted-jwt.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * RFC 7523 §2.1: a JWT signed by a trusted issuer is exchanged for an access
 * token whose subject is the JWT's `sub`. The signature, `iss`, `aud` (this
 * server's issuer or token endpoint) and `exp` are all checked.
 */
export function registerJwtBearerGrant(
  provider: Provider,
  errors: OidcErrors,
  key: TestKeyPair,
  trustedIssuer: string,
  audiences: () => readonly string[],
): void {
  provider.registerGrantType(
    JWT_BEARER_GRANT,
    async (ctx) => {
      const { assertion, scope } = ctx.oidc.params;
      if (typeof assertion !== 'string' || assertion === '') {
        throw new errors.InvalidRequest('missing required parameter(s) (assertion)');
      }
      let subject: string;
      try {
        subject = (await verifyTrustedJwt(assertion, key, trustedIssuer, audiences())).sub;
      } catch (cause) {
        throw new errors.InvalidGrant(
          `assertion is invalid (${cause instanceof Error ? cause.message : 'unverifiable'})`,
        );
      }
      const granted = grantableScope(errors, ctx, scope);
      const tokens = await issueTokens(provider, errors, ctx, {
        accountId: subject,
        scope: granted,
        gty: JWT_BEARER_GRANT,
      });
      ctx.body = {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        ...(granted ? { scope: granted } : {}),
      };
    },
    ['assertion', 'scope'],
  );
}
