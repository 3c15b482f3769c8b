import type { Provider } from 'oidc-provider';
import type { TestKeyPair } from '../keys.js';
import type { OidcErrors } from '../oidc.js';
import { grantableScope, issueTokens } from './issue.js';
import { TokenType } from './token-types.js';
import { verifyTrustedJwt } from './trusted-jwt.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * RFC 8693 token exchange. The subject token is either an access token this
 * server issued (`…:access_token`, looked up in the server's store) or a JWT
 * signed by the trusted issuer (`…:jwt` / `…:id_token`, verified with jose).
 * The new access token's subject is the subject token's, its audience is
 * `audience` (or `resource`), and it records the exchanging client as `act`.
 */
export function registerTokenExchangeGrant(
  provider: Provider,
  errors: OidcErrors,
  key: TestKeyPair,
  trustedIssuer: string,
  audiences: () => readonly string[],
): void {
  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    async (ctx) => {
      const params = ctx.oidc.params;
      const subjectToken = params.subject_token;
      const subjectTokenType = params.subject_token_type;
      if (typeof subjectToken !== 'string' || subjectToken === '') {
        throw new errors.InvalidRequest('missing required parameter(s) (subject_token)');
      }
      if (typeof subjectTokenType !== 'string' || subjectTokenType === '') {
        throw new errors.InvalidRequest('missing required parameter(s) (subject_token_type)');
      }
      const requested = params.requested_token_type;
      if (requested !== undefined && requested !== TokenType.AccessToken) {
        throw new errors.InvalidRequest(
          `requested_token_type must be ${TokenType.AccessToken} (the only type this server issues)`,
        );
      }
      let subject: string | undefined;
      if (subjectTokenType === TokenType.AccessToken) {
        const at =
          (await provider.AccessToken.find(subjectToken)) ??
          (await provider.ClientCredentials.find(subjectToken));
        if (at?.isValid) subject = 'accountId' in at ? at.accountId : at.clientId;
      } else if (subjectTokenType === TokenType.Jwt || subjectTokenType === TokenType.IdToken) {
        try {
          subject = (await verifyTrustedJwt(subjectToken, key, trustedIssuer, audiences())).sub;
        } catch {
          subject = undefined;
        }
      } else {
        throw new errors.InvalidRequest(
          `unsupported subject_token_type; use ${Object.values(TokenType).join(', ')}`,
        );
      }
      if (!subject) throw new errors.InvalidGrant('subject_token is invalid, expired or revoked');
      const audience = [params.audience, params.resource].find(
        (value): value is string => typeof value === 'string' && value !== '',
      );
      const granted = grantableScope(errors, ctx, params.scope);
      const tokens = await issueTokens(provider, errors, ctx, {
        accountId: subject,
        scope: granted,
        gty: TOKEN_EXCHANGE_GRANT,
        audience,
        extra: { act: { sub: ctx.oidc.client?.clientId } },
      });
      ctx.body = {
        access_token: tokens.accessToken,
        issued_token_type: TokenType.AccessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        ...(granted ? { scope: granted } : {}),
      };
    },
    [
      'subject_token',
      'subject_token_type',
      'actor_token',
      'actor_token_type',
      'requested_token_type',
      'audience',
      'resource',
      'scope',
    ],
  );
}
