import { timingSafeEqual } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import type { OidcErrors } from '../oidc.js';
import type { TestUser } from '../options.js';
import { grantableScope, issueTokens } from './issue.js';

export const PASSWORD_GRANT = 'password';

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Finds the user whose username and password both match. */
export function checkUser(
  users: readonly TestUser[],
  username: unknown,
  password: unknown,
): TestUser | undefined {
  if (typeof username !== 'string' || typeof password !== 'string') return undefined;
  return users.find((user) => user.username === username && same(user.password, password));
}

/**
 * RFC 6749 §4.3 (resource owner password credentials). oidc-provider leaves it
 * out on purpose; the testkit adds it so `PasswordGrantTokenProvider` can be
 * tested end to end.
 */
export function registerPasswordGrant(
  provider: Provider,
  errors: OidcErrors,
  users: readonly TestUser[],
): void {
  provider.registerGrantType(
    PASSWORD_GRANT,
    async (ctx) => {
      const { username, password, scope } = ctx.oidc.params;
      if (typeof username !== 'string' || username === '') {
        throw new errors.InvalidRequest('missing required parameter(s) (username)');
      }
      if (typeof password !== 'string') {
        throw new errors.InvalidRequest('missing required parameter(s) (password)');
      }
      const user = checkUser(users, username, password);
      if (!user) throw new errors.InvalidGrant('invalid username or password');
      const granted = grantableScope(errors, ctx, scope);
      const tokens = await issueTokens(provider, errors, ctx, {
        accountId: user.username,
        scope: granted,
        gty: PASSWORD_GRANT,
        refreshToken: true,
      });
      ctx.body = {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
        ...(granted ? { scope: granted } : {}),
      };
    },
    ['username', 'password', 'scope'],
  );
}
