import type { Provider } from 'oidc-provider';
import type { OidcErrors } from '../oidc.js';
import type { TestUser } from '../options.js';
import { grantableScope, issueTokens } from './issue.js';
import { checkUser } from './password.js';

/** A vendor extension grant (IBM Cloud's), for providers of any `grant_type`. */
export const API_KEY_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';

/**
 * Exchanges an API key for an access token, as vendor clouds do. A test
 * user's API key is `<username>:<password>`, so no new secret is configured.
 */
export function registerApiKeyGrant(
  provider: Provider,
  errors: OidcErrors,
  users: readonly TestUser[],
): void {
  provider.registerGrantType(
    API_KEY_GRANT,
    async (ctx) => {
      const { apikey, scope } = ctx.oidc.params;
      if (typeof apikey !== 'string' || apikey === '') {
        throw new errors.InvalidRequest('missing required parameter(s) (apikey)');
      }
      const separator = apikey.indexOf(':');
      const user =
        separator > 0
          ? checkUser(users, apikey.slice(0, separator), apikey.slice(separator + 1))
          : undefined;
      if (!user) throw new errors.InvalidGrant('invalid api key');
      const granted = grantableScope(errors, ctx, scope);
      const tokens = await issueTokens(provider, errors, ctx, {
        accountId: user.username,
        scope: granted,
        gty: API_KEY_GRANT,
        refreshToken: false,
      });
      ctx.body = {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        ...(granted ? { scope: granted } : {}),
      };
    },
    ['apikey', 'scope'],
  );
}
